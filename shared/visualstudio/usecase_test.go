package visualstudio_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/visualstudio"
)

// The Visual Studio rules of docs/domain.md, through the use cases, on the
// in-memory fake (whose semantics the Visual Studio contract checks against
// DynamoDB Local). docs/domain.md links each rule to its test here.

var ctx = context.Background()

func setup(t *testing.T) (visualstudio.Seats, *storetest.Fake, storetest.VisualStudioFixture) {
	t.Helper()
	s := storetest.New()
	return storetest.VisualStudioSeats(s), s, storetest.SeedVisualStudio(t, s)
}

func assign(t *testing.T, uc visualstudio.Seats, fx storetest.VisualStudioFixture, userID, replaces string, at time.Time) visualstudio.Change {
	t.Helper()
	c, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: userID, ReplacesUserID: replaces}, at)
	if err != nil {
		t.Fatalf("assign %s (replacing %q): %v", userID, replaces, err)
	}
	return c
}

func holders(t *testing.T, uc visualstudio.Seats, fx storetest.VisualStudioFixture) (ids []string, used int) {
	t.Helper()
	p, err := uc.List(ctx, fx.Partner, fx.VS, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Seats {
		ids = append(ids, s.UserID)
	}
	return ids, p.Line.Used
}

func day(fx storetest.VisualStudioFixture, n int) time.Time { return fx.At.AddDate(0, 0, n) }

func TestVisualStudioTakesUpToQuantityUsersOneSeatEach(t *testing.T) {
	uc, _, fx := setup(t)
	for _, u := range fx.Users[:3] {
		if c := assign(t, uc, fx, u, "", fx.At); c.Kind != visualstudio.New || c.Seat.UserID != u || !c.Seat.AssignedAt.Equal(fx.At) {
			t.Fatalf("%s: %+v", u, c)
		}
	}
	_, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: fx.Users[3]}, fx.At)
	storetest.WantCode(t, err, "no_seats_left")
	if ids, used := holders(t, uc, fx); !slices.Equal(ids, fx.Users[:3]) || used != 3 {
		t.Fatalf("holders %v, used %d", ids, used)
	}
}

func TestVisualStudioAssigningAHolderAgainChangesNothing(t *testing.T) {
	uc, s, fx := setup(t)
	assign(t, uc, fx, fx.Users[0], "", fx.At)
	c := assign(t, uc, fx, fx.Users[0], "", day(fx, 1))
	if c.Kind != visualstudio.Unchanged || !c.Seat.AssignedAt.Equal(fx.At) {
		t.Fatalf("again: %+v", c)
	}
	// Moving a seat to its own holder changes nothing either.
	if c := assign(t, uc, fx, fx.Users[0], fx.Users[0], day(fx, 1)); c.Kind != visualstudio.Unchanged {
		t.Fatalf("onto itself: %+v", c)
	}
	if es, _, _ := s.Audit(ctx, fx.Partner, fx.VS, 10, ""); len(es) != 1 {
		t.Fatalf("%d events, want 1", len(es))
	}
}

func TestVisualStudioUserMustBeInThePartnersDirectory(t *testing.T) {
	uc, _, fx := setup(t)
	for _, u := range []string{"usr_unknown", fx.OtherUser} {
		_, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: u}, fx.At)
		storetest.WantCode(t, err, "user_not_found")
	}
	if ids, used := holders(t, uc, fx); len(ids) != 0 || used != 0 {
		t.Fatalf("holders %v, used %d", ids, used)
	}
}

func TestVisualStudioSeatMovesOnlyAfter90Days(t *testing.T) {
	uc, s, fx := setup(t)
	assign(t, uc, fx, fx.Users[0], "", fx.At)
	_, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: fx.Users[1], ReplacesUserID: fx.Users[0]}, day(fx, 89))
	ae := storetest.WantCode(t, err, "reassignment_too_soon")
	if at, _ := ae.Extra["earliestReassignmentAt"].(time.Time); !at.Equal(day(fx, 90)) {
		t.Fatalf("earliestReassignmentAt %v, want %v", ae.Extra["earliestReassignmentAt"], day(fx, 90))
	}
	c := assign(t, uc, fx, fx.Users[1], fx.Users[0], day(fx, 90))
	if c.Kind != visualstudio.Move || c.From.UserID != fx.Users[0] || !c.Seat.AssignedAt.Equal(day(fx, 90)) {
		t.Fatalf("move: %+v", c)
	}
	// The moved seat's 90 days start again.
	_, err = uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: fx.Users[2], ReplacesUserID: fx.Users[1]}, day(fx, 179))
	storetest.WantCode(t, err, "reassignment_too_soon")
	if ids, used := holders(t, uc, fx); !slices.Equal(ids, fx.Users[1:2]) || used != 1 {
		t.Fatalf("holders %v, used %d", ids, used)
	}
	es, _, _ := s.Audit(ctx, fx.Partner, fx.VS, 10, "")
	if len(es) != 2 || es[0].Action != audit.VisualStudioMoved || es[0].Detail["fromUserId"] != fx.Users[0] {
		t.Fatalf("events: %+v", es)
	}
}

