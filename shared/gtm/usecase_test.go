package gtm_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/gtm"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The go-to-market use cases on the in-memory fake: one test per rule of
// docs/domain.md.

var ctx = context.Background()

func seed(t *testing.T) (*storetest.Fake, storetest.GTMFixture, gtm.Offers) {
	t.Helper()
	f := storetest.New()
	fx := storetest.SeedGTM(t, f)
	return f, fx, storetest.Offers(f, fx.Catalog)
}

func name(t *testing.T, o gtm.Offers, fx storetest.GTMFixture, email string, at time.Time) gtm.Contact {
	t.Helper()
	c, err := o.SetContact(ctx, fx.Partner, fx.Admin, fx.User, email, "+81312345678", "en", at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// secretIn is the token of the last offer mail of the partner.
func secretIn(t *testing.T, f *storetest.Fake, partnerID string) (string, mail.Message) {
	t.Helper()
	out := f.Outbox(partnerID)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i].Template == "gtm-offer-confirm" {
			u, err := url.Parse(out[i].Data["confirmUrl"])
			if err != nil || !strings.HasPrefix(out[i].Data["confirmUrl"], storetest.PublicURL+"/v1/gtm/confirm?token=") {
				t.Fatalf("confirmUrl %q", out[i].Data["confirmUrl"])
			}
			return u.Query().Get("token"), out[i]
		}
	}
	t.Fatal("no offer mail")
	return "", mail.Message{}
}

func count(f *storetest.Fake, partnerID, template string) int {
	n := 0
	for _, m := range f.Outbox(partnerID) {
		if m.Template == template {
			n++
		}
	}
	return n
}

func TestActivatingAnOfferNeedsAMarketingContact(t *testing.T) {
	f, fx, o := seed(t)
	_, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, fx.At)
	storetest.WantCode(t, err, "marketing_contact_required")
	if _, err := o.Contact(ctx, fx.Partner); !errors.Is(err, gtm.ErrNoContact) {
		t.Fatalf("contact: %v", err)
	}
	if b, _ := f.Benefit(ctx, fx.Partner, fx.Offer); b.Status != benefit.Available || count(f, fx.Partner, "gtm-offer-confirm") != 0 {
		t.Fatalf("line %s", b.Status)
	}
	_, err = o.Activate(ctx, fx.Partner, fx.Admin, fx.Software, fx.At) // not an offer
	if !errors.Is(err, apperr.ErrNotFound) {
		storetest.WantCode(t, err, "not_found")
	}
}

func TestContactIsADirectoryUserAtAnotherAddress(t *testing.T) {
	_, fx, o := seed(t)
	_, err := o.SetContact(ctx, fx.Partner, fx.Admin, fx.SecondUser, "mkt@example.com", "+81312345678", "en", fx.At)
	storetest.WantCode(t, err, "user_not_found")
	_, err = o.SetContact(ctx, fx.Partner, fx.Admin, fx.User, "USER@"+fx.Partner+".example", "+81312345678", "en", fx.At)
	storetest.WantCode(t, err, "email_must_differ")
	_, err = o.SetContact(ctx, fx.Partner, fx.Admin, fx.User, "mkt@example.com", "0312345678", "en", fx.At)
	storetest.WantCode(t, err, "validation_failed")
}

func TestContactChangeMailsTheInstructionsWithNoCallerText(t *testing.T) {
	f, fx, o := seed(t)
	c := name(t, o, fx, "mkt@example.com", fx.At)
	if got, err := o.Contact(ctx, fx.Partner); err != nil || got.Email != c.Email || got.UpdatedBy != fx.Admin {
		t.Fatalf("contact %+v %v", got, err)
	}
	out := f.Outbox(fx.Partner)
	if len(out) != 1 || out[0].To[0] != "mkt@example.com" || len(out[0].Data) != 1 || out[0].Data["partnerName"] != "Partner "+fx.Partner {
		t.Fatalf("mail %+v", out)
	}
}

func TestContactChangeThatChangesNothingSendsNothing(t *testing.T) {
	f, fx, o := seed(t)
	name(t, o, fx, "mkt@example.com", fx.At)
	for range 10 { // over every limit, were it counted
		name(t, o, fx, "mkt@example.com", fx.At)
	}
	if n := count(f, fx.Partner, "gtm-contact-instructions"); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
}

func TestContactMailsAreLimitedPerPartnerAndPerAddress(t *testing.T) {
	_, fx, o := seed(t)
	for i := range gtm.ContactMailsPerPartner {
		name(t, o, fx, fmt.Sprintf("m%d@example.com", i), fx.At)
	}
	_, err := o.SetContact(ctx, fx.Partner, fx.Admin, fx.User, "more@example.com", "+81312345678", "en", fx.At)
	storetest.WantCode(t, err, "rate_limited")
	if e, _ := errors.AsType[*apperr.Error](err); e.Extra[apperr.RetryAfter] != 15*3600 { // 09:00 to midnight
		t.Fatalf("retryAfter %v", e.Extra[apperr.RetryAfter])
	}
	if c, _ := o.Contact(ctx, fx.Partner); c.Email != fmt.Sprintf("m%d@example.com", gtm.ContactMailsPerPartner-1) {
		t.Fatalf("a refused change was written: %+v", c)
	}
	name(t, o, fx, "more@example.com", fx.At.Add(24*time.Hour)) // a new UTC day
	// Per address, across partners: the second partner may not mail it a fourth time today.
	at := fx.At.Add(48 * time.Hour)
	for i := range 4 {
		addr := "same@example.com"
		if i%2 == 1 {
			addr = "between@example.com"
		}
		_, err := o.SetContact(ctx, fx.Second, fx.SecondAdmin, fx.SecondUser, addr, "+81312345678", "en", at)
		if err != nil {
			t.Fatal(err)
		}
	}
	name(t, o, fx, "same@example.com", at) // the third mail to it today
	_, err = o.SetContact(ctx, fx.Second, fx.SecondAdmin, fx.SecondUser, "same@example.com", "+81312345678", "en", at)
	storetest.WantCode(t, err, "rate_limited")
}

