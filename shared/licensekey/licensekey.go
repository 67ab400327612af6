// Package licensekey makes and verifies signed licence keys: an Ed25519
// signature over who may use which product until when. A product verifies
// a key offline with the published public keys and this package alone (it
// imports only the standard library, so a product can vendor it as is).
//
// Format: "PBK2." + base64url(payload) + "." + base64url(signature), where
// payload is compact JSON
// {"v":2,"kid":…,"partner":…,"product":…,"benefit":…,"expires":"YYYY-MM-DD"}
// and the signature covers the literal "PBK2." + base64url(payload) bytes, so
// any change to the prefix, payload or signature fails verification. kid names
// the signing key, so the issuer can rotate it: a verifier holds a [Keyring]
// of every published public key and picks one by the key's kid.
//
// The first format, "PBK1.", has the same layout with payload
// {"v":1,"partner":…,"product":…,"benefit":…,"expires":…} and no kid. Keys of
// that format keep verifying: [Keyring.Verify] checks them with the keyring's
// [LegacyKeyID] entry, the public key that signed them.
package licensekey

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Prefix names the format version [Sign] makes.
const Prefix = "PBK2."

// LegacyPrefix names the first format, whose keys carry no key id.
const LegacyPrefix = "PBK1."

// LegacyKeyID is the [Keyring] entry that verifies PBK1 keys, which carry no
// key id: put the public key that signed them there (for the service's keys,
// the one published before key ids existed). It is the empty id, which no
// PBK2 key can name, so it never collides with a published key id.
const LegacyKeyID = ""

// Claims are what a key grants.
type Claims struct {
	Version int    `json:"v"`             // 2 for PBK2, 1 for PBK1
	KeyID   string `json:"kid,omitempty"` // the signing key's id (PBK2); empty in PBK1 keys
	Partner string `json:"partner"`
	Product string `json:"product"`
	Benefit string `json:"benefit"`
	Expires string `json:"expires"` // YYYY-MM-DD, the last day of use (UTC)
}

// Errors returned by Verify.
var (
	ErrMalformed  = errors.New("licensekey: not a PBK2 or PBK1 licence key")
	ErrSignature  = errors.New("licensekey: signature does not match (tampered or another issuer)")
	ErrExpired    = errors.New("licensekey: expired")
	ErrUnknownKey = errors.New("licensekey: signed with a key id the keyring does not hold (fetch the issuer's current keys)")
)

