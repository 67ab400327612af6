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

// signV1 makes a PBK1 key, as the service did before key ids.
func signV1(priv ed25519.PrivateKey, c Claims) (string, error) {
	c.Version, c.KeyID = 1, ""
	return sign(priv, LegacyPrefix, c)
}

func pubOf(priv ed25519.PrivateKey) ed25519.PublicKey { return priv.Public().(ed25519.PublicKey) }

func TestSignVerifyRoundTrip(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(seed)
	ring := Keyring{"k1": pubOf(priv)}
	c := Claims{Partner: "ptn_1", Product: "dev-tools-suite", Benefit: "ben_1", Expires: "2027-11-24"}
	key, err := Sign(priv, "k1", c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "PBK2.") {
		t.Fatalf("key %s is not PBK2", key)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(key, ".")[1])
	if want := `{"v":2,"kid":"k1","partner":"ptn_1","product":"dev-tools-suite","benefit":"ben_1","expires":"2027-11-24"}`; string(payload) != want {
		t.Errorf("payload %s, want %s", payload, want)
	}
	again, _ := Sign(priv, "k1", c)
	if key != again {
		t.Error("signing is deterministic: the same claims give the same key")
	}
	got, err := ring.Verify(key, time.Date(2027, 11, 24, 23, 59, 0, 0, time.UTC))
	if err != nil || got.Partner != "ptn_1" || got.Product != "dev-tools-suite" || got.Benefit != "ben_1" || got.Version != 2 || got.KeyID != "k1" {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	if got, err := ring.Verify(key, time.Date(2027, 11, 25, 0, 0, 0, 0, time.UTC)); !errors.Is(err, ErrExpired) || got.Benefit != "ben_1" {
		t.Errorf("the day after expiry: %+v %v", got, err)
	}
	// The single-key Verify checks the signature whatever the kid.
	if got, err := Verify(pubOf(priv), key, time.Time{}); err != nil || got.KeyID != "k1" {
		t.Errorf("Verify with the one public key: %+v %v", got, err)
	}
}

func TestRotation(t *testing.T) {
	k1 := ed25519.NewKeyFromSeed(seed)
	k2 := ed25519.NewKeyFromSeed([]byte("fedcba9876543210fedcba9876543210"))
	c := Claims{Partner: "ptn_1", Product: "p", Benefit: "b", Expires: "2027-01-01"}
	before, _ := Sign(k1, "k1", c) // issued while k1 was current

	// k2 becomes current; the issuer keeps publishing k1.
	ring := Keyring{"k1": pubOf(k1), "k2": pubOf(k2)}
	after, _ := Sign(k2, "k2", c)
	for name, key := range map[string]string{"signed with k1": before, "signed with k2": after} {
		if got, err := ring.Verify(key, time.Time{}); err != nil || got.Benefit != "b" {
			t.Errorf("%s: %+v %v", name, got, err)
		}
	}
	if before == after {
		t.Error("another key must give another key string")
	}

	// A key that claims k1 but was signed by k2.
	claimsK1, _ := Sign(k2, "k1", c)
	if _, err := ring.Verify(claimsK1, time.Time{}); !errors.Is(err, ErrSignature) {
		t.Errorf("kid k1 signed by k2: %v, want ErrSignature", err)
	}
	// A kid the keyring does not hold.
	k3, _ := Sign(k2, "k3", c)
	if _, err := ring.Verify(k3, time.Time{}); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), `"k3"`) {
		t.Errorf("unknown kid: %v, want ErrUnknownKey naming k3", err)
	}
	// Once k1 is dropped from the ring its keys are unknown, not forged.
	if _, err := (Keyring{"k2": pubOf(k2)}).Verify(before, time.Time{}); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("k1 dropped: %v", err)
	}
	// A keyring entry that is not a public key is as good as none.
	if _, err := (Keyring{"k1": pubOf(k1)[:5]}).Verify(before, time.Time{}); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("short public key: %v", err)
	}
}

