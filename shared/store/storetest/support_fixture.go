package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/support"
)

// SupportStore is what the support and advisory contracts run on: the use
// cases' stores (support.Store, advisory.Store), the fixture writes that
// set up partners and purchases, and the reads that check what a change
// wrote. *store.Store has all of it but RevokeLine, which a committed
// cancellation does in production; shared/store/export_support_test.go
// gives it one for the contract.
type SupportStore interface {
	support.Store
	advisory.Store
	seedStore
	Audit(ctx context.Context, partnerID, benefitID string, limit int, cursor string) ([]audit.Event, string, error)
	RevokeLine(ctx context.Context, partnerID, benefitID string, at time.Time) error
}

// SupportFixture is what SeedSupport wrote.
type SupportFixture struct {
	// At is now for the tests: every line is live then.
	At      time.Time
	Catalog *catalog.Catalog
	// Partner bought a silver package a month before At (10 incidents, 20
	// advisory hours: these lines expire first) and an action pack at At
	// (5 incidents, 5 hours); Admin is its global admin.
	Partner, Admin             string
	SilverSupport, PackSupport string
	SilverHours, PackHours     string
	// SilverExpires is when the silver lines expire (before the pack's).
	SilverExpires time.Time
	// Other bought one action pack at At: no cloud support (Gold and
	// Silver only).
	Other, OtherAdmin, OtherSupport, OtherHours string
	// Empty bought nothing.
	Empty, EmptyAdmin string
	// Product is an on-premises product of the catalogue; Versions its
	// versions, current first.
	Product  string
	Versions []string
}

// SeedSupport writes the fixture of the support and advisory contracts and
// use-case tests.
func SeedSupport(t testing.TB, s SupportStore) SupportFixture {
	t.Helper()
	sd := newSeeder(t, s)
	at, cat := seedAt, sd.cat
	buy := func(partnerID, pkg string, when time.Time) (supportID, hoursID string, expires time.Time) {
		_, lines := sd.buy(partnerID, pkg, when)
		for _, b := range lines {
			switch b.Kind {
			case catalog.Support:
				supportID, expires = b.ID, b.ExpiresAt
			case catalog.AdvisoryHours:
				hoursID = b.ID
			}
		}
		if supportID == "" || hoursID == "" {
			t.Fatalf("storetest: %s has no support or advisory line", pkg)
		}
		return supportID, hoursID, expires
	}
	f := SupportFixture{At: at, Catalog: cat, Partner: "ptn_a", Other: "ptn_b", Empty: "ptn_c"}
	f.Admin, f.OtherAdmin, f.EmptyAdmin = sd.partner(f.Partner), sd.partner(f.Other), sd.partner(f.Empty)
	f.SilverSupport, f.SilverHours, f.SilverExpires = buy(f.Partner, "silver-2026", at.AddDate(0, -1, 0))
	f.PackSupport, f.PackHours, _ = buy(f.Partner, "action-pack-2026", at)
	f.OtherSupport, f.OtherHours, _ = buy(f.Other, "action-pack-2026", at)
	for id, p := range cat.Products {
		if p.Kind == catalog.Software && len(p.Versions) >= 3 && (f.Product == "" || id < f.Product) {
			f.Product, f.Versions = id, p.Versions
		}
	}
	if f.Product == "" {
		t.Fatal("storetest: the demo catalogue has no product with three versions")
	}
	return f
}

// Desk returns the support use cases over s.
func Desk(s support.Store) support.Desk { return support.Desk{Store: s, NewID: ids.New} }

// Hours returns the advisory use cases over s.
func Hours(s advisory.Store) advisory.Hours { return advisory.Hours{Store: s, NewID: ids.New} }
