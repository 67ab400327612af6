package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/licensekey"
	"github.com/pbs/benefits/shared/store"
)

func TestWatchPoolWarnsUnderLowWaterWithAMetric(t *testing.T) {
	var buf bytes.Buffer
	s := &Service{Log: slog.New(slog.NewJSONHandler(&buf, nil)), KeyPoolLowWater: 5}
	ctx := context.Background()

	s.watchPool(ctx, "office-suite-pro", 10, nil)
	s.watchPool(ctx, "office-suite-pro", -1, nil) // count unknown
	if buf.Len() != 0 {
		t.Fatalf("no warning above the mark: %s", buf.String())
	}
	s.watchPool(ctx, "office-suite-pro", 3, nil)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	aws, _ := rec["_aws"].(map[string]any)
	if rec["level"] != "WARN" || rec["KeyPoolRemaining"] != float64(3) || rec["Product"] != "office-suite-pro" || aws["CloudWatchMetrics"] == nil {
		t.Errorf("low-water record %v", rec)
	}
	buf.Reset()
	s.watchPool(ctx, "office-suite-pro", 0, store.ErrKeyPoolExhausted)
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["level"] != "ERROR" || rec["KeyPoolRemaining"] != float64(0) {
		t.Errorf("exhausted record %v", rec)
	}
}

func TestGetSigningKeyPublishesTheKeyring(t *testing.T) {
	if _, err := (&Service{}).getSigningKey(context.Background(), nil); !errors.Is(err, errSigningUnavailable) {
		t.Errorf("no signer: %v, want signing_unavailable", err)
	}
	k1 := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	k2 := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
	k0 := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	pub := func(k ed25519.PrivateKey) string {
		return base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey))
	}
	s := &Service{Signer: &Signer{KeyID: "k2", Key: k2, Keys: licensekey.Keyring{
		"k0": k0.Public().(ed25519.PublicKey), "k1": k1.Public().(ed25519.PublicKey), "k2": k2.Public().(ed25519.PublicKey)}}}
	resp, err := s.getSigningKey(context.Background(), nil)
	if err != nil || resp.StatusCode != 200 || resp.Headers["Cache-Control"] != "public, max-age=3600" {
		t.Fatalf("getSigningKey = %+v, %v", resp, err)
	}
	type key struct {
		KeyID     string `json:"keyId"`
		PublicKey string `json:"publicKey"`
		Current   bool   `json:"current"`
	}
	var doc struct {
		Algorithm, Format, KeyID, PublicKey string
		Keys                                []key
	}
	if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil {
		t.Fatal(err)
	}
	// The top level stays what clients from before rotation read: the current key.
	if doc.Algorithm != "Ed25519" || doc.Format != "PBK2" || doc.KeyID != "k2" || doc.PublicKey != pub(k2) {
		t.Errorf("top level %s", resp.Body)
	}
	want := []key{{"k2", pub(k2), true}, {"k0", pub(k0), false}, {"k1", pub(k1), false}}
	if !slices.Equal(doc.Keys, want) {
		t.Errorf("keys %+v, want %+v", doc.Keys, want)
	}
	// What is published verifies what is signed, by kid.
	ring, err := licensekey.ParseKeyring([]byte(resp.Body))
	if err != nil {
		t.Fatal(err)
	}
	c := licensekey.Claims{Partner: "ptn_1", Product: "p", Benefit: "b", Expires: "2027-01-01"}
	for kid, k := range map[string]ed25519.PrivateKey{"k1": k1, "k2": k2} {
		key, _ := licensekey.Sign(k, kid, c)
		if _, err := ring.Verify(key, time.Time{}); err != nil {
			t.Errorf("key signed with %s: %v", kid, err)
		}
	}

	// A signer without a ring (one key) publishes just that key.
	s.Signer.Keys = nil
	resp, _ = s.getSigningKey(context.Background(), nil)
	if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil || !slices.Equal(doc.Keys, []key{{"k2", pub(k2), true}}) {
		t.Errorf("single key: %s", resp.Body)
	}
}