// ValidKeyID reports whether kid can name a signing key: 1 to 64 ASCII
// letters, digits, '.', '_' or '-'.
func ValidKeyID(kid string) bool {
	if kid == "" || len(kid) > 64 {
		return false
	}
	for _, r := range kid {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Sign makes a PBK2 key signed by priv, whose id kid the key carries so a
// verifier knows which public key checks it. Ed25519 signatures are
// deterministic, so the same key and claims always give the same key string.
// c.Version and c.KeyID are set by Sign.
func Sign(priv ed25519.PrivateKey, kid string, c Claims) (string, error) {
	if !ValidKeyID(kid) {
		return "", fmt.Errorf("licensekey: key id must be 1-64 letters, digits, '.', '_' or '-'")
	}
	c.Version, c.KeyID = 2, kid
	return sign(priv, Prefix, c)
}

// sign writes prefix + payload + signature; signV1 in the tests uses it for PBK1.
func sign(priv ed25519.PrivateKey, prefix string, c Claims) (string, error) {
	if c.Partner == "" || c.Product == "" || c.Benefit == "" {
		return "", fmt.Errorf("licensekey: partner, product and benefit are required")
	}
	if _, err := time.Parse(time.DateOnly, c.Expires); err != nil {
		return "", fmt.Errorf("licensekey: expires must be YYYY-MM-DD: %w", err)
	}
	if len(priv) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("licensekey: not an Ed25519 private key")
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signed := prefix + base64.RawURLEncoding.EncodeToString(payload)
	sig := ed25519.Sign(priv, []byte(signed))
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// Keyring holds the issuer's public keys by key id: every key the issuer
// publishes (GET /v1/software/signing-key, member keys), plus, to accept
// PBK1 keys, the key that signed them under [LegacyKeyID].
type Keyring map[string]ed25519.PublicKey

// Verify checks a key with the public key its kid names and, when now is not
// zero, that it has not expired. It returns the claims it vouches for.
//
// A PBK2 key whose kid the keyring lacks is [ErrUnknownKey]; a PBK1 key is
// checked with the [LegacyKeyID] entry, and is [ErrUnknownKey] without one.
// A key naming one kid but signed by another key is [ErrSignature].
// [ErrExpired] comes with the claims.
func (k Keyring) Verify(key string, now time.Time) (Claims, error) {
	return verify(key, now, func(c Claims) (ed25519.PublicKey, error) {
		kid := c.KeyID
		if c.Version == 1 {
			kid = LegacyKeyID
		}
		pub, ok := k[kid]
		if !ok || len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
		}
		return pub, nil
	})
}

// Verify checks a key (PBK2 or PBK1) with one public key, whatever kid it
// names, and, when now is not zero, that it has not expired. It suits a
// verifier that trusts a single key; one that follows the issuer's key
// rotation uses [Keyring.Verify].
func Verify(pub ed25519.PublicKey, key string, now time.Time) (Claims, error) {
	if len(pub) != ed25519.PublicKeySize {
		return Claims{}, ErrMalformed
	}
	return verify(key, now, func(Claims) (ed25519.PublicKey, error) { return pub, nil })
}

// verify parses the key, asks pick for the public key of its claims, checks
// the signature and then the expiry.
func verify(key string, now time.Time, pick func(Claims) (ed25519.PublicKey, error)) (Claims, error) {
	key = strings.TrimSpace(key)
	prefix, version := Prefix, 2
	if strings.HasPrefix(key, LegacyPrefix) {
		prefix, version = LegacyPrefix, 1
	}
	dot := strings.LastIndexByte(key, '.')
	if !strings.HasPrefix(key, prefix) || dot <= len(prefix) {
		return Claims{}, ErrMalformed
	}
	signed, sigText := key[:dot], key[dot+1:]
	sig, err := base64.RawURLEncoding.Strict().DecodeString(sigText) // one spelling per signature
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Claims{}, ErrMalformed
	}
	// The payload is read before the signature is checked, to learn its kid;
	// nothing in it is trusted until the signature holds.
	payload, err := base64.RawURLEncoding.Strict().DecodeString(signed[len(prefix):])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || c.Version != version {
		return Claims{}, ErrMalformed
	}
	if version == 2 && !ValidKeyID(c.KeyID) || version == 1 && c.KeyID != "" {
		return Claims{}, ErrMalformed
	}
	last, err := time.Parse(time.DateOnly, c.Expires)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	pub, err := pick(c)
	if err != nil {
		return Claims{}, err
	}
	if !ed25519.Verify(pub, []byte(signed), sig) {
		return Claims{}, ErrSignature
	}
	if !now.IsZero() && !now.UTC().Before(last.AddDate(0, 0, 1)) {
		return c, ErrExpired
	}
	return c, nil
}

// ParseKeyring reads the document GET /v1/software/signing-key publishes
// ({"keyId":…,"publicKey":…,"keys":[{"keyId":…,"publicKey":…,"current":…},…]})
// into a keyring of every key it lists. Add the [LegacyKeyID] entry yourself
// to accept PBK1 keys.
func ParseKeyring(doc []byte) (Keyring, error) {
	type entry struct {
		KeyID     string `json:"keyId"`
		PublicKey string `json:"publicKey"`
	}
	var d struct {
		entry
		Keys []entry `json:"keys"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("licensekey: not a signing-key document: %w", err)
	}
	k := Keyring{}
	for _, e := range append(d.Keys, d.entry) {
		if e.KeyID == "" && e.PublicKey == "" {
			continue
		}
		pub, err := ParsePublicKey(e.PublicKey)
		if err != nil || !ValidKeyID(e.KeyID) {
			return nil, fmt.Errorf("licensekey: signing-key document: entry %q is not a key id and an Ed25519 public key", e.KeyID)
		}
		k[e.KeyID] = pub
	}
	if len(k) == 0 {
		return nil, fmt.Errorf("licensekey: signing-key document lists no key")
	}
	return k, nil
}

// ParsePublicKey reads the base64 (std or URL) public key the service publishes.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(strings.TrimSpace(s)); err == nil && len(b) == ed25519.PublicKeySize {
			return ed25519.PublicKey(b), nil
		}
	}
	return nil, fmt.Errorf("licensekey: not a base64 Ed25519 public key")
}