func TestVisualStudioMoveNeedsAHolderAndAUserWithoutASeat(t *testing.T) {
	uc, _, fx := setup(t)
	assign(t, uc, fx, fx.Users[0], "", fx.At)
	assign(t, uc, fx, fx.Users[1], "", fx.At)
	_, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: fx.Users[2], ReplacesUserID: fx.Users[3]}, day(fx, 90))
	storetest.WantCode(t, err, "user_not_assigned")
	_, err = uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: fx.Users[1], ReplacesUserID: fx.Users[0]}, day(fx, 90))
	storetest.WantCode(t, err, "already_assigned")
}

func TestVisualStudioRemovalWithin90DaysLocksTheSeatUntilDay90(t *testing.T) {
	uc, s, fx := setup(t)
	for _, u := range fx.Users[:3] {
		assign(t, uc, fx, u, "", fx.At)
	}
	// Removal is always allowed; the seat stays counted as a lock.
	if err := uc.Remove(ctx, fx.Partner, fx.Admin, fx.VS, fx.Users[0], day(fx, 10)); err != nil {
		t.Fatal(err)
	}
	if ids, used := holders(t, uc, fx); !slices.Equal(ids, fx.Users[1:3]) || used != 3 {
		t.Fatalf("holders %v, used %d", ids, used)
	}
	es, _, _ := s.Audit(ctx, fx.Partner, fx.VS, 10, "")
	if es[0].Action != audit.VisualStudioRemoved || es[0].Detail["seatLockedUntil"] != day(fx, 90).Format(time.RFC3339) {
		t.Fatalf("removal event: %+v", es[0])
	}
	// Nobody else gets it before day 90; the answer says when it frees.
	_, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: fx.Users[3]}, day(fx, 89))
	if ae := storetest.WantCode(t, err, "no_seats_left"); ae.Extra["nextSeatFreeAt"] != day(fx, 90) {
		t.Fatalf("nextSeatFreeAt %v", ae.Extra["nextSeatFreeAt"])
	}
	// The same user takes it back at once, with its clock.
	if c := assign(t, uc, fx, fx.Users[0], "", day(fx, 11)); c.Kind != visualstudio.Reclaim || !c.Seat.AssignedAt.Equal(fx.At) {
		t.Fatalf("reclaim: %+v", c)
	}
	if err := uc.Remove(ctx, fx.Partner, fx.Admin, fx.VS, fx.Users[0], day(fx, 12)); err != nil {
		t.Fatal(err)
	}
	// From day 90 another user takes it.
	if c := assign(t, uc, fx, fx.Users[3], "", day(fx, 90)); c.Kind != visualstudio.Reuse {
		t.Fatalf("reuse: %+v", c)
	}
	if ids, used := holders(t, uc, fx); !slices.Equal(ids, fx.Users[1:4]) || used != 3 {
		t.Fatalf("holders %v, used %d", ids, used)
	}
}

func TestVisualStudioRemovalAfter90DaysFreesTheSeat(t *testing.T) {
	uc, s, fx := setup(t)
	assign(t, uc, fx, fx.Users[0], "", fx.At)
	if err := uc.Remove(ctx, fx.Partner, fx.Admin, fx.VS, fx.Users[0], day(fx, 90)); err != nil {
		t.Fatal(err)
	}
	if ids, used := holders(t, uc, fx); len(ids) != 0 || used != 0 {
		t.Fatalf("holders %v, used %d", ids, used)
	}
	if es, _, _ := s.Audit(ctx, fx.Partner, fx.VS, 10, ""); es[0].Action != audit.VisualStudioRemoved || len(es[0].Detail) != 0 {
		t.Fatalf("removal event: %+v", es[0])
	}
	// Removing someone without a seat: not found.
	err := uc.Remove(ctx, fx.Partner, fx.Admin, fx.VS, fx.Users[0], day(fx, 91))
	storetest.WantCode(t, err, "not_found")
}

