package storetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/licensekey"
)

// LicenseStore is what the licence contract runs on: the use cases' store
// (license.Store), the fixture writes (partners, purchases, key pools), and
// the reads that check what a change wrote. *store.Store has all of it but
// RevokeLine, which a committed cancellation does in production;
// shared/store/export_test.go gives it one for the contract.
type LicenseStore interface {
	license.Store
	TenantSubscription(ctx context.Context, partnerID, tenantID, product string) (license.Subscription, error)
	ImportKeys(ctx context.Context, product string, keys []string, now time.Time) (imported, duplicates int, err error)
	// PoolLevels is a product's pool: the keys still free and the keys taken.
	PoolLevels(ctx context.Context, product string) (free, taken int64, err error)
	seedStore
	Audit(ctx context.Context, partnerID, benefitID string, limit int, cursor string) ([]audit.Event, string, error)
	RevokeLine(ctx context.Context, partnerID, benefitID string, at time.Time) error
}

// LicenseFixture is what SeedLicenses wrote.
type LicenseFixture struct {
	// At is when everything was bought; the lines are live from then on.
	At time.Time
	// Partner bought three action packs; Admin is its global admin.
	Partner, Admin string
	// Software are the three pooled software lines (server-os-datacenter,
	// whose pool holds two keys, PoolKeys); Signed is a signed-key line
	// (dev-tools-suite).
	Software []string
	PoolKeys []string
	Signed   string
	// Licences are the three licence lines of office-cloud-e3 (5 licences
	// each; its pool holds 20 keys).
	Licences []string
	// NotKeyed is a line of Partner's that takes no key (a credit).
	NotKeyed string
	// Other is a second partner with its own action pack.
	Other, OtherSoftware, OtherLicence string
	cat                                *catalog.Catalog
	gen                                ids.Generator
}

// The products the fixture uses.
const (
	PooledSoftware = "server-os-datacenter"
	SignedSoftware = "dev-tools-suite"
	LicenceProduct = "office-cloud-e3"
)

// SeedLicenses writes the fixture of the licence contract and use-case tests.
func SeedLicenses(t testing.TB, s LicenseStore) LicenseFixture {
	t.Helper()
	sd := newSeeder(t, s)
	f := LicenseFixture{At: seedAt, Partner: "ptn_a", Other: "ptn_b", cat: sd.cat, gen: sd.gen}
	f.Admin = sd.partner(f.Partner)
	sd.partner(f.Other)
	for range 3 {
		lines := f.Buy(t, s, f.Partner)
		f.Software = append(f.Software, lines[PooledSoftware])
		f.Licences = append(f.Licences, lines[LicenceProduct])
		f.Signed, f.NotKeyed = lines[SignedSoftware], lines[string(catalog.CreditMonthly)]
	}
	other := f.Buy(t, s, f.Other)
	f.OtherSoftware, f.OtherLicence = other[PooledSoftware], other[LicenceProduct]
	f.PoolKeys = []string{"SRV01-AAAAA", "SRV02-BBBBB"}
	mustImport(t, s, PooledSoftware, f.PoolKeys...)
	var lic []string
	for i := range 20 {
		lic = append(lic, fmt.Sprintf("E3%03d-CCCCC", i))
	}
	mustImport(t, s, LicenceProduct, lic...)
	return f
}

// Buy buys an action pack for partnerID at f.At and returns its lines'
// ids by product (a credit line under its kind).
func (f LicenseFixture) Buy(t testing.TB, s LicenseStore, partnerID string) map[string]string {
	t.Helper()
	pur, lines, err := benefit.NewPurchase(partnerID, "USD", f.cat, "action-pack-2026", f.At, f.gen)
	must(t, err)
	must(t, s.CreatePurchase(context.Background(), pur, lines))
	out := map[string]string{}
	for _, b := range lines {
		if b.Kind.IsCredit() {
			out[string(b.Kind)] = b.ID
		} else if out[b.Product] == "" {
			out[b.Product] = b.ID
		}
	}
	return out
}

func mustImport(t testing.TB, s LicenseStore, product string, keys ...string) {
	t.Helper()
	if n, _, err := s.ImportKeys(context.Background(), product, keys, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil || n != len(keys) {
		t.Fatalf("import %s: %d of %d, %v", product, n, len(keys), err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSigner signs keys with a fixed Ed25519 key (id "test").
type TestSigner struct{}

// TestSignerKey is TestSigner's private key.
var TestSignerKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// Sign signs c with TestSignerKey.
func (TestSigner) Sign(c licensekey.Claims) (string, error) {
	return licensekey.Sign(TestSignerKey, "test", c)
}

// Keys returns the key and licence use cases over s, with the demo
// catalogue and TestSigner.
func Keys(s license.Store) license.Keys {
	cat, err := catalog.Parse(catalog.Demo)
	if err != nil {
		panic(err)
	}
	return license.Keys{Store: s, NewID: ids.New, Signer: TestSigner{},
		Catalog: func(context.Context) (*catalog.Catalog, error) { return cat, nil }}
}
