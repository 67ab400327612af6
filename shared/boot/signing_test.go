package boot

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/pbs/benefits/shared/licensekey"
)

// Test material: long enough, and easy to spot if an error ever quotes it.
const (
	material1 = "MATERIAL-ONE-0123456789abcdefghijklmnopqrstuvwxyz"
	material2 = "MATERIAL-TWO-0123456789abcdefghijklmnopqrstuvwxyz"
)

// fakeSecrets is a SecretSource over a map, counting reads.
type fakeSecrets struct {
	values map[string]string
	err    error
	reads  int
}

func (f *fakeSecrets) SecretString(_ context.Context, id string) (string, error) {
	f.reads++
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.values[id]
	if !ok {
		return "", errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret")
	}
	return v, nil
}

func pubOfMaterial(m string) ed25519.PublicKey {
	seed := sha256.Sum256([]byte(m))
	return ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
}

func TestParseSigningSecret(t *testing.T) {
	for name, secret := range map[string]string{
		"nested": `{"current":"k2","keys":{"k1":"` + material1 + `","k2":"` + material2 + `"}}`,
		// What GenerateSecretString makes (template {"current":"k1"}, GenerateStringKey "k1"), after a rotation.
		"top level": `{"current":"k2","k1":"` + material1 + `","k2":"` + material2 + `"}`,
		"mixed":     `{"current":"k2","k1":"` + material1 + `","keys":{"k2":"` + material2 + `"}}`,
	} {
		s, err := ParseSigningSecret(secret)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.KeyID != "k2" || len(s.Keys) != 2 || !s.Keys["k1"].Equal(pubOfMaterial(material1)) || !s.Keys["k2"].Equal(pubOfMaterial(material2)) {
			t.Errorf("%s: signer %s %v", name, s.KeyID, s.Keys)
		}
		// The current private key is SHA-256 of the current key's material.
		if !s.Key.Public().(ed25519.PublicKey).Equal(pubOfMaterial(material2)) {
			t.Errorf("%s: the private key is not k2's", name)
		}
	}
}

func TestParseSigningSecretErrorsNeverQuoteMaterial(t *testing.T) {
	cases := []struct{ name, secret, want string }{
		{"not JSON", `{"current":"k1","keys":{"k1":"` + material1 + `"`, "not valid JSON"},
		{"bad byte", material1, "not valid JSON"},
		{"not an object", `["` + material1 + `"]`, "not a JSON object"},
		{"no current", `{"keys":{"k1":"` + material1 + `"}}`, `no "current"`},
		{"empty current", `{"current":"","keys":{"k1":"` + material1 + `"}}`, `no "current"`},
		{"current not a string", `{"current":1,"keys":{"k1":"` + material1 + `"}}`, `no "current"`},
		{"current not a key id", `{"current":"k 1","keys":{"k1":"` + material1 + `"}}`, `"current" is not a key id`},
		{"current not in keys", `{"current":"k2","keys":{"k1":"` + material1 + `"}}`, `current key id "k2" is not among its keys`},
		{"no keys", `{"current":"k1"}`, "lists no keys"},
		{"keys not an object", `{"current":"k1","keys":"` + material1 + `"}`, `"keys" is not an object`},
		{"empty material", `{"current":"k1","keys":{"k1":""}}`, `signing key "k1" in the secret has empty material`},
		{"short material", `{"current":"k1","keys":{"k1":"MATERIAL-short"}}`, "at least 32 characters"},
		{"material not a string", `{"current":"k1","keys":{"k1":{"v":"` + material1 + `"}}}`, "not a string"},
		{"bad key id", `{"current":"k1","keys":{"k1":"` + material1 + `","` + material2 + `!":"` + material2 + `"}}`, "not a key id"},
		{"twice", `{"current":"k1","k1":"` + material1 + `","keys":{"k1":"` + material2 + `"}}`, "twice"},
	}
	for _, tc := range cases {
		_, err := ParseSigningSecret(tc.secret)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "MATERIAL") {
			t.Errorf("%s: the error quotes key material: %v", tc.name, err)
		}
	}
}

