package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/gtm"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store"
)

// GTMContract is what every gtm.Store must do: read the states a contact
// change and an offer decide on (a missing partner or line not found);
// write a contact with its mail and event (a user outside the directory
// writes nothing); count the instructions mails so that exactly each
// quota's Max is accepted, also under concurrency, and a refusal writes
// nothing; put one link of concurrent activations; let a link confirm
// once; refuse a link that a newer one superseded, one to a replaced
// address, and one whose line a cancellation revoked, also when the
// revocation races the confirmation; answer benefit.ErrBusy after
// benefit.DrawAttempts lost rounds. newStore returns an empty store per
// case.
func GTMContract(t *testing.T, newStore func(t *testing.T) GTMStore) {
	run := caseRunner(t, newStore, SeedGTM)
	ctx := store.NoWait(context.Background()) // lost rounds run again at once

	run("ContactIsWrittenWithItsMailAndEvent", func(t *testing.T, s GTMStore, fx GTMFixture) {
		c, msg := setContact(t, s, fx, fx.Partner, fx.User, "mkt@example.com")
		got, found, err := s.Contact(ctx, fx.Partner)
		if err != nil || !found || got.Email != c.Email || got.UserID != fx.User || got.Language != "en" || !got.UpdatedAt.Equal(fx.At) {
			t.Fatalf("contact %+v %v %v", got, found, err)
		}
		if q, err := s.OutboxMail(ctx, msg.ID); err != nil || q.Message.To[0] != "mkt@example.com" {
			t.Fatalf("mail %+v %v", q, err)
		}
		wantGTMEvents(t, s, fx.Partner, audit.ContactSet, 1)
		if _, found, _ := s.Contact(ctx, fx.Second); found {
			t.Fatal("the other partner has a contact")
		}
	})

	run("StatesReadWhatTheDecisionsNeed", func(t *testing.T, s GTMStore, fx GTMFixture) {
		st, err := s.ContactState(ctx, fx.Partner, fx.User)
		if err != nil || st.Partner.Name != "Partner "+fx.Partner || !st.Found || st.User.ID != fx.User || st.HadOld {
			t.Fatalf("before a contact: %+v %v", st, err)
		}
		if st, err := s.ContactState(ctx, fx.Partner, fx.SecondUser); err != nil || st.Found {
			t.Fatalf("another partner's user: %+v %v", st, err)
		}
		if _, err := s.ContactState(ctx, "ptn_none", fx.User); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("no such partner: %v", err)
		}
		o, err := s.OfferState(ctx, fx.Partner, fx.Offer)
		if err != nil || o.Line.ID != fx.Offer || o.Line.Kind != fx.Catalog.Products[o.Line.Product].Kind || o.PartnerName != "Partner "+fx.Partner || o.HasContact {
			t.Fatalf("offer before a contact: %+v %v", o, err)
		}
		setContact(t, s, fx, fx.Partner, fx.User, "mkt@example.com")
		if st, err := s.ContactState(ctx, fx.Partner, fx.Other); err != nil || !st.HadOld || st.Old.Email != "mkt@example.com" || st.Old.UserID != fx.User {
			t.Fatalf("after a contact: %+v %v", st, err)
		}
		if o, err := s.OfferState(ctx, fx.Partner, fx.Offer); err != nil || !o.HasContact || o.Contact.Email != "mkt@example.com" {
			t.Fatalf("offer after a contact: %+v %v", o, err)
		}
		for _, k := range [][2]string{{fx.Partner, fx.SecondOffer}, {fx.Second, fx.Offer}, {"ptn_none", fx.Offer}, {fx.Partner, "ben_none"}} {
			if _, err := s.OfferState(ctx, k[0], k[1]); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("OfferState(%s, %s): %v, want not found", k[0], k[1], err)
			}
		}
	})

	run("ContactUserMustBeInTheDirectory", func(t *testing.T, s GTMStore, fx GTMFixture) {
		c := gtm.Contact{PartnerID: fx.Partner, UserID: fx.SecondUser, Email: "mkt@example.com", Phone: "+81312345678", Language: "en", UpdatedAt: fx.At}
		msg := mail.Message{ID: ids.New("msg"), To: []string{c.Email}, Template: "gtm-contact-instructions", Language: "en", CreatedAt: fx.At}
		err := s.SetContact(ctx, c, msg, audit.New(ids.New, fx.Partner, fx.Admin, audit.ContactSet, "", fx.At), gtm.ContactQuotas(c, fx.At))
		if e, ok := errors.AsType[*apperr.Error](err); !ok || e.Code != "user_not_found" {
			t.Fatalf("got %v, want user_not_found", err)
		}
		if _, found, _ := s.Contact(ctx, fx.Partner); found {
			t.Fatal("a contact was written")
		}
		if _, err := s.OutboxMail(ctx, msg.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("the mail was queued: %v", err)
		}
		wantGTMEvents(t, s, fx.Partner, audit.ContactSet, 0)
	})

	run("QuotasAcceptExactlyTheirMaxUnderConcurrency", func(t *testing.T, s GTMStore, fx GTMFixture) {
		// The partner's counter: 5 a day whatever the addresses.
		accepted := burst(t, s, fx, 10, func(i int) (string, string) { return fx.Partner, fmt.Sprintf("a%d@example.com", i) })
		if accepted > gtm.ContactMailsPerPartner {
			t.Fatalf("%d accepted, want at most %d", accepted, gtm.ContactMailsPerPartner)
		}
		for i := 0; accepted < gtm.ContactMailsPerPartner; i++ { // the lost races: the counter counts only what was written
			if i > 20 {
				t.Fatal("the partner's counter refuses under its max")
			}
			if _, _, err := trySetContact(s, fx, fx.Partner, fx.User, fmt.Sprintf("b%d@example.com", i)); err == nil {
				accepted++
			}
		}
		_, _, err := trySetContact(s, fx, fx.Partner, fx.User, "c@example.com")
		if qe, ok := errors.AsType[*gtm.QuotaExceeded](err); !ok || qe.Quota.Scope != gtm.ScopeContactPartner {
			t.Fatalf("over the partner's max: %v", err)
		}
		wantGTMEvents(t, s, fx.Partner, audit.ContactSet, gtm.ContactMailsPerPartner)
		// The address's counter: 3 a day, counted across partners (the
		// other partner's own counter is still under its max).
		addr := "shared@example.com"
		n := burst(t, s, fx, 4, func(int) (string, string) { return fx.Second, addr })
		if n > gtm.ContactMailsPerAddress {
			t.Fatalf("%d to one address accepted, want at most %d", n, gtm.ContactMailsPerAddress)
		}
		for i := 0; n < gtm.ContactMailsPerAddress; i++ {
			if i > 20 {
				t.Fatal("the address's counter refuses under its max")
			}
			if _, _, err := trySetContact(s, fx, fx.Second, fx.SecondUser, addr); err == nil {
				n++
			}
		}
		_, _, err = trySetContact(s, fx, fx.Second, fx.SecondUser, addr)
		if qe, ok := errors.AsType[*gtm.QuotaExceeded](err); !ok || qe.Quota.Scope != gtm.ScopeContactAddress {
			t.Fatalf("over the address's max: %v", err)
		}
	})

	run("ConcurrentActivationsPutOneLink", func(t *testing.T, s GTMStore, fx GTMFixture) {
		setContact(t, s, fx, fx.Partner, fx.User, "mkt@example.com")
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() { _, errs[i] = Offers(s, fx.Catalog).Activate(ctx, fx.Partner, fx.Admin, fx.Offer, fx.At) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		wantGTMEvents(t, s, fx.Partner, audit.OfferRequested, 1)
		if b := mustBenefit(t, s, fx.Partner, fx.Offer); b.Status != benefit.Pending || b.LinkSentTo != "mkt@example.com" || b.LinkHash == "" {
			t.Fatalf("line %+v", b)
		}
	})

	run("ALinkConfirmsOnceUnderConcurrency", func(t *testing.T, s GTMStore, fx GTMFixture) {
		setContact(t, s, fx, fx.Partner, fx.User, "mkt@example.com")
		secret := issueLink(t, s, fx, "")
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() { _, _, errs[i] = Offers(s, fx.Catalog).Confirm(ctx, secret, fx.At.Add(time.Hour)) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, gtm.ErrTokenInvalid):
				t.Fatal(err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d confirmations succeeded, want 1", ok)
		}
		b := mustBenefit(t, s, fx.Partner, fx.Offer)
		if b.Status != benefit.Active || b.LinkHash != "" || b.ActivatedAt.IsZero() {
			t.Fatalf("line %+v", b)
		}
		if _, found, _ := s.LinkOf(ctx, gtm.HashToken(secret)); found {
			t.Fatal("a used link is still there")
		}
		wantGTMEvents(t, s, fx.Partner, audit.OfferActivated, 1)
	})

	run("ASupersededLinkIsRefused", func(t *testing.T, s GTMStore, fx GTMFixture) {
		setContact(t, s, fx, fx.Partner, fx.User, "mkt@example.com")
		first := issueLink(t, s, fx, "")
		second := issueLink(t, s, fx, "")
		l, found, err := s.LinkOf(ctx, gtm.HashToken(first))
		if err != nil || !found {
			t.Fatalf("first link: %v %v", found, err)
		}
		// The store's own fence, whatever the use case read.
		if err := s.ConfirmOffer(ctx, l, mustBenefit(t, s, fx.Partner, fx.Offer), fx.At.AddDate(0, 12, 0), fx.At, event(fx)); !errors.Is(err, gtm.ErrTokenInvalid) {
			t.Fatalf("superseded link: %v", err)
		}
		if _, _, err := Offers(s, fx.Catalog).Confirm(ctx, second, fx.At); err != nil {
			t.Fatalf("latest link: %v", err)
		}
	})

	run("ALinkToAReplacedAddressIsRefused", func(t *testing.T, s GTMStore, fx GTMFixture) {
		setContact(t, s, fx, fx.Partner, fx.User, "old@example.com")
		secret := issueLink(t, s, fx, "")
		setContact(t, s, fx, fx.Partner, fx.User, "new@example.com")
		l, _, _ := s.LinkOf(ctx, gtm.HashToken(secret))
		if err := s.ConfirmOffer(ctx, l, mustBenefit(t, s, fx.Partner, fx.Offer), fx.At.AddDate(0, 12, 0), fx.At, event(fx)); !errors.Is(err, gtm.ErrTokenInvalid) {
			t.Fatalf("link to a replaced address: %v", err)
		}
		// An activation that read the old address loses every round.
		err := s.UpdateOffer(ctx, fx.Partner, fx.Offer, func(st gtm.OfferState) (gtm.OfferChange, error) {
			return linkChange(fx, st, "old@example.com"), nil
		})
		if !errors.Is(err, benefit.ErrBusy) {
			t.Fatalf("a link to the old address: %v, want %v", err, benefit.ErrBusy)
		}
		if b := mustBenefit(t, s, fx.Partner, fx.Offer); b.LinkSentTo != "old@example.com" || b.LinkHash != l.Hash {
			t.Fatalf("line %+v", b)
		}
	})

	run("AConfirmationRacingARevocation", func(t *testing.T, s GTMStore, fx GTMFixture) {
		setContact(t, s, fx, fx.Partner, fx.User, "mkt@example.com")
		secret := issueLink(t, s, fx, "")
		l, _, _ := s.LinkOf(ctx, gtm.HashToken(secret))
		read := mustBenefit(t, s, fx.Partner, fx.Offer)
		if err := s.RevokeLine(ctx, fx.Partner, fx.Offer, fx.At); err != nil {
			t.Fatal(err)
		}
		// A confirmation that read the line before the revocation.
		if err := s.ConfirmOffer(ctx, l, read, fx.At.AddDate(0, 12, 0), fx.At, event(fx)); !errors.Is(err, gtm.ErrTokenInvalid) {
			t.Fatalf("confirmed a revoked line: %v", err)
		}
		if _, _, err := Offers(s, fx.Catalog).Confirm(ctx, secret, fx.At); !errors.Is(err, gtm.ErrTokenInvalid) {
			t.Fatalf("confirmed a revoked line: %v", err)
		}
		// Racing: never a revoked line that the confirmation made active.
		setContact(t, s, fx, fx.Second, fx.SecondUser, "mkt2@example.com")
		fx2 := fx
		fx2.Partner, fx2.Admin, fx2.Offer = fx.Second, fx.SecondAdmin, fx.SecondOffer
		secret = issueLink(t, s, fx2, "")
		var confirmErr, revokeErr error
		var wg sync.WaitGroup
		wg.Go(func() { _, _, confirmErr = Offers(s, fx.Catalog).Confirm(ctx, secret, fx.At) })
		wg.Go(func() { revokeErr = s.RevokeLine(ctx, fx.Second, fx.SecondOffer, fx.At) })
		wg.Wait()
		b := mustBenefit(t, s, fx.Second, fx.SecondOffer)
		switch {
		case confirmErr != nil && !errors.Is(confirmErr, gtm.ErrTokenInvalid):
			t.Fatal(confirmErr)
		case confirmErr != nil && (revokeErr != nil || b.Status != benefit.Revoked):
			t.Fatalf("neither won: %v, %v, %s", confirmErr, revokeErr, b.Status)
		case confirmErr == nil && revokeErr != nil && b.Status != benefit.Active:
			t.Fatalf("confirmed, the revocation lost, and the line is %s", b.Status)
		}
	})
}