func TestActivationMailsASingleUseLinkAndRepeatingItSendsNothing(t *testing.T) {
	f, fx, o := seed(t)
	name(t, o, fx, "mkt@example.com", fx.At)
	b, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, fx.At)
	if err != nil || b.Status != benefit.Pending || !b.LinkExpiresAt.Equal(fx.At.Add(gtm.LinkValidity)) {
		t.Fatalf("%+v %v", b, err)
	}
	_, msg := secretIn(t, f, fx.Partner)
	if msg.To[0] != "mkt@example.com" || msg.Data["offerName"] == "" || msg.Data["partnerName"] != "Partner "+fx.Partner {
		t.Fatalf("mail %+v", msg)
	}
	for range 3 {
		if b, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, fx.At.Add(time.Hour)); err != nil || b.Status != benefit.Pending {
			t.Fatalf("%+v %v", b, err)
		}
	}
	if n := count(f, fx.Partner, "gtm-offer-confirm"); n != 1 {
		t.Fatalf("%d links, want 1", n)
	}
	o.PublicURL = ""
	if _, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, fx.At.Add(time.Hour)); err != nil {
		t.Fatalf("nothing to send needs no public URL: %v", err)
	}
}

func TestNoPublicURLIsUnavailable(t *testing.T) {
	_, fx, o := seed(t)
	name(t, o, fx, "mkt@example.com", fx.At)
	o.PublicURL = ""
	_, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, fx.At)
	storetest.WantCode(t, err, "public_url_unset")
}

func TestLinkToAReplacedAddressOrExpiredIsReplacedAndNoLongerConfirms(t *testing.T) {
	f, fx, o := seed(t)
	name(t, o, fx, "old@example.com", fx.At)
	if _, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, fx.At); err != nil {
		t.Fatal(err)
	}
	old, _ := secretIn(t, f, fx.Partner)
	name(t, o, fx, "new@example.com", fx.At)
	if _, err := o.ConfirmPage(ctx, old, fx.At); !errors.Is(err, gtm.ErrTokenInvalid) {
		t.Fatalf("a link to a replaced address: %v", err)
	}
	if _, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, fx.At); err != nil {
		t.Fatal(err)
	}
	second, msg := secretIn(t, f, fx.Partner)
	if msg.To[0] != "new@example.com" || second == old {
		t.Fatalf("mail %+v", msg)
	}
	// Expired unused: the next activation sends a new link.
	later := fx.At.Add(gtm.LinkValidity)
	if _, _, err := o.Confirm(ctx, second, later); !errors.Is(err, gtm.ErrTokenInvalid) {
		t.Fatalf("an expired link: %v", err)
	}
	if _, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, later); err != nil {
		t.Fatal(err)
	}
	third, _ := secretIn(t, f, fx.Partner)
	if _, _, err := o.Confirm(ctx, second, later); !errors.Is(err, gtm.ErrTokenInvalid) {
		t.Fatalf("a superseded link: %v", err)
	}
	if _, _, err := o.Confirm(ctx, third, later); err != nil {
		t.Fatalf("the latest link: %v", err)
	}
}

func TestALinkConfirmsOnceAndTheOfferIsActiveUntilItsMonthsAreOver(t *testing.T) {
	f, fx, o := seed(t)
	name(t, o, fx, "mkt@example.com", fx.At)
	if _, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, fx.At); err != nil {
		t.Fatal(err)
	}
	secret, _ := secretIn(t, f, fx.Partner)
	page, err := o.ConfirmPage(ctx, secret, fx.At)
	if err != nil || page.ActiveMonths <= 0 || page.PartnerName != "Partner "+fx.Partner || page.Link.Language != "en" {
		t.Fatalf("page %+v %v", page, err)
	}
	at := fx.At.Add(time.Hour)
	_, until, err := o.Confirm(ctx, secret, at)
	if err != nil || !until.Equal(benefit.AddMonths(at, page.ActiveMonths)) {
		t.Fatalf("until %v %v", until, err)
	}
	if b, _ := f.Benefit(ctx, fx.Partner, fx.Offer); b.Status != benefit.Active || !b.ExpiresAt.Equal(until) {
		t.Fatalf("line %+v", b)
	}
	if _, _, err := o.Confirm(ctx, secret, at); !errors.Is(err, gtm.ErrTokenInvalid) {
		t.Fatalf("a used link: %v", err)
	}
	if b, err := o.Activate(ctx, fx.Partner, fx.Admin, fx.Offer, at); err != nil || b.Status != benefit.Active || count(f, fx.Partner, "gtm-offer-confirm") != 1 {
		t.Fatalf("activating an active offer: %+v %v", b, err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 43)} {
		if _, err := o.ConfirmPage(ctx, bad, at); !errors.Is(err, gtm.ErrTokenInvalid) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}