func TestVisualStudioRevokedAndExpiredLinesRefuseAssignments(t *testing.T) {
	uc, s, fx := setup(t)
	_, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: fx.Users[0]}, fx.Expires)
	storetest.WantCode(t, err, "benefit_expired")
	_, err = uc.AssignMany(ctx, fx.Partner, fx.Admin, fx.VS, []visualstudio.Row{{UserID: fx.Users[0]}}, fx.Expires)
	storetest.WantCode(t, err, "benefit_expired")
	if err := s.RevokeSubscription(ctx, fx.Partner, fx.VS, fx.At); err != nil {
		t.Fatal(err)
	}
	_, err = uc.Assign(ctx, fx.Partner, fx.Admin, fx.VS, visualstudio.Row{UserID: fx.Users[0]}, fx.At)
	storetest.WantCode(t, err, "benefit_revoked")
	_, err = uc.AssignMany(ctx, fx.Partner, fx.Admin, fx.VS, []visualstudio.Row{{UserID: fx.Users[0]}}, fx.At)
	storetest.WantCode(t, err, "benefit_revoked")
}

func TestVisualStudioAnotherPartnersOrKindsLineIsNotFound(t *testing.T) {
	uc, _, fx := setup(t)
	for _, id := range []string{fx.OtherVS, fx.NotVS, "ben_unknown"} {
		_, err := uc.Assign(ctx, fx.Partner, fx.Admin, id, visualstudio.Row{UserID: fx.Users[0]}, fx.At)
		storetest.WantCode(t, err, "not_found")
		_, err = uc.AssignMany(ctx, fx.Partner, fx.Admin, id, []visualstudio.Row{{UserID: fx.Users[0]}}, fx.At)
		storetest.WantCode(t, err, "not_found")
		err = uc.Remove(ctx, fx.Partner, fx.Admin, id, fx.Users[0], fx.At)
		storetest.WantCode(t, err, "not_found")
		_, err = uc.List(ctx, fx.Partner, id, 10, "")
		storetest.WantCode(t, err, "not_found")
	}
}

