package advisory_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The advisory rules of docs/domain.md, through the use cases, on the
// in-memory fake (whose semantics the advisory contract checks against
// DynamoDB Local). docs/domain.md links each rule to its test here.

var ctx = context.Background()

func setup(t *testing.T) (advisory.Hours, *storetest.Fake, storetest.SupportFixture) {
	t.Helper()
	s := storetest.New()
	return storetest.Hours(s), s, storetest.SeedSupport(t, s)
}

func balance(t *testing.T, uc advisory.Hours, partnerID string, fx storetest.SupportFixture) advisory.Page {
	t.Helper()
	p, err := uc.List(ctx, partnerID, 100, "", fx.At)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnyUserAsksForHoursWithAnEligiblePlan(t *testing.T) {
	uc, _, fx := setup(t)
	_, _, err := uc.Request(ctx, fx.Empty, fx.EmptyAdmin, "Migration", 1, fx.At)
	storetest.WantCode(t, err, "no_benefits")
	// The use case takes any user of the partner: the route allows every role.
	r, _, err := uc.Request(ctx, fx.Other, "usr_member", "Migration", 1, fx.At)
	if err != nil || r.RequestedBy != "usr_member" || r.PartnerID != fx.Other {
		t.Fatalf("member: %+v %v", r, err)
	}
}

func TestTopicAndHoursAreChecked(t *testing.T) {
	uc, s, fx := setup(t)
	for _, tc := range []struct {
		topic string
		hours int
		field string
	}{
		{"", 1, "topic"}, {"   ", 1, "topic"}, {strings.Repeat("t", advisory.MaxTopic+1), 1, "topic"},
		{"Migration", 0, "hours"}, {"Migration", -1, "hours"}, {"Migration", advisory.MaxHours + 1, "hours"},
	} {
		_, _, err := uc.Request(ctx, fx.Partner, fx.Admin, tc.topic, tc.hours, fx.At)
		ae := storetest.WantCode(t, err, "validation_failed")
		if !slices.ContainsFunc(ae.Fields, func(f apperr.FieldError) bool { return f.Field == tc.field }) {
			t.Errorf("%q %d: fields %+v, want %s", tc.topic, tc.hours, ae.Fields, tc.field)
		}
	}
	if p := balance(t, uc, fx.Partner, fx); p.Used != 0 || len(p.Requests) != 0 {
		t.Fatalf("refused requests wrote: %+v", p)
	}
	if es, _, _ := s.Audit(ctx, fx.Partner, "", 10, ""); len(es) != 0 {
		t.Fatalf("%d events", len(es))
	}
}

func TestHoursComeOffTheBalanceNeverBelowZero(t *testing.T) {
	uc, _, fx := setup(t)
	if _, left, err := uc.Request(ctx, fx.Other, fx.OtherAdmin, "Landing zone", 3, fx.At); err != nil || left != 2 {
		t.Fatalf("3 of 5: left %d, %v", left, err)
	}
	_, _, err := uc.Request(ctx, fx.Other, fx.OtherAdmin, "Landing zone", 3, fx.At)
	if ae := storetest.WantCode(t, err, "insufficient_hours"); ae.Extra["hoursAvailable"] != 2 {
		t.Fatalf("hoursAvailable %v, want 2", ae.Extra["hoursAvailable"])
	}
	if _, left, err := uc.Request(ctx, fx.Other, fx.OtherAdmin, "Landing zone", 2, fx.At); err != nil || left != 0 {
		t.Fatalf("the last 2: left %d, %v", left, err)
	}
	if p := balance(t, uc, fx.Other, fx); p.Total != 5 || p.Used != 5 || p.Left() != 0 {
		t.Fatalf("balance: %+v", p)
	}
}

func TestHoursAreDrawnFromTheLinesThatExpireFirst(t *testing.T) {
	uc, _, fx := setup(t)
	r, left, err := uc.Request(ctx, fx.Partner, fx.Admin, "Landing zone", 22, fx.At)
	if err != nil || left != 3 {
		t.Fatalf("22 of 25: left %d, %v", left, err)
	}
	want := []benefit.Take{{Line: benefit.Benefit{ID: fx.SilverHours}, Amount: 20}, {Line: benefit.Benefit{ID: fx.PackHours}, Amount: 2}}
	if len(r.Takes) != 2 || r.Takes[0].Line.ID != want[0].Line.ID || r.Takes[0].Amount != 20 || r.Takes[1].Line.ID != want[1].Line.ID || r.Takes[1].Amount != 2 {
		t.Fatalf("takes %+v, want 20 from silver then 2 from the pack", r.Takes)
	}
}

func TestRevokedAndExpiredLinesGiveNoHours(t *testing.T) {
	uc, s, fx := setup(t)
	if err := s.RevokeLine(ctx, fx.Partner, fx.SilverHours, fx.At); err != nil {
		t.Fatal(err)
	}
	_, _, err := uc.Request(ctx, fx.Partner, fx.Admin, "Landing zone", 6, fx.At)
	if ae := storetest.WantCode(t, err, "insufficient_hours"); ae.Extra["hoursAvailable"] != 5 {
		t.Fatalf("hoursAvailable %v, want the pack's 5", ae.Extra["hoursAvailable"])
	}
	later := fx.SilverExpires.AddDate(0, 0, 1)
	if p, _ := uc.List(ctx, fx.Other, 10, "", fx.At.AddDate(2, 0, 0)); p.Total != 0 {
		t.Fatalf("expired pack still counts: %+v", p)
	}
	_, _, err = uc.Request(ctx, fx.Other, fx.OtherAdmin, "Landing zone", 1, fx.At.AddDate(2, 0, 0))
	storetest.WantCode(t, err, "insufficient_hours")
	if _, left, err := uc.Request(ctx, fx.Partner, fx.Admin, "Landing zone", 1, later); err != nil || left != 4 {
		t.Fatalf("pack after silver expired: left %d, %v", left, err)
	}
}

func TestListShowsRequestsNewestFirstWithTheBalance(t *testing.T) {
	uc, _, fx := setup(t)
	var ids []string
	for i, topic := range []string{"one", "two", "three"} {
		r, _, err := uc.Request(ctx, fx.Partner, fx.Admin, topic, i+1, fx.At)
		if err != nil {
			t.Fatal(err)
		}
		ids = append([]string{r.ID}, ids...)
	}
	p, err := uc.List(ctx, fx.Partner, 2, "", fx.At)
	if err != nil || p.Next == "" || len(p.Requests) != 2 || p.Total != 25 || p.Used != 6 || p.Left() != 19 {
		t.Fatalf("first page: %+v %v", p, err)
	}
	rest, err := uc.List(ctx, fx.Partner, 2, p.Next, fx.At)
	if err != nil || rest.Next != "" || len(rest.Requests) != 1 {
		t.Fatalf("second page: %+v %v", rest, err)
	}
	got := []string{p.Requests[0].ID, p.Requests[1].ID, rest.Requests[0].ID}
	if !slices.Equal(got, ids) {
		t.Fatalf("listed %v, want %v", got, ids)
	}
	if o := balance(t, uc, fx.Other, fx); len(o.Requests) != 0 || o.Used != 0 {
		t.Fatalf("another partner sees %+v", o)
	}
}

func TestEveryRequestWritesItsAuditEvent(t *testing.T) {
	uc, s, fx := setup(t)
	r, _, err := uc.Request(ctx, fx.Partner, "usr_member", "Landing zone", 21, fx.At)
	if err != nil {
		t.Fatal(err)
	}
	es, _, _ := s.Audit(ctx, fx.Partner, "", 10, "")
	if len(es) != 1 {
		t.Fatalf("%d events, want 1", len(es))
	}
	if e := es[0]; e.Action != audit.AdvisoryRequested || e.Actor != "usr_member" || e.BenefitID != fx.SilverHours ||
		e.Detail["requestId"] != r.ID || e.Detail["hours"] != "21" || !e.At.Equal(fx.At) {
		t.Fatalf("event: %+v", e)
	}
}
