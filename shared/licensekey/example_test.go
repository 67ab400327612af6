package licensekey_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/pbs/benefits/shared/licensekey"
)

// A product checks a key offline with the public key the service publishes
// at GET /v1/software/signing-key.
func ExampleVerify() {
	// The service side (in production the seed is a secret, not a constant).
	priv := ed25519.NewKeyFromSeed([]byte("example-seed-example-seed-exampl"))
	key, _ := licensekey.Sign(priv, licensekey.Claims{
		Partner: "ptn_demo", Product: "dev-tools-suite", Benefit: "ben_123", Expires: "2027-11-24",
	})

	published := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))

	// The product side: only the published public key and this package.
	pub, err := licensekey.ParsePublicKey(published)
	if err != nil {
		panic(err)
	}
	claims, err := licensekey.Verify(pub, key, time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))
	fmt.Println(claims.Product, claims.Expires, err)

	_, err = licensekey.Verify(pub, key+"x", time.Time{})
	fmt.Println(err)
	// Output:
	// dev-tools-suite 2027-11-24 <nil>
	// licensekey: not a PBK1 licence key
}
