package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/gtm"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// GTMStore is what the go-to-market contract runs on: gtm.Store, the
// fixture writes, the reads that check what a change wrote, and the
// revocation a committed cancellation does (shared/store's export_test.go
// gives *store.Store one).
type GTMStore interface {
	gtm.Store
	Benefit(ctx context.Context, partnerID, benefitID string) (benefit.Benefit, error)
	CreatePartner(ctx context.Context, p partner.Partner, admin partner.User) error
	CreateUser(ctx context.Context, u partner.User) error
	CreatePurchase(ctx context.Context, p benefit.Purchase, lines []benefit.Benefit, owed ...mail.Message) error
	Audit(ctx context.Context, partnerID, benefitID string, limit int, cursor string) ([]audit.Event, string, error)
	OutboxMail(ctx context.Context, id string) (mail.Queued, error)
	RevokeLine(ctx context.Context, partnerID, benefitID string, at time.Time) error
}

// GTMFixture is what SeedGTM wrote.
type GTMFixture struct {
	// At is now for the tests: every line is live then.
	At      time.Time
	Catalog *catalog.Catalog
	// Partner ("Partner ptn_g") bought a silver package at At: Offer is its
	// go-to-market offer line, Software a line of another kind. Admin is
	// its global admin; User and Other are directory users (account
	// emails user@… and other@…).
	Partner, Admin, User, Other string
	Offer, Software             string
	// Second is another partner with its own silver offer, SecondOffer,
	// and user SecondUser.
	Second, SecondAdmin, SecondUser, SecondOffer string
}

// SeedGTM writes the fixture of the go-to-market contract and use-case
// tests.
func SeedGTM(t testing.TB, s GTMStore) GTMFixture {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	cat, err := catalog.Parse(catalog.Demo)
	if err != nil {
		t.Fatal(err)
	}
	gen := ids.Sequence()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	newPartner := func(id string) (admin, user string) {
		p, err := partner.NewPartner(partner.Partner{ID: id, Name: "Partner " + id, Currency: "USD", AccountEmail: "admin@" + id + ".example", Language: "en", CreatedAt: at})
		must(err)
		a, err := partner.NewUser(partner.User{ID: "usr_admin_" + id, PartnerID: id, Email: p.AccountEmail, DisplayName: "Admin " + id, Roles: []access.Role{access.GlobalAdmin}, CreatedAt: at})
		must(err)
		must(s.CreatePartner(ctx, p, a))
		u, err := partner.NewUser(partner.User{ID: "usr_user_" + id, PartnerID: id, Email: "user@" + id + ".example", DisplayName: "User " + id, CreatedAt: at})
		must(err)
		must(s.CreateUser(ctx, u))
		return a.ID, u.ID
	}
	buy := func(partnerID string) (offer, software string) {
		pur, lines, err := benefit.NewPurchase(partnerID, "USD", cat, "silver-2026", at, gen)
		must(err)
		must(s.CreatePurchase(ctx, pur, lines))
		for _, b := range lines {
			switch {
			case b.Kind == catalog.GTMOffer && offer == "":
				offer = b.ID
			case b.Kind == catalog.Software && software == "":
				software = b.ID
			}
		}
		if offer == "" || software == "" {
			t.Fatal("storetest: silver-2026 has no offer or software line")
		}
		return offer, software
	}
	f := GTMFixture{At: at, Catalog: cat, Partner: "ptn_g", Second: "ptn_h"}
	f.Admin, f.User = newPartner(f.Partner)
	o, err := partner.NewUser(partner.User{ID: "usr_other_" + f.Partner, PartnerID: f.Partner, Email: "other@" + f.Partner + ".example", DisplayName: "Other", CreatedAt: at})
	must(err)
	must(s.CreateUser(ctx, o))
	f.Other = o.ID
	f.SecondAdmin, f.SecondUser = newPartner(f.Second)
	f.Offer, f.Software = buy(f.Partner)
	f.SecondOffer, _ = buy(f.Second)
	return f
}

// PublicURL is the base URL of the links the use cases mail in the tests.
const PublicURL = "https://benefits.example"

// Offers returns the go-to-market use cases over s, with the demo
// catalogue and PublicURL.
func Offers(s gtm.Store, cat *catalog.Catalog) gtm.Offers {
	return gtm.Offers{Store: s, NewID: ids.New, PublicURL: PublicURL,
		Catalog: func(context.Context) (*catalog.Catalog, error) { return cat, nil }}
}
