package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/visualstudio"
)

// VisualStudioContract is what every visualstudio.Store must do: read a
// line as bought, keep partners apart, hand the decision the directory
// users, write each change with its seats, locks, count and event in the
// real store's transactions, write nothing when the decision refuses, and
// fence every write by what the decision read (the count never above the
// quantity, the seat as read, the lock, the user in the directory, a line
// not revoked), reading and deciding again after a lost race with the
// committed writes kept, and answering visualstudio.ErrBusy after
// visualstudio.Attempts lost rounds. newStore returns an empty store per
// case.
func VisualStudioContract(t *testing.T, newStore func(t *testing.T) VisualStudioStore) {
	run := caseRunner(t, newStore, SeedVisualStudio)
	ctx := store.NoWait(context.Background()) // lost rounds run again at once
	day90 := func(fx VisualStudioFixture) time.Time { return fx.At.Add(visualstudio.ReassignAfter) }

	run("ReadsALineAsBought", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		sub := mustSub(t, s, fx.Partner, fx.VS)
		if l := sub.Line; l.ID != fx.VS || l.PartnerID != fx.Partner || l.Kind != catalog.VisualStudio || l.Quantity != 3 ||
			l.Used != 0 || l.Status != benefit.Available || !l.ExpiresAt.Equal(fx.Expires) || len(sub.Seats) != 0 || len(sub.Locks) != 0 {
			t.Fatalf("as bought: %+v", sub)
		}
		if b, err := s.Benefit(ctx, fx.Partner, fx.VS); err != nil || b.ID != fx.VS || b.Quantity != 3 {
			t.Fatalf("Benefit: %+v %v", b, err)
		}
		if line, seats, next, err := s.Seats(ctx, fx.Partner, fx.VS, 10, ""); err != nil || line.ID != fx.VS || len(seats) != 0 || next != "" {
			t.Fatalf("Seats: %+v %v %q %v", line, seats, next, err)
		}
	})

	run("NotFoundOutsideThePartnersLines", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		for _, k := range [][2]string{{fx.Partner, fx.OtherVS}, {fx.Other, fx.VS}, {fx.Partner, "ben_unknown"}} {
			if _, err := s.Benefit(ctx, k[0], k[1]); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("Benefit(%s, %s): %v, want not found", k[0], k[1], err)
			}
			if _, _, _, err := s.Seats(ctx, k[0], k[1], 10, ""); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("Seats(%s, %s): %v, want not found", k[0], k[1], err)
			}
			err := s.UpdateSubscription(ctx, k[0], k[1], []string{fx.Users[0]}, func(*visualstudio.Subscription, map[string]visualstudio.User) ([]visualstudio.Write, error) {
				t.Errorf("UpdateSubscription(%s, %s) decided", k[0], k[1])
				return nil, nil
			}, nil)
			if !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("UpdateSubscription(%s, %s): %v, want not found", k[0], k[1], err)
			}
		}
		// A line of another kind is read as it is; the rules refuse it.
		if sub := mustSub(t, s, fx.Partner, fx.NotVS); sub.Line.Kind == catalog.VisualStudio {
			t.Fatalf("not a Visual Studio line: %+v", sub.Line)
		}
	})

	run("DecisionGetsTheDirectoryUsers", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		for _, asked := range [][]string{{fx.Users[0]}, {fx.OtherUser}, {fx.Users[0], fx.OtherUser, "usr_unknown", fx.Users[1], fx.Users[0]}, nil} {
			var got map[string]visualstudio.User
			if err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, asked, func(_ *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
				got = users
				return nil, nil
			}, nil); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, id := range asked {
				if slices.Contains(fx.Users, id) && !slices.Contains(want, id) {
					want = append(want, id)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("asked %v: got %v, want %v", asked, got, want)
			}
			for _, id := range want {
				if u := got[id]; u.ID != id || u.Email == "" || u.DisplayName == "" {
					t.Fatalf("asked %v: %s is %+v", asked, id, u)
				}
			}
		}
		wantEvents(t, s, fx.Partner, fx.VS) // nothing decided, nothing written
	})

	run("AssignWritesSeatCountAndEvent", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		mustVSAssign(t, s, fx, fx.VS, fx.Users[1], "", fx.At)
		mustVSAssign(t, s, fx, fx.VS, fx.Users[0], "", fx.At)
		sub := mustSub(t, s, fx.Partner, fx.VS)
		if sub.Line.Used != 2 || !slices.Equal(seatIDs(sub.Seats), fx.Users[:2]) || sub.Seats[0].Email == "" ||
			!sub.Seats[0].AssignedAt.Equal(fx.At) || len(sub.Locks) != 0 {
			t.Fatalf("after two assignments: %+v", sub)
		}
		es := wantEvents(t, s, fx.Partner, fx.VS, audit.VisualStudioAssigned, audit.VisualStudioAssigned)
		if e := es[0]; e.UserID != fx.Users[0] || e.Actor != fx.Admin || e.PartnerID != fx.Partner || !e.At.Equal(fx.At) {
			t.Fatalf("event: %+v", e)
		}
		// The list pages in user id order.
		_, seats, next, err := s.Seats(ctx, fx.Partner, fx.VS, 1, "")
		if err != nil || !slices.Equal(seatIDs(seats), fx.Users[:1]) || next == "" {
			t.Fatalf("first page: %v %q %v", seatIDs(seats), next, err)
		}
		line, seats, next, err := s.Seats(ctx, fx.Partner, fx.VS, 1, next)
		if err != nil || !slices.Equal(seatIDs(seats), fx.Users[1:2]) || next != "" || line.Used != 2 {
			t.Fatalf("second page: %v %q used %d %v", seatIDs(seats), next, line.Used, err)
		}
	})

	run("ReleaseLocksTheSeatAndReclaimTakesItBack", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		mustVSAssign(t, s, fx, fx.VS, fx.Users[0], "", fx.At)
		seats := VisualStudioSeats(s)
		if err := seats.Remove(ctx, fx.Partner, fx.Admin, fx.VS, fx.Users[0], fx.At.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sub := mustSub(t, s, fx.Partner, fx.VS)
		if sub.Line.Used != 1 || len(sub.Seats) != 0 || len(sub.Locks) != 1 || sub.Locks[0].UserID != fx.Users[0] || !sub.Locks[0].AssignedAt.Equal(fx.At) {
			t.Fatalf("after an early removal: %+v", sub)
		}
		c := mustVSAssign(t, s, fx, fx.VS, fx.Users[0], "", fx.At.Add(2*time.Hour))
		sub = mustSub(t, s, fx.Partner, fx.VS)
		if c.Kind != visualstudio.Reclaim || sub.Line.Used != 1 || len(sub.Locks) != 0 || len(sub.Seats) != 1 || !sub.Seats[0].AssignedAt.Equal(fx.At) {
			t.Fatalf("after reclaiming: %+v %+v", c, sub)
		}
		// Removed after 90 days: no lock, the count goes down.
		if err := seats.Remove(ctx, fx.Partner, fx.Admin, fx.VS, fx.Users[0], day90(fx)); err != nil {
			t.Fatal(err)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); sub.Line.Used != 0 || len(sub.Seats) != 0 || len(sub.Locks) != 0 {
			t.Fatalf("after a late removal: %+v", sub)
		}
		es := wantEvents(t, s, fx.Partner, fx.VS, audit.VisualStudioRemoved, audit.VisualStudioAssigned, audit.VisualStudioRemoved, audit.VisualStudioAssigned)
		if es[2].Detail["seatLockedUntil"] != day90(fx).Format(time.RFC3339) || es[0].Detail["seatLockedUntil"] != "" {
			t.Fatalf("removal events: %+v, %+v", es[2], es[0])
		}
	})

	run("ALockIsReusedAfter90DaysAndASeatMoved", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		for _, u := range fx.Users[:3] {
			mustVSAssign(t, s, fx, fx.VS, u, "", fx.At)
		}
		if err := VisualStudioSeats(s).Remove(ctx, fx.Partner, fx.Admin, fx.VS, fx.Users[0], fx.At); err != nil {
			t.Fatal(err)
		}
		c := mustVSAssign(t, s, fx, fx.VS, fx.Users[3], "", day90(fx))
		sub := mustSub(t, s, fx.Partner, fx.VS)
		if c.Kind != visualstudio.Reuse || sub.Line.Used != 3 || len(sub.Locks) != 0 || !slices.Equal(seatIDs(sub.Seats), fx.Users[1:4]) {
			t.Fatalf("after reusing the lock: %+v %+v", c, sub)
		}
		c = mustVSAssign(t, s, fx, fx.VS, fx.Users[4], fx.Users[1], day90(fx))
		sub = mustSub(t, s, fx.Partner, fx.VS)
		if c.Kind != visualstudio.Move || sub.Line.Used != 3 || !slices.Equal(seatIDs(sub.Seats), []string{fx.Users[2], fx.Users[3], fx.Users[4]}) {
			t.Fatalf("after the move: %+v %+v", c, sub)
		}
		if s4, _ := sub.Seat(fx.Users[4]); !s4.AssignedAt.Equal(day90(fx)) {
			t.Fatalf("the moved seat's clock: %+v", s4)
		}
		es := wantEvents(t, s, fx.Partner, fx.VS, audit.VisualStudioMoved, audit.VisualStudioAssigned, audit.VisualStudioRemoved,
			audit.VisualStudioAssigned, audit.VisualStudioAssigned, audit.VisualStudioAssigned)
		if es[0].UserID != fx.Users[4] || es[0].Detail["fromUserId"] != fx.Users[1] {
			t.Fatalf("move event: %+v", es[0])
		}
	})

	run("RefusedDecisionWritesNothing", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		var calls int
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, fx.Users[:1], func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
			calls++
			return nil, visualstudio.ErrNoSeatsLeft
		}, nil)
		if !errors.Is(err, visualstudio.ErrNoSeatsLeft) || calls != 1 {
			t.Fatalf("err %v after %d decisions, want no_seats_left after 1", err, calls)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); sub.Line.Used != 0 || len(sub.Seats) != 0 {
			t.Fatalf("written: %+v", sub)
		}
		wantEvents(t, s, fx.Partner, fx.VS)
	})

	run("ChangeWithoutItsEventIsRefused", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, fx.Users[:1], func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
			u, found := users[fx.Users[0]]
			c, err := sub.Assign(u, found, "", fx.At)
			return []visualstudio.Write{{Change: c}}, err
		}, nil)
		if err == nil || errors.Is(err, visualstudio.ErrBusy) {
			t.Fatalf("err %v, want a plain error", err)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); sub.Line.Used != 0 || len(sub.Seats) != 0 {
			t.Fatalf("written: %+v", sub)
		}
	})

	run("LostRaceIsReadAndDecidedAgain", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		var seen []int
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, fx.Users[:1], func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
			seen = append(seen, sub.Used())
			if len(seen) == 1 { // another request gives the user a seat meanwhile
				mustVSAssign(t, s, fx, fx.VS, fx.Users[0], "", fx.At)
			}
			return vsAssign(fx, sub, users, fx.Users[0], "", fx.At)
		}, nil)
		if err != nil || !slices.Equal(seen, []int{0, 1}) {
			t.Fatalf("err %v, decisions saw %v seats used, want nil after [0 1]", err, seen)
		}
		// The second decision found the seat held: nothing more written.
		if sub := mustSub(t, s, fx.Partner, fx.VS); sub.Line.Used != 1 || len(sub.Seats) != 1 {
			t.Fatalf("after the race: %+v", sub)
		}
		wantEvents(t, s, fx.Partner, fx.VS, audit.VisualStudioAssigned)
	})

	run("TheCountNeverPassesTheQuantity", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		for _, u := range fx.Users[:3] {
			mustVSAssign(t, s, fx, fx.VS, u, "", fx.At)
		}
		// A decision that ignores the seats held (a stale read) gives a
		// fourth seat: the write is refused; the next round writes nothing.
		var rounds int
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, fx.Users[3:4], func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
			if rounds++; rounds > 1 {
				return nil, nil
			}
			sub.Seats = nil
			return vsAssign(fx, sub, users, fx.Users[3], "", fx.At)
		}, nil)
		if err != nil || rounds != 2 {
			t.Fatalf("%d rounds, %v; want 2, nil", rounds, err)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); sub.Line.Used != 3 || !slices.Equal(seatIDs(sub.Seats), fx.Users[:3]) {
			t.Fatalf("after: %+v", sub)
		}
		wantEvents(t, s, fx.Partner, fx.VS, audit.VisualStudioAssigned, audit.VisualStudioAssigned, audit.VisualStudioAssigned)
	})

	run("ASeatMovesOnceUnderRacingMoves", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		mustVSAssign(t, s, fx, fx.VS, fx.Users[0], "", fx.At)
		var calls int
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, fx.Users[2:3], func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
			if calls++; calls == 1 { // another request moves the seat meanwhile
				mustVSAssign(t, s, fx, fx.VS, fx.Users[1], fx.Users[0], day90(fx))
			}
			return vsAssign(fx, sub, users, fx.Users[2], fx.Users[0], day90(fx))
		}, nil)
		if !errors.Is(err, visualstudio.ErrNotAssigned) || calls != 2 {
			t.Fatalf("err %v after %d decisions, want user_not_assigned after 2", err, calls)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); !slices.Equal(seatIDs(sub.Seats), fx.Users[1:2]) || sub.Line.Used != 1 {
			t.Fatalf("after: %+v", sub)
		}
	})

	run("ALockIsTakenOnce", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		for _, u := range fx.Users[:3] {
			mustVSAssign(t, s, fx, fx.VS, u, "", fx.At)
		}
		if err := VisualStudioSeats(s).Remove(ctx, fx.Partner, fx.Admin, fx.VS, fx.Users[0], fx.At); err != nil {
			t.Fatal(err)
		}
		var calls int
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, fx.Users[4:5], func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
			if calls++; calls == 1 { // another user reuses the lock meanwhile
				mustVSAssign(t, s, fx, fx.VS, fx.Users[3], "", day90(fx))
			}
			return vsAssign(fx, sub, users, fx.Users[4], "", day90(fx))
		}, nil)
		if !errors.Is(err, visualstudio.ErrNoSeatsLeft) || calls != 2 {
			t.Fatalf("err %v after %d decisions, want no_seats_left after 2", err, calls)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); !slices.Equal(seatIDs(sub.Seats), fx.Users[1:4]) || len(sub.Locks) != 0 || sub.Line.Used != 3 {
			t.Fatalf("after: %+v", sub)
		}
	})

	run("OnlyDirectoryUsersGetASeat", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		// A decision that names a user the directory does not have: refused.
		var rounds int
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, nil, func(sub *visualstudio.Subscription, _ map[string]visualstudio.User) ([]visualstudio.Write, error) {
			if rounds++; rounds > 1 {
				return nil, nil
			}
			return vsAssign(fx, sub, map[string]visualstudio.User{fx.OtherUser: {ID: fx.OtherUser, Email: "x@example.com"}}, fx.OtherUser, "", fx.At)
		}, nil)
		if err != nil || rounds != 2 {
			t.Fatalf("%d rounds, %v; want 2, nil", rounds, err)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); sub.Line.Used != 0 || len(sub.Seats) != 0 {
			t.Fatalf("written: %+v", sub)
		}
	})

	run("RevocationIsFenced", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		var once sync.Once
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, fx.Users[:1], func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
			once.Do(func() {
				if err := s.RevokeSubscription(ctx, fx.Partner, fx.VS, fx.At); err != nil {
					t.Error(err)
				}
			})
			return vsAssign(fx, sub, users, fx.Users[0], "", fx.At)
		}, nil)
		if !errors.Is(err, benefit.ErrRevoked) {
			t.Fatalf("assignment after a racing revocation: %v, want benefit_revoked", err)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); sub.Line.Status != benefit.Revoked || sub.Line.Used != 0 || len(sub.Seats) != 0 {
			t.Fatalf("after: %+v", sub)
		}
	})

	run("TransactionsAreSplitAndCommittedWritesStay", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		mustVSAssign(t, s, fx, fx.VS, fx.Users[0], "", fx.At)
		// Move usr_1's seat to usr_2 and give usr_1 a new seat: both write
		// usr_1's seat item, so they go in two transactions. Between them,
		// another request takes the last free seat: the second is decided
		// again, from a read that has the first.
		var committed []int
		var decisions [][]string
		later := day90(fx)
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, fx.Users[:2], func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
			decisions = append(decisions, seatIDs(sub.Seats))
			if len(decisions) > 1 {
				return vsAssign(fx, sub, users, fx.Users[0], "", later)
			}
			move, err := vsAssign(fx, sub, users, fx.Users[1], fx.Users[0], later)
			if err != nil {
				return nil, err
			}
			back, err := vsAssign(fx, sub, users, fx.Users[0], "", later)
			return append(move, back...), err
		}, func(n int) {
			if committed = append(committed, n); len(committed) == 1 {
				mustVSAssign(t, s, fx, fx.VS, fx.Users[2], "", later)
				mustVSAssign(t, s, fx, fx.VS, fx.Users[3], "", later)
			}
		})
		if !errors.Is(err, visualstudio.ErrNoSeatsLeft) || !slices.Equal(committed, []int{1}) || len(decisions) != 2 ||
			!slices.Equal(decisions[1], fx.Users[1:4]) {
			t.Fatalf("err %v, committed %v, decisions read %v", err, committed, decisions)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); !slices.Equal(seatIDs(sub.Seats), fx.Users[1:4]) || sub.Line.Used != 3 {
			t.Fatalf("after: %+v", sub)
		}
	})

	run("BusyAfterAttemptsLostRounds", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		for _, u := range fx.Users[:3] {
			mustVSAssign(t, s, fx, fx.VS, u, "", fx.At)
		}
		var calls int
		// Every round decides from a stale read (no seat held), as if
		// another request filled the line after each read.
		err := s.UpdateSubscription(ctx, fx.Partner, fx.VS, fx.Users[3:4], func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
			calls++
			sub.Seats = nil
			return vsAssign(fx, sub, users, fx.Users[3], "", fx.At)
		}, nil)
		if !errors.Is(err, visualstudio.ErrBusy) || calls != visualstudio.Attempts {
			t.Fatalf("err %v after %d decisions, want seats_busy after %d", err, calls, visualstudio.Attempts)
		}
		if sub := mustSub(t, s, fx.Partner, fx.VS); !slices.Equal(seatIDs(sub.Seats), fx.Users[:3]) || sub.Line.Used != 3 {
			t.Fatalf("written: %+v", sub)
		}
	})

	run("ConcurrentAssignmentsNeverExceedTheQuantity", func(t *testing.T, s VisualStudioStore, fx VisualStudioFixture) {
		var ok atomic.Int32
		var wg sync.WaitGroup
		for _, id := range fx.Users { // 7 users, 3 seats
			wg.Go(func() {
				_, err := VisualStudioSeats(s).Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: id}, fx.At)
				switch {
				case err == nil:
					ok.Add(1)
				case !errors.Is(err, visualstudio.ErrNoSeatsLeft) && !errors.Is(err, visualstudio.ErrBusy):
					t.Errorf("%s: %v", id, err)
				}
			})
		}
		wg.Wait()
		sub := mustSub(t, s, fx.Partner, fx.VS)
		if int(ok.Load()) != len(sub.Seats) || sub.Line.Used != len(sub.Seats) || len(sub.Seats) > 3 || len(sub.Seats) == 0 {
			t.Fatalf("%d assigned, %d seats, used %d of 3", ok.Load(), len(sub.Seats), sub.Line.Used)
		}
		if es, _, _ := s.Audit(ctx, fx.Partner, fx.VS, 100, ""); len(es) != len(sub.Seats) {
			t.Fatalf("%d events for %d seats", len(es), len(sub.Seats))
		}
	})
}

