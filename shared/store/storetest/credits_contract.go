package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
)

// CreditContract is what every credit.Store must do: read a credit as
// bought, keep partners apart, hand the decision the directory user, write
// each change with its seats, offers and event, write nothing when the
// decision refuses, and fence every write by the state the decision read
// (credit count, seat, user offers, holder, revocation), reading and
// deciding again after a lost race and answering credit.ErrBusy after
// credit.Attempts lost rounds. newStore returns an empty store per case.
func CreditContract(t *testing.T, newStore func(t *testing.T) CreditStore) {
	run := caseRunner(t, newStore, SeedCredits)
	ctx := store.NoWait(context.Background()) // lost rounds run again at once

	run("ReadsACreditAsBought", func(t *testing.T, s CreditStore, fx CreditFixture) {
		c := mustCredit(t, s, fx.Partner, fx.Monthly)
		if c.BenefitID != fx.Monthly || c.PartnerID != fx.Partner || c.Kind != catalog.CreditMonthly || c.Quantity != 5 ||
			c.PerSeat.Amount <= 0 || c.PerSeat.Currency != "USD" || c.Seats != 0 || len(c.Holders) != 0 || c.Balance != 0 ||
			len(c.Grants) != 0 || c.NextPeriod != credit.PeriodOf(fx.At).Next() || !c.DueFor.IsZero() || c.Revoked ||
			!c.ExpiresAt.Equal(fx.MonthlyExpires) || c.Holder != "" || !c.EnrolledAt.IsZero() {
			t.Fatalf("monthly as bought: %+v", c)
		}
		if a := mustCredit(t, s, fx.Partner, fx.Annual); a.Kind != catalog.CreditAnnual || a.Quantity != 1 || a.Seats != 0 {
			t.Fatalf("annual as bought: %+v", a)
		}
	})

	run("NotFoundOutsideThePartnersCredits", func(t *testing.T, s CreditStore, fx CreditFixture) {
		for _, k := range [][2]string{{fx.Partner, fx.OtherMonthly}, {fx.Other, fx.Monthly}, {fx.Partner, fx.NotCredit}, {fx.Partner, "ben_unknown"}} {
			if _, err := s.Credit(ctx, k[0], k[1]); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("Credit(%s, %s): %v, want not found", k[0], k[1], err)
			}
			err := s.UpdateCredit(ctx, k[0], k[1], fx.Users[0], func(credit.Credit, credit.User, bool) (credit.Change, error) {
				t.Errorf("UpdateCredit(%s, %s) decided", k[0], k[1])
				return credit.Change{}, nil
			})
			if !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("UpdateCredit(%s, %s): %v, want not found", k[0], k[1], err)
			}
		}
	})

	run("DecisionGetsTheDirectoryUser", func(t *testing.T, s CreditStore, fx CreditFixture) {
		for _, tc := range []struct {
			userID string
			found  bool
		}{{fx.Users[0], true}, {fx.OtherUser, false}, {"usr_unknown", false}, {"", false}} {
			var got credit.User
			var found bool
			if err := s.UpdateCredit(ctx, fx.Partner, fx.Monthly, tc.userID, func(_ credit.Credit, u credit.User, f bool) (credit.Change, error) {
				got, found = u, f
				return credit.Change{}, nil
			}); err != nil {
				t.Fatal(err)
			}
			if found != tc.found || (found && (got.ID != tc.userID || got.Email == "" || got.DisplayName == "" || len(got.Offers) != 0 || got.Annual != "")) {
				t.Errorf("user %q: %+v found=%v, want found=%v", tc.userID, got, found, tc.found)
			}
		}
		wantEvents(t, s, fx.Partner, fx.Monthly) // OpNone wrote nothing
	})

	run("AssignWritesSeatCountDueMonthOfferAndEvent", func(t *testing.T, s CreditStore, fx CreditFixture) {
		mustAssign(t, s, fx, fx.Monthly, fx.Users[1])
		mustAssign(t, s, fx, fx.Monthly, fx.Users[0])
		c := mustCredit(t, s, fx.Partner, fx.Monthly)
		if c.Seats != 2 || !slices.Equal(holderIDs(c), []string{fx.Users[0], fx.Users[1]}) || c.DueFor != credit.PeriodOf(fx.At).Next() ||
			c.NextPeriod != c.DueFor || c.Holders[0].Email == "" || !c.Holders[0].AssignedAt.Equal(fx.At) {
			t.Fatalf("after two assignments: %+v", c)
		}
		if u := mustUser(t, s, fx.Partner, fx.Users[0]); !slices.Equal(u.Offers, []string{fx.Monthly}) || u.Annual != "" {
			t.Fatalf("offers: %+v", u)
		}
		es := wantEvents(t, s, fx.Partner, fx.Monthly, audit.CreditAssigned, audit.CreditAssigned)
		if e := es[0]; e.UserID != fx.Users[0] || e.Actor != fx.Admin || e.PartnerID != fx.Partner || !e.At.Equal(fx.At) {
			t.Fatalf("event: %+v", e)
		}
	})

	run("AnnualAssignEnrolsGrantsAndMarksTheUser", func(t *testing.T, s CreditStore, fx CreditFixture) {
		mustAssign(t, s, fx, fx.Annual, fx.Users[0])
		c := mustCredit(t, s, fx.Partner, fx.Annual)
		start, end := credit.Enrolment(fx.At)
		if c.Seats != 1 || c.Holder != fx.Users[0] || !c.EnrolledAt.Equal(start) || !c.EnrolmentEndsAt.Equal(end) ||
			c.Balance != c.PerSeat.Amount || len(c.Grants) != 1 || c.Grants[0].Period != credit.PeriodOf(fx.At) ||
			c.Grants[0].Amount != c.PerSeat.Amount || !c.DueFor.IsZero() {
			t.Fatalf("annual after assignment: %+v", c)
		}
		if u := mustUser(t, s, fx.Partner, fx.Users[0]); u.Annual != fx.Annual || !slices.Equal(u.Offers, []string{fx.Annual}) {
			t.Fatalf("offers: %+v", u)
		}
	})

	run("RemoveFreesTheSeatAndTheLastLeavesTheDueIndex", func(t *testing.T, s CreditStore, fx CreditFixture) {
		mustAssign(t, s, fx, fx.Monthly, fx.Users[0])
		mustAssign(t, s, fx, fx.Monthly, fx.Users[1])
		seats := Seats(s)
		if err := seats.Remove(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[0], fx.At); err != nil {
			t.Fatal(err)
		}
		if c := mustCredit(t, s, fx.Partner, fx.Monthly); c.Seats != 1 || c.DueFor.IsZero() || !slices.Equal(holderIDs(c), fx.Users[1:2]) {
			t.Fatalf("after one removal: %+v", c)
		}
		if u := mustUser(t, s, fx.Partner, fx.Users[0]); len(u.Offers) != 0 {
			t.Fatalf("offers after removal: %+v", u)
		}
		if err := seats.Remove(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[1], fx.At); err != nil {
			t.Fatal(err)
		}
		if c := mustCredit(t, s, fx.Partner, fx.Monthly); c.Seats != 0 || !c.DueFor.IsZero() || len(c.Holders) != 0 {
			t.Fatalf("after the last removal: %+v", c)
		}
		wantEvents(t, s, fx.Partner, fx.Monthly, audit.CreditRemoved, audit.CreditRemoved, audit.CreditAssigned, audit.CreditAssigned)
	})

	run("TransferMovesHolderSeatsAndOffersNotMoney", func(t *testing.T, s CreditStore, fx CreditFixture) {
		mustAssign(t, s, fx, fx.Annual, fx.Users[0])
		before := mustCredit(t, s, fx.Partner, fx.Annual)
		if _, err := Seats(s).Transfer(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[1], fx.At.AddDate(0, 1, 0)); err != nil {
			t.Fatal(err)
		}
		c := mustCredit(t, s, fx.Partner, fx.Annual)
		if c.Holder != fx.Users[1] || !slices.Equal(holderIDs(c), fx.Users[1:2]) || c.Seats != 1 || c.Balance != before.Balance ||
			len(c.Grants) != 1 || !c.EnrolledAt.Equal(before.EnrolledAt) {
			t.Fatalf("after transfer: %+v", c)
		}
		if u := mustUser(t, s, fx.Partner, fx.Users[0]); len(u.Offers) != 0 || u.Annual != "" {
			t.Fatalf("old holder's offers: %+v", u)
		}
		if u := mustUser(t, s, fx.Partner, fx.Users[1]); u.Annual != fx.Annual {
			t.Fatalf("new holder's offers: %+v", u)
		}
		es := wantEvents(t, s, fx.Partner, fx.Annual, audit.CreditTransferred, audit.CreditAssigned)
		if es[0].UserID != fx.Users[1] || es[0].Detail["fromUserId"] != fx.Users[0] {
			t.Fatalf("transfer event: %+v", es[0])
		}
	})

	run("RefusedDecisionWritesNothing", func(t *testing.T, s CreditStore, fx CreditFixture) {
		var calls int
		err := s.UpdateCredit(ctx, fx.Partner, fx.Monthly, fx.Users[0], func(credit.Credit, credit.User, bool) (credit.Change, error) {
			calls++
			return credit.Change{}, credit.ErrNoSeatsLeft
		})
		if !errors.Is(err, credit.ErrNoSeatsLeft) || calls != 1 {
			t.Fatalf("err %v after %d decisions, want no_seats_left after 1", err, calls)
		}
		if c := mustCredit(t, s, fx.Partner, fx.Monthly); c.Seats != 0 {
			t.Fatalf("written: %+v", c)
		}
		wantEvents(t, s, fx.Partner, fx.Monthly)
	})

	run("ChangeWithoutItsEventIsRefused", func(t *testing.T, s CreditStore, fx CreditFixture) {
		err := s.UpdateCredit(ctx, fx.Partner, fx.Monthly, fx.Users[0], func(c credit.Credit, u credit.User, found bool) (credit.Change, error) {
			a, err := c.Assign(u, found, fx.At)
			return credit.Change{Op: credit.OpAssign, Assignment: a}, err
		})
		if err == nil || errors.Is(err, credit.ErrBusy) {
			t.Fatalf("err %v, want a plain error", err)
		}
		if c := mustCredit(t, s, fx.Partner, fx.Monthly); c.Seats != 0 {
			t.Fatalf("written: %+v", c)
		}
	})

	run("LostRaceIsReadAndDecidedAgain", func(t *testing.T, s CreditStore, fx CreditFixture) {
		var seen []int
		err := s.UpdateCredit(ctx, fx.Partner, fx.Monthly, fx.Users[0], func(c credit.Credit, u credit.User, found bool) (credit.Change, error) {
			seen = append(seen, c.Seats)
			if len(seen) == 1 { // another request takes the first seat meanwhile
				mustAssign(t, s, fx, fx.Monthly, fx.Users[1])
			}
			return assignChange(fx, c, u, found)
		})
		if err != nil || !slices.Equal(seen, []int{0, 1}) {
			t.Fatalf("err %v, decisions saw seats %v, want nil after [0 1]", err, seen)
		}
		if c := mustCredit(t, s, fx.Partner, fx.Monthly); c.Seats != 2 || len(c.Holders) != 2 {
			t.Fatalf("after the race: %+v", c)
		}
	})

	run("UserOffersAreFenced", func(t *testing.T, s CreditStore, fx CreditFixture) {
		// The user takes an annual credit between the monthly decision's read
		// and its write: the write fails, the next decision refuses.
		err := s.UpdateCredit(ctx, fx.Partner, fx.Monthly, fx.Users[0], racing(func() { mustAssign(t, s, fx, fx.Annual, fx.Users[0]) }, fx))
		if !errors.Is(err, credit.ErrNotCombinable) {
			t.Fatalf("monthly after a racing annual: %v, want offer_not_combinable", err)
		}
		// And the other way round.
		err = s.UpdateCredit(ctx, fx.Partner, fx.Annual2, fx.Users[1], racing(func() { mustAssign(t, s, fx, fx.Monthly, fx.Users[1]) }, fx))
		if !errors.Is(err, credit.ErrNotCombinable) {
			t.Fatalf("annual after a racing monthly: %v, want offer_not_combinable", err)
		}
		if c := mustCredit(t, s, fx.Partner, fx.Monthly); !slices.Equal(holderIDs(c), fx.Users[1:2]) {
			t.Fatalf("monthly holders: %v", holderIDs(c))
		}
		if c := mustCredit(t, s, fx.Partner, fx.Annual2); c.Seats != 0 {
			t.Fatalf("annual 2: %+v", c)
		}
	})

	run("RevocationIsFenced", func(t *testing.T, s CreditStore, fx CreditFixture) {
		err := s.UpdateCredit(ctx, fx.Partner, fx.Monthly, fx.Users[0], racing(func() {
			if err := s.RevokeCredit(ctx, fx.Partner, fx.Monthly, fx.At); err != nil {
				t.Error(err)
			}
		}, fx))
		if !errors.Is(err, benefit.ErrRevoked) {
			t.Fatalf("assignment after a racing revocation: %v, want benefit_revoked", err)
		}
		if c := mustCredit(t, s, fx.Partner, fx.Monthly); !c.Revoked || c.Seats != 0 {
			t.Fatalf("after: %+v", c)
		}
	})

	run("TransferIsFencedByTheHolder", func(t *testing.T, s CreditStore, fx CreditFixture) {
		mustAssign(t, s, fx, fx.Annual, fx.Users[0])
		later := fx.At.AddDate(0, 1, 0)
		var calls int
		err := s.UpdateCredit(ctx, fx.Partner, fx.Annual, fx.Users[2], func(c credit.Credit, u credit.User, found bool) (credit.Change, error) {
			if calls++; calls == 1 {
				if _, err := Seats(s).Transfer(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[1], later); err != nil {
					t.Error(err)
				}
			}
			a, err := c.Transfer(u, found, later)
			ev := audit.New(ids.New, fx.Partner, fx.Admin, audit.CreditTransferred, fx.Annual, later).About(u.ID, map[string]string{"fromUserId": c.Holder})
			return credit.Change{Op: credit.OpTransfer, Assignment: a, Event: ev}, err
		})
		if err != nil || calls != 2 {
			t.Fatalf("err %v after %d decisions, want nil after 2", err, calls)
		}
		if c := mustCredit(t, s, fx.Partner, fx.Annual); c.Holder != fx.Users[2] || !slices.Equal(holderIDs(c), fx.Users[2:3]) {
			t.Fatalf("after: %+v", c)
		}
		for _, id := range fx.Users[:2] {
			if u := mustUser(t, s, fx.Partner, id); len(u.Offers) != 0 {
				t.Fatalf("%s still holds %v", id, u.Offers)
			}
		}
		es := wantEvents(t, s, fx.Partner, fx.Annual, audit.CreditTransferred, audit.CreditTransferred, audit.CreditAssigned)
		if es[0].Detail["fromUserId"] != fx.Users[1] {
			t.Fatalf("the second transfer was decided from %q", es[0].Detail["fromUserId"])
		}
	})

	run("BusyAfterAttemptsLostRounds", func(t *testing.T, s CreditStore, fx CreditFixture) {
		var calls int
		err := s.UpdateCredit(ctx, fx.Partner, fx.Monthly, fx.Users[0], func(c credit.Credit, u credit.User, found bool) (credit.Change, error) {
			calls++
			// Every round, another request changes the seat count after the read.
			if c.Seats == 0 {
				mustAssign(t, s, fx, fx.Monthly, fx.Users[1])
			} else if err := Seats(s).Remove(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[1], fx.At); err != nil {
				t.Error(err)
			}
			return assignChange(fx, c, u, found)
		})
		if !errors.Is(err, credit.ErrBusy) || calls != credit.Attempts {
			t.Fatalf("err %v after %d decisions, want credit_busy after %d", err, calls, credit.Attempts)
		}
		if c := mustCredit(t, s, fx.Partner, fx.Monthly); c.Holds(fx.Users[0]) {
			t.Fatalf("written: %+v", c)
		}
	})

	run("ConcurrentAssignmentsNeverExceedTheQuantity", func(t *testing.T, s CreditStore, fx CreditFixture) {
		var ok atomic.Int32
		var wg sync.WaitGroup
		for _, id := range fx.Users { // 7 users, 5 seats
			wg.Go(func() {
				_, _, err := Seats(s).Assign(ctx, fx.Partner, fx.Admin, fx.Monthly, id, fx.At)
				switch {
				case err == nil:
					ok.Add(1)
				case !errors.Is(err, credit.ErrNoSeatsLeft) && !errors.Is(err, credit.ErrBusy):
					t.Errorf("%s: %v", id, err)
				}
			})
		}
		wg.Wait()
		c := mustCredit(t, s, fx.Partner, fx.Monthly)
		if int(ok.Load()) != c.Seats || len(c.Holders) != c.Seats || c.Seats > c.Quantity || c.Seats == 0 {
			t.Fatalf("%d assigned, credit %d seats %d holders of %d", ok.Load(), c.Seats, len(c.Holders), c.Quantity)
		}
		if es, _, _ := s.Audit(ctx, fx.Partner, fx.Monthly, 100, ""); len(es) != c.Seats {
			t.Fatalf("%d events for %d seats", len(es), c.Seats)
		}
	})
}

