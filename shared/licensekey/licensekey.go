// Package licensekey makes and verifies signed licence keys: an Ed25519
// signature over who may use which product until when. A product verifies
// a key offline with the published public key and this package alone (it
// imports only the standard library, so a product can vendor it as is).
//
// Format: "PBK1." + base64url(payload) + "." + base64url(signature), where
// payload is compact JSON {"v":1,"partner":…,"product":…,"benefit":…,"expires":"YYYY-MM-DD"}
// and the signature covers the literal "PBK1." + base64url(payload) bytes, so
// any change to the prefix, payload or signature fails verification.
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

// Prefix names the format version.
const Prefix = "PBK1."

// Claims are what a key grants.
type Claims struct {
	Version int    `json:"v"`
	Partner string `json:"partner"`
	Product string `json:"product"`
	Benefit string `json:"benefit"`
	Expires string `json:"expires"` // YYYY-MM-DD, the last day of use (UTC)
}

// Errors returned by Verify.
var (
	ErrMalformed = errors.New("licensekey: not a PBK1 licence key")
	ErrSignature = errors.New("licensekey: signature does not match (tampered or another issuer)")
	ErrExpired   = errors.New("licensekey: expired")
)

// Sign makes a key. Ed25519 signatures are deterministic, so the same claims
// always give the same key.
func Sign(priv ed25519.PrivateKey, c Claims) (string, error) {
	c.Version = 1
	if c.Partner == "" || c.Product == "" || c.Benefit == "" {
		return "", fmt.Errorf("licensekey: partner, product and benefit are required")
	}
	if _, err := time.Parse(time.DateOnly, c.Expires); err != nil {
		return "", fmt.Errorf("licensekey: expires must be YYYY-MM-DD: %w", err)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signed := Prefix + base64.RawURLEncoding.EncodeToString(payload)
	sig := ed25519.Sign(priv, []byte(signed))
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// Verify checks a key's signature with the issuer's public key and, when now
// is not zero, that it has not expired. It returns the claims it vouches for.
func Verify(pub ed25519.PublicKey, key string, now time.Time) (Claims, error) {
	key = strings.TrimSpace(key)
	dot := strings.LastIndexByte(key, '.')
	if !strings.HasPrefix(key, Prefix) || dot <= len(Prefix) || len(pub) != ed25519.PublicKeySize {
		return Claims{}, ErrMalformed
	}
	signed, sigText := key[:dot], key[dot+1:]
	sig, err := base64.RawURLEncoding.DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Claims{}, ErrMalformed
	}
	if !ed25519.Verify(pub, []byte(signed), sig) {
		return Claims{}, ErrSignature
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(signed, Prefix))
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || c.Version != 1 {
		return Claims{}, ErrMalformed
	}
	last, err := time.Parse(time.DateOnly, c.Expires)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !now.IsZero() && !now.UTC().Before(last.AddDate(0, 0, 1)) {
		return c, ErrExpired
	}
	return c, nil
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
