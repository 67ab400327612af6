package licensekey_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/pbs/benefits/shared/licensekey"
)

// A product checks a key offline with the public keys the service publishes
// at GET /v1/software/signing-key.
func ExampleKeyring_Verify() {
	// The service side (in production the key material is a secret, not a constant).
	priv := ed25519.NewKeyFromSeed([]byte("example-seed-example-seed-exampl"))
	key, _ := licensekey.Sign(priv, "k1", licensekey.Claims{
		Partner: "ptn_demo", Product: "dev-tools-suite", Benefit: "ben_123", Expires: "2027-11-24",
	})
	published := `{"algorithm":"Ed25519","format":"PBK2","keyId":"k1","publicKey":"` +
		base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)) + `","keys":[{"keyId":"k1","publicKey":"` +
		base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)) + `","current":true}]}`

	// The product side: only the published keys and this package.
	ring, err := licensekey.ParseKeyring([]byte(published))
	if err != nil {
		panic(err)
	}
	claims, err := ring.Verify(key, time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))
	fmt.Println(claims.KeyID, claims.Product, claims.Expires, err)

	_, err = ring.Verify(key+"x", time.Time{})
	fmt.Println(err)

	// A key signed after a rotation the product has not fetched yet.
	next := ed25519.NewKeyFromSeed([]byte("another-seed-another-seed-anothe"))
	rotated, _ := licensekey.Sign(next, "k2", licensekey.Claims{
		Partner: "ptn_demo", Product: "dev-tools-suite", Benefit: "ben_456", Expires: "2027-11-24",
	})
	_, err = ring.Verify(rotated, time.Time{})
	fmt.Println(errors.Is(err, licensekey.ErrUnknownKey))
	// Output:
	// k1 dev-tools-suite 2027-11-24 <nil>
	// licensekey: not a PBK2 or PBK1 licence key
	// true
}