// racing is an assignment decision that lets race run once, between its
// first read and its write.
func racing(race func(), fx CreditFixture) credit.Decide {
	var once sync.Once
	return func(c credit.Credit, u credit.User, found bool) (credit.Change, error) {
		once.Do(race)
		return assignChange(fx, c, u, found)
	}
}

// assignChange is the assignment use case's decision, by fx.Admin at fx.At.
func assignChange(fx CreditFixture, c credit.Credit, u credit.User, found bool) (credit.Change, error) {
	a, err := c.Assign(u, found, fx.At)
	if err != nil || a.Already {
		return credit.Change{}, err
	}
	ev := audit.New(ids.New, fx.Partner, fx.Admin, audit.CreditAssigned, c.BenefitID, fx.At).About(u.ID, nil)
	return credit.Change{Op: credit.OpAssign, Assignment: a, Event: ev}, nil
}

func mustAssign(t *testing.T, s CreditStore, fx CreditFixture, benefitID, userID string) {
	t.Helper()
	if _, _, err := Seats(s).Assign(context.Background(), fx.Partner, fx.Admin, benefitID, userID, fx.At); err != nil {
		t.Fatalf("assign %s to %s: %v", userID, benefitID, err)
	}
}

func mustCredit(t *testing.T, s credit.Store, partnerID, benefitID string) credit.Credit {
	t.Helper()
	c, err := s.Credit(context.Background(), partnerID, benefitID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustUser(t *testing.T, s CreditStore, partnerID, userID string) credit.User {
	t.Helper()
	u, found, err := s.CreditUser(context.Background(), partnerID, userID)
	if err != nil || !found {
		t.Fatalf("user %s: found %v, %v", userID, found, err)
	}
	return u
}

func holderIDs(c credit.Credit) []string {
	var out []string
	for _, h := range c.Holders {
		out = append(out, h.UserID)
	}
	return out
}

// auditReader reads a partner's history (every noun's store does).
type auditReader interface {
	Audit(ctx context.Context, partnerID, benefitID string, limit int, cursor string) ([]audit.Event, string, error)
}

// wantEvents checks a benefit's history (a partner's whole history for
// benefitID ""), newest first, and returns it.
func wantEvents(t *testing.T, s auditReader, partnerID, benefitID string, want ...audit.Action) []audit.Event {
	t.Helper()
	es, _, err := s.Audit(context.Background(), partnerID, benefitID, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []audit.Action
	for _, e := range es {
		got = append(got, e.Action)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events of %s %s: %v, want %v", partnerID, benefitID, got, want)
	}
	return es
}