// vsAssign is the assignment use case's decision for one row, by fx.Admin.
func vsAssign(fx VisualStudioFixture, sub *visualstudio.Subscription, users map[string]visualstudio.User, userID, replaces string, at time.Time) ([]visualstudio.Write, error) {
	u, found := users[userID]
	c, err := sub.Assign(u, found, replaces, at)
	if err != nil || c.Kind == visualstudio.Unchanged {
		return nil, err
	}
	action := audit.VisualStudioAssigned
	if c.Kind == visualstudio.Move {
		action = audit.VisualStudioMoved
	}
	ev := audit.New(ids.New, fx.Partner, fx.Admin, action, sub.Line.ID, at).About(userID, nil)
	return []visualstudio.Write{{Change: c, Event: ev}}, nil
}

func mustVSAssign(t *testing.T, s VisualStudioStore, fx VisualStudioFixture, benefitID, userID, replaces string, at time.Time) visualstudio.Change {
	t.Helper()
	c, err := VisualStudioSeats(s).Assign(context.Background(), fx.Partner, fx.Admin, benefitID, visualstudio.Row{UserID: userID, ReplacesUserID: replaces}, at)
	if err != nil {
		t.Fatalf("assign %s (replacing %q) to %s: %v", userID, replaces, benefitID, err)
	}
	return c
}

func mustSub(t *testing.T, s VisualStudioStore, partnerID, benefitID string) visualstudio.Subscription {
	t.Helper()
	sub, err := s.VisualStudio(context.Background(), partnerID, benefitID)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func seatIDs(seats []visualstudio.Seat) []string {
	out := []string{}
	for _, s := range seats {
		out = append(out, s.UserID)
	}
	return out
}
