package visualstudio

import (
	"errors"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func sub(quantity int) *Subscription {
	return &Subscription{Line: benefit.Benefit{ID: "ben_1", PartnerID: "ptn_1", Kind: catalog.VisualStudio, Quantity: quantity,
		Status: benefit.Available, ExpiresAt: t0.AddDate(1, 0, 0)}}
}

func user(id string) User { return User{ID: id, Email: id + "@example.com", DisplayName: id} }

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func TestAssignUpToQuantityOnceEach(t *testing.T) {
	s := sub(2)
	for _, id := range []string{"a", "b"} {
		if c, err := s.Assign(user(id), true, "", t0); err != nil || c.Kind != New || c.CountDelta() != 1 {
			t.Fatalf("assign %s: %+v %v", id, c, err)
		}
	}
	if c, err := s.Assign(user("a"), true, "", t0); err != nil || c.Kind != Unchanged {
		t.Fatalf("a again: %+v %v", c, err)
	}
	if _, err := s.Assign(user("c"), true, "", t0); code(err) != "no_seats_left" {
		t.Fatalf("third user: %v", err)
	}
	if _, err := s.Assign(user("x"), false, "", t0); code(err) != "user_not_found" {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestMoveOnlyAfter90Days(t *testing.T) {
	s := sub(1)
	if _, err := s.Assign(user("a"), true, "", t0); err != nil {
		t.Fatal(err)
	}
	day89 := t0.Add(89 * 24 * time.Hour)
	_, err := s.Assign(user("b"), true, "a", day89)
	e, _ := apperr.As(err)
	if code(err) != "reassignment_too_soon" || !e.Extra["earliestReassignmentAt"].(time.Time).Equal(t0.Add(ReassignAfter)) {
		t.Fatalf("day 89: %v %v", err, e)
	}
	// One millisecond before the 90 days are over is still too soon.
	if _, err := s.Assign(user("b"), true, "a", t0.Add(ReassignAfter-time.Millisecond)); code(err) != "reassignment_too_soon" {
		t.Fatalf("just before day 90: %v", err)
	}
	c, err := s.Assign(user("b"), true, "a", t0.Add(ReassignAfter))
	if err != nil || c.Kind != Move || c.From.UserID != "a" || c.Seat.UserID != "b" || c.CountDelta() != 0 {
		t.Fatalf("day 90: %+v %v", c, err)
	}
	// The moved seat's clock starts again with its new holder.
	if _, err := s.Assign(user("c"), true, "b", t0.Add(ReassignAfter+time.Hour)); code(err) != "reassignment_too_soon" {
		t.Fatalf("moving on at once: %v", err)
	}
}

func TestMoveErrors(t *testing.T) {
	s := sub(3)
	for _, id := range []string{"a", "b"} {
		if _, err := s.Assign(user(id), true, "", t0); err != nil {
			t.Fatal(err)
		}
	}
	later := t0.AddDate(0, 4, 0)
	if _, err := s.Assign(user("c"), true, "z", later); code(err) != "user_not_assigned" {
		t.Fatalf("replacing a non-holder: %v", err)
	}
	if _, err := s.Assign(user("b"), true, "a", later); code(err) != "already_assigned" {
		t.Fatalf("moving to a holder: %v", err)
	}
	if c, err := s.Assign(user("a"), true, "a", later); err != nil || c.Kind != Unchanged {
		t.Fatalf("moving to itself: %+v %v", c, err)
	}
}

func TestEarlyRemovalLocksTheSeat(t *testing.T) {
	s := sub(1)
	if _, err := s.Assign(user("a"), true, "", t0); err != nil {
		t.Fatal(err)
	}
	c, err := s.Remove("a", t0.AddDate(0, 0, 10))
	if err != nil || c.Kind != Release || c.CountDelta() != 0 || s.Used() != 1 {
		t.Fatalf("early removal: %+v %v used %d", c, err, s.Used())
	}
	// Nobody else before the 90 days are over...
	_, err = s.Assign(user("b"), true, "", t0.AddDate(0, 0, 20))
	if e, _ := apperr.As(err); code(err) != "no_seats_left" || !e.Extra["nextSeatFreeAt"].(time.Time).Equal(t0.Add(ReassignAfter)) {
		t.Fatalf("b during the lock: %v", err)
	}
	// ...but the same user gets it back, with the seat's original clock.
	c, err = s.Assign(user("a"), true, "", t0.AddDate(0, 0, 20))
	if err != nil || c.Kind != Reclaim || !c.Seat.AssignedAt.Equal(t0) {
		t.Fatalf("a reclaims: %+v %v", c, err)
	}
	if _, err := s.Remove("a", t0.AddDate(0, 0, 30)); err != nil {
		t.Fatal(err)
	}
	c, err = s.Assign(user("b"), true, "", t0.Add(ReassignAfter))
	if err != nil || c.Kind != Reuse || c.Lock.UserID != "a" || !c.Seat.AssignedAt.Equal(t0.Add(ReassignAfter)) {
		t.Fatalf("b after the lock: %+v %v", c, err)
	}
}

func TestLateRemovalFreesTheSeat(t *testing.T) {
	s := sub(1)
	if _, err := s.Assign(user("a"), true, "", t0); err != nil {
		t.Fatal(err)
	}
	c, err := s.Remove("a", t0.Add(ReassignAfter))
	if err != nil || c.Kind != Remove || c.CountDelta() != -1 || s.Used() != 0 {
		t.Fatalf("removal at day 90: %+v %v", c, err)
	}
	if _, err := s.Remove("a", t0.Add(ReassignAfter)); code(err) != "not_found" {
		t.Fatalf("removing a non-holder: %v", err)
	}
}

func TestLineMustBeUsable(t *testing.T) {
	s := sub(1)
	s.Line.Status = benefit.Revoked
	if _, err := s.Assign(user("a"), true, "", t0); !errors.Is(err, benefit.ErrRevoked) {
		t.Fatalf("revoked: %v", err)
	}
	s = sub(1)
	if _, err := s.Assign(user("a"), true, "", s.Line.ExpiresAt); !errors.Is(err, benefit.ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	s = sub(1)
	s.Line.Kind = catalog.Software
	if _, err := s.Assign(user("a"), true, "", t0); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("another kind: %v", err)
	}
}