func TestLegacyPBK1KeysVerifyWithTheLegacyEntry(t *testing.T) {
	old := ed25519.NewKeyFromSeed(seed)
	k2 := ed25519.NewKeyFromSeed([]byte("fedcba9876543210fedcba9876543210"))
	c := Claims{Partner: "ptn_1", Product: "p", Benefit: "b", Expires: "2027-01-01"}
	v1, err := signV1(old, c)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(v1, ".")[1])
	if want := `{"v":1,"partner":"ptn_1","product":"p","benefit":"b","expires":"2027-01-01"}`; !strings.HasPrefix(v1, "PBK1.") || string(payload) != want {
		t.Fatalf("PBK1 key %s payload %s", v1, payload)
	}
	ring := Keyring{LegacyKeyID: pubOf(old), "k2": pubOf(k2)}
	if got, err := ring.Verify(v1, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil || got.Version != 1 || got.KeyID != "" || got.Benefit != "b" {
		t.Errorf("PBK1 with the legacy entry: %+v %v", got, err)
	}
	if _, err := ring.Verify(v1, time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)); !errors.Is(err, ErrExpired) {
		t.Errorf("expired PBK1: %v", err)
	}
	// Without a legacy entry a PBK1 key is unknown, even if another entry holds its public key.
	if _, err := (Keyring{"k1": pubOf(old)}).Verify(v1, time.Time{}); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("PBK1 without a legacy entry: %v", err)
	}
	// A PBK1 key by another issuer.
	if _, err := (Keyring{LegacyKeyID: pubOf(k2)}).Verify(v1, time.Time{}); !errors.Is(err, ErrSignature) {
		t.Errorf("PBK1 of another issuer: %v", err)
	}
	// The single-key Verify still takes PBK1 keys, as it did.
	if _, err := Verify(pubOf(old), v1, time.Time{}); err != nil {
		t.Errorf("Verify of a PBK1 key: %v", err)
	}
	// No PBK2 key can name the legacy entry.
	if ValidKeyID(LegacyKeyID) {
		t.Error("LegacyKeyID must not be a valid key id")
	}
	if _, err := Sign(old, LegacyKeyID, c); err == nil {
		t.Error("signed a PBK2 key with the legacy key id")
	}
}

