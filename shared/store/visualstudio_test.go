package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/visualstudio"
)

// vsFixture buys gold for a new partner (vs-enterprise: 25 subscriptions)
// and adds n directory users.
func vsFixture(t *testing.T, s *store.Store, partnerID string, n int) (benefit.Benefit, []visualstudio.User) {
	t.Helper()
	ctx := context.Background()
	lines := softwareLines(t, s, partnerID, "vs-enterprise")
	users := make([]visualstudio.User, n)
	for i := range users {
		u, err := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_%03d", i), PartnerID: partnerID, Email: fmt.Sprintf("u%d@%s.example", i, partnerID), DisplayName: "U", CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users[i] = visualstudio.User{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName}
	}
	return lines[0], users
}

// decided is a decision that returns the given changes, each with its event.
func decided(line benefit.Benefit, cs ...visualstudio.Change) []visualstudio.Write {
	ws := make([]visualstudio.Write, len(cs))
	for i, c := range cs {
		ws[i] = visualstudio.Write{Change: c,
			Event: audit.New(ids.New, line.PartnerID, "usr_admin", audit.VisualStudioAssigned, line.ID, now).About(c.Seat.UserID, nil)}
	}
	return ws
}

func TestSeatChangesAreChunkedAndFenced(t *testing.T) {
	s, calls := newStore(t)
	ctx := context.Background()
	line, users := vsFixture(t, s, "ptn_vs", 27)

	var committed []int
	calls.Reset()
	err := s.UpdateSubscription(ctx, "ptn_vs", line.ID, nil, func(sub *visualstudio.Subscription, _ map[string]visualstudio.User) ([]visualstudio.Write, error) {
		var cs []visualstudio.Change
		for _, u := range users[:25] {
			c, err := sub.Assign(u, true, "", now)
			if err != nil {
				return nil, err
			}
			cs = append(cs, c)
		}
		return decided(sub.Line, cs...), nil
	}, func(n int) { committed = append(committed, n) })
	if err != nil || !slices.Equal(committed, []int{store.SeatChangesPerTransaction, 25}) {
		t.Fatalf("committed %v: %v", committed, err)
	}
	if got := calls.Reset()["TransactWriteItems"]; got != 2 {
		t.Fatalf("%d transactions for 25 seats, want 2 (%d a transaction)", got, store.SeatChangesPerTransaction)
	}
	after, err := s.VisualStudio(ctx, "ptn_vs", line.ID)
	if err != nil || len(after.Seats) != 25 || after.Line.Used != 25 {
		t.Fatalf("after: %d seats, used %d, %v", len(after.Seats), after.Line.Used, err)
	}
	evs, _, err := s.Audit(ctx, "ptn_vs", line.ID, 100, "")
	if err != nil || len(evs) != 25 {
		t.Fatalf("%d audit events, %v", len(evs), err)
	}

	// A change decided as if no seat were held is refused, and writes
	// nothing: not the seat, not the count, not its audit event; the next
	// round decides again (here: nothing).
	var rounds int
	err = s.UpdateSubscription(ctx, "ptn_vs", line.ID, nil, func(sub *visualstudio.Subscription, _ map[string]visualstudio.User) ([]visualstudio.Write, error) {
		if rounds++; rounds > 1 {
			return nil, nil
		}
		sub.Seats, sub.Line.Used = nil, 0
		c, err := sub.Assign(users[25], true, "", now)
		return decided(sub.Line, c), err
	}, nil)
	if err != nil || rounds != 2 {
		t.Fatalf("over the quantity: %d rounds, %v", rounds, err)
	}
	if evs, _, _ := s.Audit(ctx, "ptn_vs", line.ID, 100, ""); len(evs) != 25 {
		t.Fatalf("a refused change left %d events", len(evs))
	}

	// A move and a new seat for the user it moved from touch the same seat
	// item: they go in two transactions, in order.
	later := now.AddDate(0, 0, 90)
	calls.Reset()
	err = s.UpdateSubscription(ctx, "ptn_vs", line.ID, nil, func(sub *visualstudio.Subscription, _ map[string]visualstudio.User) ([]visualstudio.Write, error) {
		moved, err := sub.Assign(users[26], true, users[0].ID, later)
		if err != nil {
			return nil, err
		}
		removed, err := sub.Remove(users[1].ID, later)
		if err != nil {
			return nil, err
		}
		back, err := sub.Assign(users[0], true, "", later)
		if err != nil || back.Kind != visualstudio.New {
			t.Fatalf("back: %+v %v", back, err)
		}
		return decided(sub.Line, moved, removed, back), nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := calls.Reset()["TransactWriteItems"]; got != 2 {
		t.Fatalf("%d transactions, want 2", got)
	}
	after, _ = s.VisualStudio(ctx, "ptn_vs", line.ID)
	if _, ok := after.Seat(users[26].ID); !ok || len(after.Seats) != 25 || after.Line.Used != 25 {
		t.Fatalf("after the move: %d seats, used %d", len(after.Seats), after.Line.Used)
	}
}

func TestDirectoryUsersReadsInBatches(t *testing.T) {
	s, calls := newStore(t)
	ctx := context.Background()
	_, users := vsFixture(t, s, "ptn_dir", 150)
	want := []string{"usr_nobody"}
	for _, u := range users {
		want = append(want, u.ID)
	}
	calls.Reset()
	got, err := s.DirectoryUsers(ctx, "ptn_dir", want)
	if err != nil || len(got) != 150 {
		t.Fatalf("%d users, %v", len(got), err)
	}
	if n := calls.Reset()["BatchGetItem"]; n != 2 {
		t.Fatalf("%d BatchGetItem calls for 151 ids, want 2", n)
	}
	// Another partner's directory has none of them.
	mustPartner(t, s, "ptn_dir2")
	if got, err := s.DirectoryUsers(ctx, "ptn_dir2", want[:3]); err != nil || len(got) != 0 {
		t.Fatalf("cross-partner read: %v %v", got, err)
	}
}
