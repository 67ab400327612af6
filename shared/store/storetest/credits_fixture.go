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
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// CreditStore is what the credit contract runs on: the use cases' store
// (credit.Store), the fixture writes that set up partners, users and
// purchases, and the reads that check what a change wrote. *store.Store
// has all of it but RevokeCredit, which a committed cancellation does in
// production; shared/store/export_test.go gives it one for the contract.
type CreditStore interface {
	credit.Store
	CreditUser(ctx context.Context, partnerID, userID string) (credit.User, bool, error)
	CreatePartner(ctx context.Context, p partner.Partner, admin partner.User) error
	CreateUser(ctx context.Context, u partner.User) error
	CreatePurchase(ctx context.Context, p benefit.Purchase, lines []benefit.Benefit, owed ...mail.Message) error
	Audit(ctx context.Context, partnerID, benefitID string, limit int, cursor string) ([]audit.Event, string, error)
	RevokeCredit(ctx context.Context, partnerID, benefitID string, at time.Time) error
}

// CreditFixture is what SeedCredits wrote.
type CreditFixture struct {
	// At is when everything was bought; the lines are live from then on.
	At time.Time
	// Partner bought two action packs (a monthly credit of 5 seats each)
	// and two silver packages (an annual credit each); Admin is its global
	// admin and Users are seven more directory users (usr_1 … usr_7).
	Partner, Admin    string
	Users             []string
	Monthly, Monthly2 string
	Annual, Annual2   string
	// NotCredit is a line of Partner's that is not a credit.
	NotCredit string
	// MonthlyExpires and AnnualExpires are when those lines expire.
	MonthlyExpires, AnnualExpires time.Time
	// Other is a second partner with its own action pack and user.
	Other, OtherUser, OtherMonthly string
}

// SeedCredits writes the fixture of the credit contract and use-case tests.
func SeedCredits(t testing.TB, s CreditStore) CreditFixture {
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
	buy := func(partnerID, pkg string, kind catalog.Kind) (creditID, otherID string, expires time.Time) {
		pur, lines, err := benefit.NewPurchase(partnerID, "USD", cat, pkg, at, gen)
		must(err)
		must(s.CreatePurchase(ctx, pur, lines))
		for _, b := range lines {
			switch {
			case b.Kind == kind && creditID == "":
				creditID, expires = b.ID, b.ExpiresAt
			case !b.Kind.IsCredit() && otherID == "":
				otherID = b.ID
			}
		}
		if creditID == "" {
			t.Fatalf("storetest: %s has no %s line", pkg, kind)
		}
		return creditID, otherID, expires
	}
	f := CreditFixture{At: at, Partner: "ptn_a", Admin: "usr_admin_ptn_a", Other: "ptn_b", OtherUser: "usr_b1"}
	newPartner(f.Partner)
	newPartner(f.Other)
	for i := 1; i <= 7; i++ {
		id := fmt.Sprintf("usr_%d", i)
		must(s.CreateUser(ctx, newUser(id, f.Partner, fmt.Sprintf("u%d@ptn-a.example", i))))
		f.Users = append(f.Users, id)
	}
	must(s.CreateUser(ctx, newUser(f.OtherUser, f.Other, "u1@ptn-b.example")))
	f.Monthly, f.NotCredit, f.MonthlyExpires = buy(f.Partner, "action-pack-2026", catalog.CreditMonthly)
	f.Monthly2, _, _ = buy(f.Partner, "action-pack-2026", catalog.CreditMonthly)
	f.Annual, _, f.AnnualExpires = buy(f.Partner, "silver-2026", catalog.CreditAnnual)
	f.Annual2, _, _ = buy(f.Partner, "silver-2026", catalog.CreditAnnual)
	f.OtherMonthly, _, _ = buy(f.Other, "action-pack-2026", catalog.CreditMonthly)
	return f
}

// Seats returns the credit use cases over s.
func Seats(s credit.Store) credit.Seats { return credit.Seats{Store: s, NewID: ids.New} }
