package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/ids"
)

// CreditStore is what the credit contract runs on: the use cases' store
// (credit.Store), the fixture writes that set up partners, users and
// purchases, and the reads that check what a change wrote. *store.Store
// has all of it but RevokeCredit, which a committed cancellation does in
// production; shared/store/export_test.go gives it one for the contract.
type CreditStore interface {
	credit.Store
	CreditUser(ctx context.Context, partnerID, userID string) (credit.User, bool, error)
	seedStore
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
	sd := newSeeder(t, s)
	buy := func(partnerID, pkg string, kind catalog.Kind) (creditID, otherID string, expires time.Time) {
		_, lines := sd.buy(partnerID, pkg, seedAt)
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
	f := CreditFixture{At: seedAt, Partner: "ptn_a", Other: "ptn_b", OtherUser: "usr_b1"}
	f.Admin, f.Users = sd.twoPartners(f.Partner, f.Other, f.OtherUser)
	f.Monthly, f.NotCredit, f.MonthlyExpires = buy(f.Partner, "action-pack-2026", catalog.CreditMonthly)
	f.Monthly2, _, _ = buy(f.Partner, "action-pack-2026", catalog.CreditMonthly)
	f.Annual, _, f.AnnualExpires = buy(f.Partner, "silver-2026", catalog.CreditAnnual)
	f.Annual2, _, _ = buy(f.Partner, "silver-2026", catalog.CreditAnnual)
	f.OtherMonthly, _, _ = buy(f.Other, "action-pack-2026", catalog.CreditMonthly)
	return f
}

// Seats returns the credit use cases over s.
func Seats(s credit.Store) credit.Seats { return credit.Seats{Store: s, NewID: ids.New} }
