package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/visualstudio"
)

// VisualStudioStore is what the Visual Studio contract runs on: the use
// cases' store (visualstudio.Store), the fixture writes, and the read that
// checks what a change wrote. *store.Store has all of it but
// RevokeSubscription, which a committed cancellation does in production;
// shared/store/export_test.go gives it one for the contract.
type VisualStudioStore interface {
	visualstudio.Store
	VisualStudio(ctx context.Context, partnerID, benefitID string) (visualstudio.Subscription, error)
	CreatePartner(ctx context.Context, p partner.Partner, admin partner.User) error
	CreateUser(ctx context.Context, u partner.User) error
	CreatePurchase(ctx context.Context, p benefit.Purchase, lines []benefit.Benefit, owed ...mail.Message) error
	Audit(ctx context.Context, partnerID, benefitID string, limit int, cursor string) ([]audit.Event, string, error)
	RevokeSubscription(ctx context.Context, partnerID, benefitID string, at time.Time) error
}

// VisualStudioFixture is what SeedVisualStudio wrote.
type VisualStudioFixture struct {
	// At is when everything was bought; the lines are live from then on.
	At time.Time
	// Partner bought two action packs (a line of 3 vs-professional
	// subscriptions each); Admin is its global admin and Users are seven
	// more directory users (usr_1 … usr_7).
	Partner, Admin string
	Users          []string
	VS, VS2        string
	// NotVS is a line of Partner's that is not Visual Studio.
	NotVS string
	// Expires is when VS expires.
	Expires time.Time
	// Other is a second partner with its own line and user.
	Other, OtherUser, OtherVS string
}

// SeedVisualStudio writes the fixture of the Visual Studio contract and
// use-case tests.
func SeedVisualStudio(t testing.TB, s VisualStudioStore) VisualStudioFixture {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
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
	newUser := func(id, partnerID, email string, roles ...access.Role) partner.User {
		u, err := partner.NewUser(id, partnerID, email, "User "+id, append([]access.Role{}, roles...), false, at)
		must(err)
		return u
	}
	newPartner := func(id string) {
		p, err := partner.NewPartner(id, "Partner "+id, "USD", "admin@"+id+".example", "en", at)
		must(err)
		must(s.CreatePartner(ctx, p, newUser("usr_admin_"+id, id, p.AccountEmail, access.GlobalAdmin)))
	}
	buy := func(partnerID string) (vsID, otherID string, expires time.Time) {
		pur, lines, err := benefit.NewPurchase(partnerID, "USD", cat, "action-pack-2026", at, gen)
		must(err)
		must(s.CreatePurchase(ctx, pur, lines))
		for _, b := range lines {
			switch {
			case b.Kind == catalog.VisualStudio && vsID == "":
				vsID, expires = b.ID, b.ExpiresAt
			case b.Kind == catalog.Software && otherID == "":
				otherID = b.ID
			}
		}
		if vsID == "" || otherID == "" {
			t.Fatal("storetest: the action pack has no Visual Studio or software line")
		}
		return vsID, otherID, expires
	}
	f := VisualStudioFixture{At: at, Partner: "ptn_a", Admin: "usr_admin_ptn_a", Other: "ptn_b", OtherUser: "usr_b1"}
	newPartner(f.Partner)
	newPartner(f.Other)
	for i := 1; i <= 7; i++ {
		id := fmt.Sprintf("usr_%d", i)
		must(s.CreateUser(ctx, newUser(id, f.Partner, fmt.Sprintf("u%d@ptn-a.example", i))))
		f.Users = append(f.Users, id)
	}
	must(s.CreateUser(ctx, newUser(f.OtherUser, f.Other, "u1@ptn-b.example")))
	f.VS, f.NotVS, f.Expires = buy(f.Partner)
	f.VS2, _, _ = buy(f.Partner)
	f.OtherVS, _, _ = buy(f.Other)
	return f
}

// VisualStudioSeats returns the Visual Studio use cases over s.
func VisualStudioSeats(s visualstudio.Store) visualstudio.Seats {
	return visualstudio.Seats{Store: s, NewID: ids.New}
}
