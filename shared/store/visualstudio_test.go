package store_test

import (
	"context"
	"errors"
	"fmt"
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
		u, err := partner.NewUser(fmt.Sprintf("usr_%03d", i), partnerID, fmt.Sprintf("u%d@%s.example", i, partnerID), "U", nil, false, now)
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

func seatEvents(line benefit.Benefit, cs []visualstudio.Change) []audit.Event {
	evs := make([]audit.Event, len(cs))
	for i, c := range cs {
		evs[i] = audit.New(ids.New, line.PartnerID, "usr_admin", audit.VisualStudioAssigned, line.ID, now).About(c.Seat.UserID, nil)
	}
	return evs
}

func TestSeatChangesAreChunkedAndFenced(t *testing.T) {
	s, calls := newStore(t)
	ctx := context.Background()
	line, users := vsFixture(t, s, "ptn_vs", 27)

	sub, err := s.VisualStudio(ctx, "ptn_vs", line.ID)
	if err != nil {
		t.Fatal(err)
	}
	var cs []visualstudio.Change
	for _, u := range users[:25] {
		c, err := sub.Assign(u, true, "", now)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	calls.Reset()
	if n, err := s.ApplySeatChanges(ctx, sub.Line, cs, seatEvents(sub.Line, cs)); err != nil || n != 25 {
		t.Fatalf("applied %d: %v", n, err)
	}
	if got := calls.Reset()["TransactWriteItems"]; got != 2 {
		t.Fatalf("%d transactions for 25 seats, want 2 (24 a transaction)", got)
	}
	after, err := s.VisualStudio(ctx, "ptn_vs", line.ID)
	if err != nil || len(after.Seats) != 25 || after.Line.Used != 25 {
		t.Fatalf("after: %d seats, used %d, %v", len(after.Seats), after.Line.Used, err)
	}
	evs, _, err := s.Audit(ctx, "ptn_vs", line.ID, 100, "")
	if err != nil || len(evs) != 25 {
		t.Fatalf("%d audit events, %v", len(evs), err)
	}

	// A change decided from the old read is refused, and writes nothing:
	// not the seat, not the count, not its audit event.
	stale, err := s.VisualStudio(ctx, "ptn_vs", line.ID)
	if err != nil {
		t.Fatal(err)
	}
	stale.Seats, stale.Line.Used = nil, 0
	c, err := stale.Assign(users[25], true, "", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplySeatChanges(ctx, stale.Line, []visualstudio.Change{c}, seatEvents(stale.Line, []visualstudio.Change{c})); !errors.Is(err, store.ErrSeatsChanged) {
		t.Fatalf("over the quantity: %v", err)
	}
	if evs, _, _ := s.Audit(ctx, "ptn_vs", line.ID, 100, ""); len(evs) != 25 {
		t.Fatalf("a refused change left %d events", len(evs))
	}

	// A move and a new seat for the user it moved from touch the same seat
	// item: they go in two transactions, in order.
	later := now.AddDate(0, 0, 90)
	sub, _ = s.VisualStudio(ctx, "ptn_vs", line.ID)
	moved, err := sub.Assign(users[26], true, users[0].ID, later)
	if err != nil {
		t.Fatal(err)
	}
	removed, err := sub.Remove(users[1].ID, later)
	if err != nil {
		t.Fatal(err)
	}
	back, err := sub.Assign(users[0], true, "", later)
	if err != nil || back.Kind != visualstudio.New {
		t.Fatalf("back: %+v %v", back, err)
	}
	cs = []visualstudio.Change{moved, removed, back}
	calls.Reset()
	if n, err := s.ApplySeatChanges(ctx, sub.Line, cs, seatEvents(sub.Line, cs)); err != nil || n != 3 {
		t.Fatalf("applied %d: %v", n, err)
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
