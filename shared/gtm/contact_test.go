package gtm

import (
	"errors"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
)

// TestActivateForReplacedContact: a pending offer whose working link went
// to another address (a replaced contact), or to an address the line did
// not record, gets a new link to the current contact.
func TestActivateForReplacedContact(t *testing.T) {
	pending := func(sentTo string) benefit.Benefit {
		b := offer(benefit.Pending)
		b.LinkExpiresAt, b.LinkSentTo = now.Add(time.Hour), sentTo
		return b
	}
	for _, tc := range []struct {
		name   string
		sentTo string
		want   Step
	}{
		{"sent to the contact", contact.Email, Nothing},
		{"sent to a replaced contact", "old@contoso.example", Send},
		{"same address in another case", "Marketing@contoso.example", Send},
		{"address not recorded", "", Send},
	} {
		step, err := Activate(pending(tc.sentTo), contact, true, now)
		if err != nil || step != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.name, step, err, tc.want)
		}
	}
}

func TestCurrent(t *testing.T) {
	line := offer(benefit.Pending)
	line.LinkHash, line.LinkSentTo = "h1", contact.Email
	legacy := offer(benefit.Pending)
	for _, tc := range []struct {
		name       string
		b          benefit.Benefit
		hash, to   string
		hasContact bool
		ok         bool
	}{
		{"the line's link to the contact", line, "h1", contact.Email, true, true},
		{"a replaced link", line, "h0", contact.Email, true, false},
		{"sent to a replaced contact", line, "h1", "old@contoso.example", true, false},
		{"no contact any more", line, "h1", contact.Email, false, false},
		{"a line that did not record its link", legacy, "h0", contact.Email, true, true},
		{"a legacy line's link to a replaced contact", legacy, "h0", "old@contoso.example", true, false},
	} {
		err := Current(tc.b, tc.hash, tc.to, contact, tc.hasContact)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrTokenInvalid)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestContactQuotas(t *testing.T) {
	c := Contact{PartnerID: "ptn_1", Email: " Marketing@Contoso.example"}
	at := time.Date(2026, 12, 2, 17, 30, 0, 0, time.UTC)
	qs := ContactQuotas(c, at)
	if len(qs) != 2 {
		t.Fatalf("%d quotas", len(qs))
	}
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, q := range qs {
		if !q.Start.Equal(day) || !q.End.Equal(day.Add(24*time.Hour)) {
			t.Errorf("%s window %v – %v, want the UTC day", q.Scope, q.Start, q.End)
		}
	}
	if qs[0].Scope != ScopeContactPartner || qs[0].Subject != "ptn_1" || qs[0].Max != ContactMailsPerPartner {
		t.Errorf("partner quota %+v", qs[0])
	}
	if qs[1].Scope != ScopeContactAddress || qs[1].Subject != "marketing@contoso.example" || qs[1].Max != ContactMailsPerAddress {
		t.Errorf("address quota %+v (the address normalised)", qs[1])
	}
	// A window in another zone is the same UTC day.
	if q := ContactQuotas(c, at.In(time.FixedZone("JST", 9*3600)))[0]; !q.Start.Equal(day) {
		t.Errorf("JST window starts %v", q.Start)
	}
}

func TestRateLimited(t *testing.T) {
	q := ContactQuotas(contact, now)[0]
	for at, want := range map[time.Time]int{
		now:                                 15 * 3600, // 09:00 → midnight
		q.End.Add(-time.Millisecond):        1,
		q.End.Add(-1500 * time.Millisecond): 2,
		q.End:                               1, // never 0
	} {
		e, ok := apperr.As(RateLimited(q, at))
		if !ok || e.Code != "rate_limited" || e.Kind != apperr.TooManyRequests || e.Extra[apperr.RetryAfter] != want {
			t.Errorf("at %v: %+v, want retryAfter %d", at, e, want)
		}
	}
}

func TestUnchanged(t *testing.T) {
	c := Contact{UserID: "usr_1", Email: "m@contoso.example", Phone: "+81312345678", Language: "ja", UpdatedAt: now}
	later := c
	later.UpdatedAt, later.UpdatedBy, later.DisplayName = now.Add(time.Hour), "usr_2", "renamed"
	if !Unchanged(c, true, later) {
		t.Error("the same contact, later and by another admin, is a change")
	}
	if Unchanged(c, false, c) {
		t.Error("a first contact is unchanged")
	}
	for _, f := range []func(*Contact){
		func(c *Contact) { c.UserID = "usr_9" }, func(c *Contact) { c.Email = "M@contoso.example" },
		func(c *Contact) { c.Phone = "+81312345679" }, func(c *Contact) { c.Language = "en" },
	} {
		d := c
		f(&d)
		if Unchanged(c, true, d) {
			t.Errorf("%+v is unchanged from %+v", d, c)
		}
	}
}
