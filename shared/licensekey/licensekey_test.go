package licensekey

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var seed = []byte("0123456789abcdef0123456789abcdef") // 32 bytes, test only

func TestSignVerifyRoundTrip(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(seed)
	c := Claims{Partner: "ptn_1", Product: "dev-tools-suite", Benefit: "ben_1", Expires: "2027-11-24"}
	key, err := Sign(priv, c)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Sign(priv, c)
	if key != again {
		t.Error("signing is deterministic: the same claims give the same key")
	}
	got, err := Verify(priv.Public().(ed25519.PublicKey), key, time.Date(2027, 11, 24, 23, 59, 0, 0, time.UTC))
	if err != nil || got.Partner != "ptn_1" || got.Product != "dev-tools-suite" || got.Benefit != "ben_1" || got.Version != 1 {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	if _, err := Verify(priv.Public().(ed25519.PublicKey), key, time.Date(2027, 11, 25, 0, 0, 0, 0, time.UTC)); !errors.Is(err, ErrExpired) {
		t.Errorf("the day after expiry: %v", err)
	}
}

func TestTamperingFails(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	key, _ := Sign(priv, Claims{Partner: "ptn_1", Product: "p", Benefit: "b", Expires: "2027-01-01"})
	parts := strings.Split(key, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	longer := strings.Replace(string(payload), "2027-01-01", "2099-01-01", 1)
	otherPartner := strings.Replace(string(payload), "ptn_1", "ptn_2", 1)
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[3] ^= 1
	flip := base64.RawURLEncoding.EncodeToString(sig)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	foreign, _ := Sign(otherPriv, Claims{Partner: "ptn_1", Product: "p", Benefit: "b", Expires: "2027-01-01"})

	tests := map[string]struct {
		key  string
		want error
	}{
		"extended expiry":   {parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(longer)) + "." + parts[2], ErrSignature},
		"other partner":     {parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(otherPartner)) + "." + parts[2], ErrSignature},
		"flipped signature": {parts[0] + "." + parts[1] + "." + flip, ErrSignature},
		"other issuer":      {foreign, ErrSignature},
		"truncated":         {key[:len(key)-10], ErrMalformed},
		"wrong prefix":      {"PBK2." + parts[1] + "." + parts[2], ErrMalformed},
		"empty":             {"", ErrMalformed},
	}
	for name, tc := range tests {
		if _, err := Verify(pub, tc.key, time.Time{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func TestSignRejectsIncompleteClaims(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(seed)
	if _, err := Sign(priv, Claims{Partner: "p", Product: "x", Benefit: "b", Expires: "soon"}); err == nil {
		t.Error("bad expiry accepted")
	}
	if _, err := Sign(priv, Claims{Product: "x", Benefit: "b", Expires: "2027-01-01"}); err == nil {
		t.Error("missing partner accepted")
	}
}

func TestParsePublicKey(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	for _, s := range []string{base64.StdEncoding.EncodeToString(pub), base64.RawURLEncoding.EncodeToString(pub)} {
		if got, err := ParsePublicKey(s); err != nil || !got.Equal(pub) {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := ParsePublicKey("abc"); err == nil {
		t.Error("short key accepted")
	}
}
