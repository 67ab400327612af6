package expiry_test

import (
	"context"
	"strings"
	"testing"
)

// TestRemindGoesOnPastAFailingPartner: the first partner's reminder fails
// (here its profile cannot be read); the second partner is still reminded,
// the run counts and names the failed partner and returns an error naming
// it, so the scheduler retries (the reminder writes are conditional).
func TestRemindGoesOnPastAFailingPartner(t *testing.T) {
	s := newStore(line("a-broken", "ptn_x", day(30, 12)), line("b-fine", "ptn_b", day(30, 12)))
	sum, err := job(s).Run(context.Background(), now)
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