func TestVisualStudioEverySeatChangeWritesItsAuditEvent(t *testing.T) {
	uc, s, fx := setup(t)
	assign(t, uc, fx, fx.Users[0], "", fx.At)
	assign(t, uc, fx, fx.Users[1], fx.Users[0], day(fx, 90))
	if err := uc.Remove(ctx, fx.Partner, fx.Admin, fx.VS, fx.Users[1], day(fx, 91)); err != nil {
		t.Fatal(err)
	}
	es, _, _ := s.Audit(ctx, fx.Partner, fx.VS, 10, "")
	want := []audit.Action{audit.VisualStudioRemoved, audit.VisualStudioMoved, audit.VisualStudioAssigned}
	for i, e := range es {
		if i >= len(want) || e.Action != want[i] || e.Actor != fx.Admin || e.BenefitID != fx.VS || e.PartnerID != fx.Partner {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	if len(es) != len(want) || es[1].UserID != fx.Users[1] || !es[1].At.Equal(day(fx, 90)) {
		t.Fatalf("events: %+v", es)
	}
}

func TestVisualStudioBulkDecidesRowsInOrderEachAllOrNothing(t *testing.T) {
	uc, s, fx := setup(t)
	assign(t, uc, fx, fx.Users[0], "", fx.At)
	invalid := apperr.New(apperr.Invalid, "validation_failed", "bad row")
	// At most the line's quantity (3) rows a request.
	bulk := func(rows []visualstudio.Row, kinds []visualstudio.Kind, codes []string) {
		t.Helper()
		res, err := uc.AssignMany(ctx, fx.Partner, fx.Admin, fx.VS, rows, fx.At)
		if err != nil || len(res) != len(rows) {
			t.Fatalf("%d results, %v", len(res), err)
		}
		for i, r := range res {
			var ae *apperr.Error
			if errors.As(r.Err, &ae) != (codes[i] != "") || (ae != nil && ae.Code != codes[i]) || (r.Err == nil && r.Change.Kind != kinds[i]) {
				t.Fatalf("row %d: %+v, want %v %q", i+1, r, kinds[i], codes[i])
			}
		}
	}
	bulk([]visualstudio.Row{
		{UserID: fx.Users[0]},   // unchanged
		{UserID: fx.Users[1]},   // assigned
		{UserID: "usr_unknown"}, // not in the directory
	}, []visualstudio.Kind{visualstudio.Unchanged, visualstudio.New, 0}, []string{"", "", "user_not_found"})
	bulk([]visualstudio.Row{
		{UserID: "", Err: invalid},                         // refused by the caller's validation
		{UserID: fx.Users[2], ReplacesUserID: fx.Users[1]}, // too soon: usr_1 got its seat just now
		{UserID: fx.Users[2]},                              // the last free seat
	}, []visualstudio.Kind{0, 0, visualstudio.New}, []string{"validation_failed", "reassignment_too_soon", ""})
	if ids, used := holders(t, uc, fx); !slices.Equal(ids, fx.Users[:3]) || used != 3 {
		t.Fatalf("holders %v, used %d", ids, used)
	}
	if es, _, _ := s.Audit(ctx, fx.Partner, fx.VS, 10, ""); len(es) != 3 {
		t.Fatalf("%d events, want 3 (one per written row)", len(es))
	}
	// More rows than the line has seats: the request is refused.
	_, err := uc.AssignMany(ctx, fx.Partner, fx.Admin, fx.VS2, make([]visualstudio.Row, 4), fx.At)
	storetest.WantCode(t, err, "validation_failed")
}

func TestVisualStudioListPagesHoldersInUserOrder(t *testing.T) {
	uc, _, fx := setup(t)
	for _, u := range []string{fx.Users[2], fx.Users[0], fx.Users[1]} {
		assign(t, uc, fx, u, "", fx.At)
	}
	p, err := uc.List(ctx, fx.Partner, fx.VS, 2, "")
	if err != nil || len(p.Seats) != 2 || p.Seats[0].UserID != fx.Users[0] || p.Next == "" || p.Line.Used != 3 {
		t.Fatalf("first page: %+v %v", p, err)
	}
	p, err = uc.List(ctx, fx.Partner, fx.VS, 2, p.Next)
	if err != nil || len(p.Seats) != 1 || p.Seats[0].UserID != fx.Users[2] || p.Next != "" {
		t.Fatalf("second page: %+v %v", p, err)
	}
}

// busyAfterOne is a store whose transactions commit one change and then
// always lose, as under a storm of concurrent requests.
type busyAfterOne struct{ *storetest.Fake }

func (b busyAfterOne) UpdateSubscription(ctx context.Context, partnerID, benefitID string, userIDs []string, decide visualstudio.Decide, committed func(n int)) error {
	var ws []visualstudio.Write
	_ = b.Fake.UpdateSubscription(ctx, partnerID, benefitID, userIDs, func(sub *visualstudio.Subscription, users map[string]visualstudio.User) ([]visualstudio.Write, error) {
		var err error
		ws, err = decide(sub, users)
		return nil, err
	}, nil)
	if len(ws) > 0 {
		committed(1)
	}
	return visualstudio.ErrBusy
}

func TestVisualStudioBulkRowsLeftOpenAfterTheRoundsAreBusy(t *testing.T) {
	_, s, fx := setup(t)
	uc := visualstudio.Seats{Store: busyAfterOne{s}, NewID: storetest.VisualStudioSeats(s).NewID}
	res, err := uc.AssignMany(ctx, fx.Partner, fx.Admin, fx.VS, []visualstudio.Row{
		{UserID: "usr_unknown"}, {UserID: fx.Users[0]}, {UserID: fx.Users[1]},
	}, fx.At)
	if err != nil {
		t.Fatal(err)
	}
	// Row 1 was refused and row 2 committed before the rounds ran out: both
	// final; row 3 is seats_busy.
	storetest.WantCode(t, res[0].Err, "user_not_found")
	if res[1].Err != nil || res[1].Change.Kind != visualstudio.New {
		t.Fatalf("row 2: %+v", res[1])
	}
	storetest.WantCode(t, res[2].Err, "seats_busy")
}