func TestNewServiceSignsWithTheSecretsCurrentKey(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:license-signing-AbCdEf"
	src := &fakeSecrets{values: map[string]string{arn: `{"current":"k2","keys":{"k1":"` + material1 + `","k2":"` + material2 + `"}}`}}
	s, err := FromEnv(func(k string) string {
		return map[string]string{"TABLE_NAME": "t", "LICENSE_SIGNING_SECRET_ARN": arn}[k]
	})
	if err != nil || s.SigningSecretARN != arn {
		t.Fatalf("FromEnv: %+v %v", s, err)
	}
	if NewService(s, nil, nil, nil).Signer != nil {
		t.Error("a signer before the secret was read")
	}
	if err := s.LoadSigningSecret(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	signer := NewService(s, nil, nil, nil).Signer
	if signer == nil || signer.KeyID != "k2" || len(signer.Keys) != 2 || src.reads != 1 {
		t.Fatalf("signer %+v after %d reads", signer, src.reads)
	}
	// New licence keys carry k2; keys signed earlier with k1 still verify with what is published.
	c := licensekey.Claims{Partner: "ptn_1", Product: "p", Benefit: "b", Expires: "2027-01-01"}
	key, err := licensekey.Sign(signer.Key, signer.KeyID, c)
	if err != nil {
		t.Fatal(err)
	}
	seed1 := sha256.Sum256([]byte(material1))
	old, _ := licensekey.Sign(ed25519.NewKeyFromSeed(seed1[:]), "k1", c)
	for _, k := range []string{key, old} {
		if _, err := signer.Keys.Verify(k, time.Time{}); err != nil {
			t.Errorf("verify with the published keys: %v", err)
		}
	}

	// A read that fails says which variable, and nothing is kept.
	s.signing = nil
	src.err = errors.New("AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue")
	if err := s.LoadSigningSecret(context.Background(), src); err == nil || !strings.Contains(err.Error(), "LICENSE_SIGNING_SECRET_ARN") ||
		!strings.Contains(err.Error(), "AccessDenied") || s.signer() != nil {
		t.Errorf("failed read: %v", err)
	}
	// A bad secret is an error at cold start, without the material.
	src.err, src.values[arn] = nil, `{"current":"k3","keys":{"k1":"`+material1+`"}}`
	if err := s.LoadSigningSecret(context.Background(), src); err == nil || strings.Contains(err.Error(), "MATERIAL") {
		t.Errorf("bad secret: %v", err)
	}
}

func TestOnlyGetKeyReadsTheSigningSecret(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:license-signing-AbCdEf"
	src := &fakeSecrets{values: map[string]string{arn: `{"current":"k1","k1":"` + material1 + `"}`}}
	withFake := WithSecrets(func(aws.Config) *fakeSecrets { return src })
	ctx := context.Background()

	s := Settings{TableName: "t", SigningSecretARN: arn}
	if err := s.loadSigning(ctx, "benefits", aws.Config{}, []Option{withFake}); err != nil || src.reads != 0 || s.signer() != nil {
		t.Errorf("benefits read the secret: %v, %d reads", err, src.reads)
	}
	if err := s.loadSigning(ctx, "get-key", aws.Config{}, nil); err == nil || !strings.Contains(err.Error(), "WithSecrets") {
		t.Errorf("get-key without a secret source: %v", err)
	}
	if err := s.loadSigning(ctx, "get-key", aws.Config{}, []Option{withFake}); err != nil || src.reads != 1 {
		t.Fatalf("get-key: %v, %d reads", err, src.reads)
	}
	if sg := s.signer(); sg == nil || sg.KeyID != "k1" || !sg.Keys["k1"].Equal(pubOfMaterial(material1)) {
		t.Errorf("get-key signer %+v", sg)
	}
	// Without the variable nothing is read, whichever function.
	none := Settings{TableName: "t"}
	if err := none.loadSigning(ctx, "get-key", aws.Config{}, []Option{withFake}); err != nil || src.reads != 1 {
		t.Errorf("no ARN: %v, %d reads", err, src.reads)
	}
}

func TestSeedSignerPublishesItsKey(t *testing.T) {
	seed := []byte("0123456789abcdef0123456789abcdef")
	s := seedSigner(seed)
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	if s.KeyID != hex.EncodeToString(sum[:8]) || len(s.Keys) != 1 || !s.Keys[s.KeyID].Equal(pub) {
		t.Errorf("seed signer %s %v", s.KeyID, s.Keys)
	}
}