func TestTamperingFails(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(seed)
	ring := Keyring{"k1": pubOf(priv), LegacyKeyID: pubOf(priv)}
	c := Claims{Partner: "ptn_1", Product: "p", Benefit: "b", Expires: "2027-01-01"}
	key, _ := Sign(priv, "k1", c)
	parts := strings.Split(key, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	longer := strings.Replace(string(payload), "2027-01-01", "2099-01-01", 1)
	otherPartner := strings.Replace(string(payload), "ptn_1", "ptn_2", 1)
	noKid := strings.Replace(string(payload), `"kid":"k1",`, "", 1)
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[3] ^= 1
	flip := base64.RawURLEncoding.EncodeToString(sig)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	foreign, _ := Sign(otherPriv, "k1", c)
	v1, _ := signV1(priv, c)
	v1parts := strings.Split(v1, ".")

	tests := map[string]struct {
		key  string
		want error
	}{
		"extended expiry":       {parts[0] + "." + enc(longer) + "." + parts[2], ErrSignature},
		"other partner":         {parts[0] + "." + enc(otherPartner) + "." + parts[2], ErrSignature},
		"flipped signature":     {parts[0] + "." + parts[1] + "." + flip, ErrSignature},
		"other issuer":          {foreign, ErrSignature},
		"PBK2 payload as PBK1":  {"PBK1." + parts[1] + "." + parts[2], ErrMalformed},
		"PBK1 payload as PBK2":  {"PBK2." + v1parts[1] + "." + v1parts[2], ErrMalformed},
		"PBK2 without a kid":    {parts[0] + "." + enc(noKid) + "." + parts[2], ErrMalformed},
		"PBK1 signature as v2":  {parts[0] + "." + parts[1] + "." + v1parts[2], ErrSignature},
		"truncated":             {key[:len(key)-10], ErrMalformed},
		"unknown prefix":        {"PBK3." + parts[1] + "." + parts[2], ErrMalformed},
		"empty":                 {"", ErrMalformed},
		"kid with odd bytes":    {parts[0] + "." + enc(strings.Replace(string(payload), `"k1"`, `"k 1"`, 1)) + "." + parts[2], ErrMalformed},
		"kid too long":          {parts[0] + "." + enc(strings.Replace(string(payload), `"k1"`, `"`+strings.Repeat("k", 65)+`"`, 1)) + "." + parts[2], ErrMalformed},
		"prefix signed as PBK1": {"PBK1" + key[4:], ErrMalformed},
	}
	for name, tc := range tests {
		if _, err := ring.Verify(tc.key, time.Time{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func TestSignRejectsIncompleteClaims(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(seed)
	if _, err := Sign(priv, "k1", Claims{Partner: "p", Product: "x", Benefit: "b", Expires: "soon"}); err == nil {
		t.Error("bad expiry accepted")
	}
	if _, err := Sign(priv, "k1", Claims{Product: "x", Benefit: "b", Expires: "2027-01-01"}); err == nil {
		t.Error("missing partner accepted")
	}
	for _, kid := range []string{"", "k 1", `k"1`, strings.Repeat("k", 65), "ключ"} {
		if _, err := Sign(priv, kid, Claims{Partner: "p", Product: "x", Benefit: "b", Expires: "2027-01-01"}); err == nil {
			t.Errorf("key id %q accepted", kid)
		}
	}
	if _, err := Sign(priv[:10], "k1", Claims{Partner: "p", Product: "x", Benefit: "b", Expires: "2027-01-01"}); err == nil {
		t.Error("short private key accepted")
	}
}

func TestParsePublicKey(t *testing.T) {
	pub := pubOf(ed25519.NewKeyFromSeed(seed))
	for _, s := range []string{base64.StdEncoding.EncodeToString(pub), base64.RawURLEncoding.EncodeToString(pub)} {
		if got, err := ParsePublicKey(s); err != nil || !got.Equal(pub) {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := ParsePublicKey("abc"); err == nil {
		t.Error("short key accepted")
	}
}

func TestParseKeyring(t *testing.T) {
	k1 := pubOf(ed25519.NewKeyFromSeed(seed))
	k2 := pubOf(ed25519.NewKeyFromSeed([]byte("fedcba9876543210fedcba9876543210")))
	b64 := base64.StdEncoding.EncodeToString
	doc := `{"algorithm":"Ed25519","format":"PBK2","keyId":"k2","publicKey":"` + b64(k2) + `","keys":[` +
		`{"keyId":"k1","publicKey":"` + b64(k1) + `","current":false},{"keyId":"k2","publicKey":"` + b64(k2) + `","current":true}]}`
	ring, err := ParseKeyring([]byte(doc))
	if err != nil || len(ring) != 2 || !ring["k1"].Equal(k1) || !ring["k2"].Equal(k2) {
		t.Fatalf("ParseKeyring = %v, %v", ring, err)
	}
	// A document from before key rotation has only the top-level key.
	ring, err = ParseKeyring([]byte(`{"keyId":"b90a6083c46d6765","publicKey":"` + b64(k1) + `"}`))
	if err != nil || len(ring) != 1 || !ring["b90a6083c46d6765"].Equal(k1) {
		t.Errorf("old document: %v, %v", ring, err)
	}
	for _, bad := range []string{`[]`, `{}`, `{"keyId":"k1","publicKey":"abc"}`, `{"keys":[{"keyId":"","publicKey":"` + b64(k1) + `"}]}`} {
		if _, err := ParseKeyring([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
