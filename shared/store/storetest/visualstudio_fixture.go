package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/visualstudio"
)

// VisualStudioStore is what the Visual Studio contract runs on: the use
// cases' store (visualstudio.Store), the fixture writes, and the reads that
// check what a change wrote. *store.Store has all of it but
// RevokeSubscription, which a committed cancellation does in production;
// shared/store/export_test.go gives it one for the contract.
type VisualStudioStore interface {
	visualstudio.Store
	// Benefit reads one line of the partner's alone; another partner's id,
	// or none, is apperr.ErrNotFound.
	Benefit(ctx context.Context, partnerID, benefitID string) (benefit.Benefit, error)
	VisualStudio(ctx context.Context, partnerID, benefitID string) (visualstudio.Subscription, error)
	seedStore
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
	sd := newSeeder(t, s)
	buy := func(partnerID string) (vsID, otherID string, expires time.Time) {
		_, lines := sd.buy(partnerID, "action-pack-2026", seedAt)
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
	f := VisualStudioFixture{At: seedAt, Partner: "ptn_a", Other: "ptn_b", OtherUser: "usr_b1"}
	f.Admin, f.Users = sd.twoPartners(f.Partner, f.Other, f.OtherUser)
	f.VS, f.NotVS, f.Expires = buy(f.Partner)
	f.VS2, _, _ = buy(f.Partner)
	f.OtherVS, _, _ = buy(f.Other)
	return f
}

// VisualStudioSeats returns the Visual Studio use cases over s.
func VisualStudioSeats(s visualstudio.Store) visualstudio.Seats {
	return visualstudio.Seats{Store: s, NewID: ids.New}
}