// setContact names userID partnerID's contact at email, returning it and
// its instructions mail.
func setContact(t *testing.T, s GTMStore, fx GTMFixture, partnerID, userID, email string) (gtm.Contact, mail.Message) {
	t.Helper()
	c, msg, err := trySetContact(s, fx, partnerID, userID, email)
	if err != nil {
		t.Fatal(err)
	}
	return c, msg
}

// trySetContact writes a contact straight through the store, with the
// real quotas, at fx.At.
func trySetContact(s GTMStore, fx GTMFixture, partnerID, userID, email string) (gtm.Contact, mail.Message, error) {
	c := gtm.Contact{PartnerID: partnerID, UserID: userID, Email: email, Phone: "+81312345678", Language: "en", UpdatedAt: fx.At, UpdatedBy: "usr_admin"}
	msg := mail.Message{ID: ids.New("msg"), To: []string{email}, Template: "gtm-contact-instructions", Language: "en", CreatedAt: fx.At}
	err := s.SetContact(context.Background(), c, msg, audit.New(ids.New, partnerID, "usr_admin", audit.ContactSet, "", fx.At), gtm.ContactQuotas(c, fx.At))
	return c, msg, err
}

// burst sends n contact changes at once; it returns how many were
// accepted. Every refusal must be a quota's.
func burst(t *testing.T, s GTMStore, fx GTMFixture, n int, at func(i int) (partnerID, email string)) int {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		p, email := at(i)
		user := fx.User
		if p == fx.Second {
			user = fx.SecondUser
		}
		wg.Go(func() { _, _, errs[i] = trySetContact(s, fx, p, user, email) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if _, quota := errors.AsType[*gtm.QuotaExceeded](err); !quota {
			t.Logf("a change lost a race: %v", err) // the real store's transaction conflict; nothing written
		}
	}
	return ok
}

// issueLink makes a new link to the contact's address (or to), through
// the store's activation, and returns its secret.
func issueLink(t *testing.T, s GTMStore, fx GTMFixture, to string) string {
	t.Helper()
	var secret string
	err := s.UpdateOffer(context.Background(), fx.Partner, fx.Offer, func(st gtm.OfferState) (gtm.OfferChange, error) {
		addr := to
		if addr == "" {
			addr = st.Contact.Email
		}
		ch := linkChange(fx, st, addr)
		secret = ch.Mail.Data["secret"]
		return ch, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// linkChange is an activation's change: a new link to addr.
func linkChange(fx GTMFixture, st gtm.OfferState, addr string) gtm.OfferChange {
	tok := gtm.NewToken(fx.At)
	return gtm.OfferChange{
		Link: gtm.Link{Hash: tok.Hash, PartnerID: st.Line.PartnerID, BenefitID: st.Line.ID, Language: "en", Contact: addr, ExpiresAt: tok.ExpiresAt},
		Mail: mail.Message{ID: ids.New("msg"), To: []string{addr}, Template: "gtm-offer-confirm", Language: "en", CreatedAt: fx.At,
			Data: map[string]string{"secret": tok.Secret}},
		Event: audit.New(ids.New, st.Line.PartnerID, fx.Admin, audit.OfferRequested, st.Line.ID, fx.At),
	}
}

func event(fx GTMFixture) audit.Event {
	return audit.New(ids.New, fx.Partner, "contact:x", audit.OfferActivated, fx.Offer, fx.At)
}

func mustBenefit(t *testing.T, s GTMStore, partnerID, benefitID string) benefit.Benefit {
	t.Helper()
	b, err := s.Benefit(context.Background(), partnerID, benefitID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantGTMEvents(t *testing.T, s GTMStore, partnerID string, action audit.Action, want int) {
	t.Helper()
	es, _, err := s.Audit(context.Background(), partnerID, "", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Action == action {
			n++
		}
	}
	if n != want {
		t.Fatalf("%d %s events, want %d", n, action, want)
	}
}
