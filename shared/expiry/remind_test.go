package expiry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/expiry"
)

// TestRemindGoesOnPastAFailingPartner: the first partner's reminder fails
// (here its profile cannot be read); the second partner is still reminded,
// the run counts and names the failed partner and returns an error naming
// it, so the scheduler retries (the reminder writes are conditional).
func TestRemindGoesOnPastAFailingPartner(t *testing.T) {
	s := newStore(line("a-broken", "ptn_x", day(30, 12)), line("b-fine", "ptn_b", day(30, 12)))
	sum, err := job(s).Run(context.Background(), expiry.Request{}, now)
	if err == nil || !strings.Contains(err.Error(), "ptn_x") {
		t.Errorf("error %v, want one naming ptn_x", err)
	}
	if len(s.mails) != 1 || s.mails[0].Data["partnerName"] != "Fabrikam" || s.lines["b-fine"].Reminded30.IsZero() {
		t.Fatalf("the partner after the failing one was not reminded: %d mails", len(s.mails))
	}
	if sum.Reminded30 != 1 || sum.Emails != 1 || len(sum.Failed) != 1 || sum.Failed[0] != "ptn_x" {
		t.Errorf("summary %+v, want 1 reminded and ptn_x failed", sum)
	}
	if !s.lines["a-broken"].Reminded30.IsZero() {
		t.Error("the failing partner's line is marked reminded")
	}
}

// TestExpiryGoesOnPastAFailure: a line of one partner cannot be expired (a
// storage error, not a changed line) and the release of cancelled purchases
// fails; the other partner's line is still expired and reminded, and the
// run names the failed partner and fails, so the scheduler runs it again.
func TestExpiryGoesOnPastAFailure(t *testing.T) {
	s := newStore(line("a-stuck", "ptn_a", day(-1, 12)), line("b-due", "ptn_b", day(-1, 12)), line("b-soon", "ptn_b", day(30, 12)))
	s.failExpire = map[string]bool{"ptn_a": true}
	s.failRelease = errors.New("throttled")
	sum, err := job(s).Run(context.Background(), expiry.Request{}, now)
	if err == nil || !strings.Contains(err.Error(), "ptn_a") || !strings.Contains(err.Error(), "releases") {
		t.Errorf("error %v, want one naming ptn_a and the releases", err)
	}
	if s.lines["b-due"].Status != "expired" || s.lines["b-soon"].Reminded30.IsZero() {
		t.Fatalf("the other partner was left alone: %+v %+v", s.lines["b-due"], s.lines["b-soon"])
	}
	if sum.Expired != 1 || sum.Reminded30 != 1 || len(sum.Failed) != 1 || sum.Failed[0] != "ptn_a" {
		t.Errorf("summary %+v, want 1 expired, 1 reminded and ptn_a failed", sum)
	}
	if s.lines["a-stuck"].Status == "expired" {
		t.Error("the failing line is expired")
	}
}
