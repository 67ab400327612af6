package boot

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/licensekey"
)

// The licence-key signer's key material comes from one of two variables:
//
//   - LICENSE_SIGNING_SEED (local and dev): the base64 32-byte Ed25519 seed
//     of one key, whose id is the first 8 bytes of SHA-256 of its public key,
//     hex.
//   - LICENSE_SIGNING_SECRET_ARN (AWS): a Secrets Manager secret whose
//     SecretString is JSON naming the current key id and every key's
//     material (see [ParseSigningSecret]). Only get-key reads it, once per
//     cold start.
const (
	envSigningSeed      = "LICENSE_SIGNING_SEED"
	envSigningSecretARN = "LICENSE_SIGNING_SECRET_ARN"
)

// signingFunction is the one function that signs licence keys and publishes
// their public keys, so the only one that reads the signing secret.
const signingFunction = "get-key"

// minMaterial is the shortest key material the secret may hold: a key is
// only as strong as the string it is derived from.
const minMaterial = 32

// SecretSource reads a secret's string value. get-key's main passes one
// backed by Secrets Manager (shared/awssecret) through [WithSecrets], so
// only that function links the Secrets Manager client; tests pass a fake.
type SecretSource interface {
	SecretString(ctx context.Context, id string) (string, error)
}

// Option adds to what [HTTP] builds.
type Option func(*options)

type options struct {
	secrets func(aws.Config) SecretSource
}

// WithSecrets gives [HTTP] a way to read secrets, made from the function's
// AWS configuration; get-key needs it when LICENSE_SIGNING_SECRET_ARN is set.
func WithSecrets[S SecretSource](newSource func(aws.Config) S) Option {
	return func(o *options) { o.secrets = func(cfg aws.Config) SecretSource { return newSource(cfg) } }
}

// loadSigning reads the signing secret at cold start when function is the
// one that signs and the secret is configured; otherwise it does nothing.
func (s *Settings) loadSigning(ctx context.Context, function string, cfg aws.Config, opts []Option) error {
	if s.SigningSecretARN == "" || function != signingFunction {
		return nil
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.secrets == nil {
		return fmt.Errorf("boot: %s is set but function %s was built without a secret source (boot.WithSecrets)", envSigningSecretARN, function)
	}
	return s.LoadSigningSecret(ctx, o.secrets(cfg))
}

// LoadSigningSecret reads the secret SigningSecretARN names from src, once,
// and keeps the signer it describes for [NewService]. Neither the secret nor
// anything derived from it is ever logged or put in an error.
func (s *Settings) LoadSigningSecret(ctx context.Context, src SecretSource) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := src.SecretString(ctx, s.SigningSecretARN)
	if err != nil {
		return fmt.Errorf("boot: read the signing secret (%s): %w", envSigningSecretARN, err)
	}
	signer, err := ParseSigningSecret(v)
	if err != nil {
		return err
	}
	s.signing = signer
	return nil
}

// ParseSigningSecret reads the signing secret's JSON into a signer:
//
//	{"current":"k2","keys":{"k1":"<material>","k2":"<material>"}}
//
// current is the id of the key that signs new licence keys; every key listed
// is published so licence keys signed earlier keep verifying. A key may also
// be a top-level member ({"current":"k1","k1":"<material>"}), the shape
// CloudFormation's GenerateSecretString makes from the template
// {"current":"k1"} and GenerateStringKey "k1"; both shapes may be mixed.
// Key ids are 1-64 letters, digits, '.', '_' or '-'. A key's Ed25519 seed is
// SHA-256 of its material (the exact string, at least 32 characters), so any
// long random string will do.
//
// Errors name key ids but never material.
func ParseSigningSecret(secret string) (*api.Signer, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(secret), &doc); err != nil {
		// json's messages may quote the input; say only where it broke.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("boot: the signing secret is not valid JSON (syntax error at byte %d)", syn.Offset)
		}
		return nil, fmt.Errorf(`boot: the signing secret is not a JSON object {"current":…,"keys":{…}}`)
	}
	var current string
	if raw, ok := doc["current"]; !ok || json.Unmarshal(raw, &current) != nil || current == "" {
		return nil, fmt.Errorf(`boot: the signing secret has no "current" key id (a string)`)
	}
	if !licensekey.ValidKeyID(current) {
		return nil, fmt.Errorf(`boot: the signing secret's "current" is not a key id (1-64 letters, digits, '.', '_' or '-')`)
	}
	materials := map[string]string{}
	add := func(kid string, raw json.RawMessage, where string) error {
		if !licensekey.ValidKeyID(kid) {
			return fmt.Errorf("boot: the signing secret has a %s that is not a key id (1-64 letters, digits, '.', '_' or '-')", where)
		}
		var m string
		if json.Unmarshal(raw, &m) != nil {
			return fmt.Errorf("boot: signing key %q in the secret: its material is not a string", kid)
		}
		if _, dup := materials[kid]; dup {
			return fmt.Errorf(`boot: signing key %q is in the secret twice (in "keys" and at the top level)`, kid)
		}
		materials[kid] = m
		return nil
	}
	if raw, ok := doc["keys"]; ok {
		var keys map[string]json.RawMessage
		if json.Unmarshal(raw, &keys) != nil || keys == nil {
			return nil, fmt.Errorf(`boot: the signing secret's "keys" is not an object of key id to material`)
		}
		for kid, m := range keys {
			if err := add(kid, m, `member of "keys"`); err != nil {
				return nil, err
			}
		}
	}
	for kid, m := range doc {
		if kid == "current" || kid == "keys" {
			continue
		}
		if err := add(kid, m, "top-level member"); err != nil {
			return nil, err
		}
	}
	if len(materials) == 0 {
		return nil, fmt.Errorf(`boot: the signing secret lists no keys`)
	}
	if _, ok := materials[current]; !ok {
		return nil, fmt.Errorf(`boot: the signing secret's current key id %q is not among its keys`, current)
	}
	signer := &api.Signer{KeyID: current, Keys: licensekey.Keyring{}}
	for kid, m := range materials {
		switch {
		case m == "":
			return nil, fmt.Errorf("boot: signing key %q in the secret has empty material", kid)
		case len(m) < minMaterial:
			return nil, fmt.Errorf("boot: signing key %q in the secret: material must be at least %d characters", kid, minMaterial)
		}
		seed := sha256.Sum256([]byte(m))
		key := ed25519.NewKeyFromSeed(seed[:])
		signer.Keys[kid] = key.Public().(ed25519.PublicKey)
		if kid == current {
			signer.Key = key
		}
	}
	return signer, nil
}

// seedSigner is the signer of LICENSE_SIGNING_SEED: one key, whose id names
// its public key, so a new seed gets a new id.
func seedSigner(seed []byte) *api.Signer {
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	kid := hex.EncodeToString(sum[:8])
	return &api.Signer{KeyID: kid, Key: key, Keys: licensekey.Keyring{kid: pub}}
}

// signer is the service's licence-key signer: the secret's when it was
// loaded, else the seed's, else none (signed products answer 503).
func (s Settings) signer() *api.Signer {
	switch {
	case s.signing != nil:
		return s.signing
	case len(s.SigningSeed) == ed25519.SeedSize:
		return seedSigner(s.SigningSeed)
	}
	return nil
}
