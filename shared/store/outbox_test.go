package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/mail/sesmail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// newMailPartner creates a partner whose account email is unique across
// test runs: the SES emulator's store is shared by every test process.
func newMailPartner(t *testing.T, s *store.Store, language string) partner.Partner {
	t.Helper()
	id := ids.New("ptn")
	p, err := partner.NewPartner(partner.Partner{ID: id, Name: "Contoso " + language, Currency: "USD", AccountEmail: strings.ToLower(id) + "@mail-test.example", Language: language, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := partner.NewUser(partner.User{ID: ids.New("usr"), PartnerID: id, Email: p.AccountEmail, DisplayName: "Admin", Roles: []access.Role{access.GlobalAdmin}, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePartner(context.Background(), p, admin); err != nil {
		t.Fatal(err)
	}
	return p
}

// buyWithReceipt buys the gold package at `at` and queues its receipt in the
// same transaction, the way the purchases handler does.
func buyWithReceipt(t *testing.T, s *store.Store, p partner.Partner, at time.Time) (benefit.Purchase, mail.Message) {
	t.Helper()
	purchase, lines, err := benefit.NewPurchase(p.ID, p.Currency, demoCatalog(t), "gold-2026", at, ids.New)
	if err != nil {
		t.Fatal(err)
	}
	msg := mail.Message{
		ID: ids.New("msg"), To: []string{p.AccountEmail}, Template: "purchase-receipt", Language: p.Language, CreatedAt: at,
		Data: map[string]string{
			"partnerName": p.Name, "packageName": purchase.PackageName, "plan": string(purchase.Plan),
			"purchaseId": purchase.ID, "price": purchase.Price.String(),
			"purchasedAt": at.Format(time.RFC3339), "benefitCount": strconv.Itoa(len(lines)),
		},
	}
	if err := s.CreatePurchase(context.Background(), purchase, lines, msg); err != nil {
		t.Fatal(err)
	}
	return purchase, msg
}

func pendingIDs(t *testing.T, s *store.Store, at time.Time) []string {
	t.Helper()
	qs, err := s.PendingMail(context.Background(), at, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, q := range qs {
		out = append(out, q.ID)
	}
	return out
}

func TestClaimMailIsExclusive(t *testing.T) {
	s, _ := newStore(t)
	_, msg := buyWithReceipt(t, s, newMailPartner(t, s, "en"), now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 10 {
		wg.Go(func() {
			_, err := s.ClaimMail(context.Background(), msg.ID, now, time.Minute)
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, mail.ErrNotClaimable):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d of 10 concurrent claims won, want 1", won)
	}
}

func TestPendingMailIsDueOrder(t *testing.T) {
	s, _ := newStore(t)
	p := newMailPartner(t, s, "en")
	// Within one second on purpose: the due index must sort by time, not
	// by RFC 3339 text (where ".5Z" sorts before "Z").
	_, late := buyWithReceipt(t, s, p, now.Add(time.Second))
	_, first := buyWithReceipt(t, s, p, now)
	_, mid := buyWithReceipt(t, s, p, now.Add(500*time.Millisecond))
	if got := pendingIDs(t, s, now.Add(time.Second)); strings.Join(got, ",") != strings.Join([]string{first.ID, mid.ID, late.ID}, ",") {
		t.Errorf("pending = %v, want %s, %s, %s", got, first.ID, mid.ID, late.ID)
	}
	if got := pendingIDs(t, s, now.Add(999*time.Millisecond)); len(got) != 2 {
		t.Errorf("due before the last: %v", got)
	}
	qs, err := s.PendingMail(context.Background(), now.Add(time.Hour), 1)
	if err != nil || len(qs) != 1 || qs[0].ID != first.ID || qs[0].Status != mail.StatusPending || qs[0].Data["purchaseId"] == "" {
		t.Errorf("limit 1: %+v %v", qs, err)
	}
}

func TestSentMailLeavesTheDueIndex(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	_, msg := buyWithReceipt(t, s, newMailPartner(t, s, "en"), now)
	c, err := s.ClaimMail(ctx, msg.ID, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != mail.StatusSending || !c.Until.Equal(now.Add(time.Minute)) || c.To[0] != msg.To[0] {
		t.Errorf("claim = %+v", c)
	}
	if got := pendingIDs(t, s, now.Add(time.Second)); len(got) != 0 {
		t.Errorf("a message under a live lease is pending: %v", got)
	}
	if err := s.MarkMailSent(ctx, c, now); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, s, now.AddDate(1, 0, 0)); len(got) != 0 {
		t.Errorf("a sent message is still pending: %v", got)
	}
	if _, err := s.ClaimMail(ctx, msg.ID, now.AddDate(1, 0, 0), time.Minute); !errors.Is(err, mail.ErrNotClaimable) {
		t.Errorf("claiming a sent message: %v", err)
	}
	if err := s.MarkMailSent(ctx, c, now); !errors.Is(err, mail.ErrLeaseLost) {
		t.Errorf("marking twice: %v", err)
	}
	if q, err := s.OutboxMail(ctx, msg.ID); err != nil || q.Status != mail.StatusSent {
		t.Errorf("stored: %+v %v", q, err)
	}
	if _, err := s.ClaimMail(ctx, "msg_missing", now, time.Minute); !errors.Is(err, mail.ErrNotClaimable) {
		t.Errorf("claiming a missing message: %v", err)
	}
}

func TestLapsedLeaseCanBeReclaimed(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	_, msg := buyWithReceipt(t, s, newMailPartner(t, s, "en"), now)
	crashed, err := s.ClaimMail(ctx, msg.ID, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimMail(ctx, msg.ID, now.Add(59*time.Second), time.Minute); !errors.Is(err, mail.ErrNotClaimable) {
		t.Errorf("claim under a live lease: %v", err)
	}
	lapsed := now.Add(time.Minute)
	if got := pendingIDs(t, s, lapsed); len(got) != 1 {
		t.Fatalf("a lapsed lease is not due again: %v", got)
	}
	c, err := s.ClaimMail(ctx, msg.ID, lapsed, time.Minute)
	if err != nil {
		t.Fatalf("reclaim: %v", err)
	}
	// The crashed sender, come back, cannot move the message any more.
	if err := s.MarkMailSent(ctx, crashed, lapsed); !errors.Is(err, mail.ErrLeaseLost) {
		t.Errorf("stale sent mark: %v", err)
	}
	if err := s.MarkMailFailed(ctx, crashed, crashed.Fail(lapsed, errors.New("x"))); !errors.Is(err, mail.ErrLeaseLost) {
		t.Errorf("stale failed mark: %v", err)
	}
	if err := s.MarkMailSent(ctx, c, lapsed); err != nil {
		t.Errorf("the new owner's mark: %v", err)
	}
}

func TestFailedMailBacksOffThenDies(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	_, msg := buyWithReceipt(t, s, newMailPartner(t, s, "en"), now)
	at := now
	for attempt := 1; attempt <= mail.MaxAttempts; attempt++ {
		c, err := s.ClaimMail(ctx, msg.ID, at, time.Minute)
		if err != nil {
			t.Fatalf("attempt %d: claim: %v", attempt, err)
		}
		f := c.Fail(at, errors.New("ses: throttled"))
		if err := s.MarkMailFailed(ctx, c, f); err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		q, err := s.OutboxMail(ctx, msg.ID)
		if err != nil || q.Attempts != attempt {
			t.Fatalf("attempt %d: stored %+v %v", attempt, q, err)
		}
		if f.Dead {
			break
		}
		if q.Status != mail.StatusPending || !q.DueAt.Equal(f.RetryAt) {
			t.Fatalf("attempt %d: %+v, want pending until %v", attempt, q, f.RetryAt)
		}
		if got := pendingIDs(t, s, f.RetryAt.Add(-time.Millisecond)); len(got) != 0 {
			t.Fatalf("attempt %d: pending during backoff: %v", attempt, got)
		}
		at = f.RetryAt
		if got := pendingIDs(t, s, at); len(got) != 1 {
			t.Fatalf("attempt %d: not pending after backoff: %v", attempt, got)
		}
	}
	q, _ := s.OutboxMail(ctx, msg.ID)
	if q.Status != mail.StatusDead || q.Attempts != mail.MaxAttempts {
		t.Errorf("final: %+v", q)
	}
	if got := pendingIDs(t, s, at.AddDate(1, 0, 0)); len(got) != 0 {
		t.Errorf("a dead message is pending: %v", got)
	}
}

// receiptsTo returns the mail the SES emulator holds for one address.
func receiptsTo(t *testing.T, addr string) []testenv.Mail {
	t.Helper()
	var out []testenv.Mail
	for _, m := range testenv.SentMail(t) {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

func TestReceiptIsDeliveredOnceThroughSES(t *testing.T) {
	s, _ := newStore(t)
	sender := &mail.Sender{Outbox: s, Transport: sesmail.New(testenv.SES(t), mail.DefaultFrom)}
	ctx := context.Background()
	en := newMailPartner(t, s, "en")
	ja := newMailPartner(t, s, "ja-JP")
	purchase, _ := buyWithReceipt(t, s, en, now)
	buyWithReceipt(t, s, ja, now)

	sum, err := sender.Drain(ctx, now.Add(time.Second))
	if err != nil || sum != (mail.Summary{Sent: 2}) {
		t.Fatalf("drain = %+v, %v; want 2 sent", sum, err)
	}
	if sum, err := sender.Drain(ctx, now.Add(time.Hour)); err != nil || sum != (mail.Summary{}) {
		t.Fatalf("second drain = %+v, %v; want nothing", sum, err)
	}

	got := receiptsTo(t, en.AccountEmail)
	if len(got) != 1 {
		t.Fatalf("%d receipts to %s, want exactly 1: %+v", len(got), en.AccountEmail, got)
	}
	r := got[0]
	if r.From != mail.DefaultFrom || !strings.Contains(r.Subject, purchase.PackageName) ||
		!strings.Contains(r.Text, purchase.ID) || !strings.Contains(r.HTML, purchase.PackageName) {
		t.Errorf("receipt = %+v", r)
	}
	got = receiptsTo(t, ja.AccountEmail)
	if len(got) != 1 || !strings.Contains(got[0].Subject, "ご購入確認") || !strings.Contains(got[0].Text, "様") {
		t.Errorf("Japanese receipt: %+v", got)
	}
}
