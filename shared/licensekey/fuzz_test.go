package licensekey

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzKeyringVerify gives Keyring.Verify arbitrary strings: it must never
// panic, and whatever it accepts (nil or ErrExpired) must carry a signature
// the ring's private key for the key's kid makes (Ed25519 signing is
// deterministic, so a forged or foreign signature cannot match).
func FuzzKeyringVerify(f *testing.F) {
	privs := map[string]ed25519.PrivateKey{
		"k1":        ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)),
		"k2.2026_x": ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32)),
		LegacyKeyID: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)),
	}
	ring := Keyring{}
	for kid, priv := range privs {
		ring[kid] = pubOf(priv)
	}
	outsider := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	c := Claims{Partner: "ptn_1", Product: "dev-tools-suite", Benefit: "ben_1", Expires: "2027-11-24"}
	must := func(k string, err error) string {
		if err != nil {
			f.Fatal(err)
		}
		return k
	}
	k1 := must(Sign(privs["k1"], "k1", c))
	k2 := must(Sign(privs["k2.2026_x"], "k2.2026_x", Claims{Partner: "ptn_é\u0000", Product: "p", Benefit: "b", Expires: "9999-12-31"}))
	v1 := must(signV1(privs[LegacyKeyID], c))
	foreign := must(Sign(outsider, "k1", c))
	foreignV1 := must(signV1(outsider, c))
	expired := must(Sign(privs["k1"], "k1", Claims{Partner: "p", Product: "p", Benefit: "b", Expires: "2000-01-01"}))
	unknownKid := must(Sign(privs["k1"], "nope", c))
	b64 := base64.RawURLEncoding.EncodeToString
	dot := strings.LastIndexByte(k1, '.')
	for _, s := range []string{
		k1, k2, v1, foreign, foreignV1, expired, unknownKid,
		" " + k1 + "\n", "\ufeff" + k1, k1 + "\x00", strings.ToLower(k1), strings.Replace(k1, "PBK2.", "PBK1.", 1),
		strings.Replace(v1, "PBK1.", "PBK2.", 1), k1[:dot], k1[:dot+1], k1 + ".", k1[:len(k1)-1], k1[:len(k1)-1] + "B",
		k1[:dot] + "." + b64(make([]byte, 64)), k1[:dot] + "=." + k1[dot+1:], k1[:5] + "." + k1[dot+1:],
		"PBK2." + b64([]byte(`{"v":2,"kid":"k1","partner":"p","product":"p","benefit":"b","expires":"2027-01-01"}`)) + "." + b64(make([]byte, 64)),
		"PBK2." + b64([]byte(`{"v":2,"kid":"k1","expires":"2027-02-30"}`)) + "." + b64(make([]byte, 64)),
		"PBK2." + b64([]byte(`{"v":2,"kid":"","expires":"2027-01-01"}`)) + "." + b64(make([]byte, 64)),
		"PBK2." + b64([]byte(`{"v":1,"expires":"2027-01-01"}`)) + "." + b64(make([]byte, 64)),
		"PBK2." + b64([]byte(`{"v":2,"kid":"k1","kid":"k2.2026_x","expires":"2027-01-01"}`)) + "." + b64(make([]byte, 64)),
		"PBK2." + b64([]byte(`{"v":9223372036854775808}`)) + "." + b64(make([]byte, 64)),
		"PBK2." + b64([]byte(strings.Repeat(`[`, 20000))) + "." + b64(make([]byte, 64)),
		"", "PBK2.", "PBK1.", "PBK2..", "PBK2.a.b", ".", "\x00", strings.Repeat("PBK2.", 1000), "PBK2." + strings.Repeat("A", 100000),
	} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, key string) {
		got, err := ring.Verify(key, now)
		if err != nil && !errors.Is(err, ErrExpired) {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("Verify(%q): unexpected error %v", key, err)
			}
			return
		}
		kid := got.KeyID
		if got.Version == 1 {
			kid = LegacyKeyID
		}
		priv, ok := privs[kid]
		if !ok {
			t.Fatalf("Verify(%q) accepted kid %q the ring lacks", key, kid)
		}
		k := strings.TrimSpace(key)
		d := strings.LastIndexByte(k, '.')
		sig, derr := base64.RawURLEncoding.DecodeString(k[d+1:])
		if derr != nil || !bytes.Equal(sig, ed25519.Sign(priv, []byte(k[:d]))) {
			t.Fatalf("Verify(%q) accepted a key the ring's key %q did not sign", key, kid)
		}
		// A key verified with one public key alone must verify the same.
		if _, err2 := Verify(ring[kid], key, now); (err2 == nil) != (err == nil) {
			t.Fatalf("Verify and Keyring.Verify disagree on %q: %v, %v", key, err2, err)
		}
	})
}
