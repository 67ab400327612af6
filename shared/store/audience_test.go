package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// TestGlobalAdminEmails: the audience is every global admin of the
// partner (members and other roles left out), or the account email when
// the partner has no global admin.
func TestGlobalAdminEmails(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	p := mustPartner(t, s, "ptn_audience")
	want := []string{p.AccountEmail}
	for i := range 130 {
		roles := []access.Role{access.GlobalAdmin}
		if i%13 == 0 {
			roles = []access.Role{access.UserManagementAdmin}
		} else if i%13 == 1 {
			roles = nil
		}
		email := fmt.Sprintf("user%03d@audience.example", i)
		u, err := partner.NewUser(partner.User{ID: ids.New("usr"), PartnerID: p.ID, Email: email, DisplayName: "User", Roles: roles, CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(roles, access.GlobalAdmin) {
			want = append(want, email)
		}
	}
	got, err := s.GlobalAdminEmails(ctx, p.ID)
	slices.Sort(got)
	slices.Sort(want)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %d addresses (%v), want %d", len(got), err, len(want))
	}

	q, err := partner.NewPartner(partner.Partner{ID: "ptn_noadmin", Name: "No admin", Currency: "USD", AccountEmail: "account@noadmin.example", Language: "en", CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	member, _ := partner.NewUser(partner.User{ID: "usr_member_noadmin", PartnerID: q.ID, Email: "member@noadmin.example", DisplayName: "Member", CreatedAt: now})
	if err := s.CreatePartner(ctx, q, member); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GlobalAdminEmails(ctx, q.ID); err != nil || !slices.Equal(got, []string{"account@noadmin.example"}) {
		t.Errorf("without global admins: %v %v, want the account email", got, err)
	}
	if _, err := s.GlobalAdminEmails(ctx, "ptn_missing"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("no such partner: %v", err)
	}
}

// toTransport records each message it is given.
type toTransport struct {
	mu   sync.Mutex
	sent map[string][]string
}

func (r *toTransport) Send(_ context.Context, m mail.Message, _ mail.Rendered) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sent == nil {
		r.sent = map[string][]string{}
	}
	r.sent[m.ID] = m.To
	return nil
}

// TestAudienceMailIsSplitOnceThroughTheStore: a message to a partner's
// global admins is stored small; the sender splits it into parts of 50
// (put only if absent, so an old claim's repeated split writes nothing and
// is fenced) and sends each once. A message of more than 50 explicit
// addresses is refused with the change that owes it.
func TestAudienceMailIsSplitOnceThroughTheStore(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	p := mustPartner(t, s, "ptn_split")
	for i := range 119 {
		u, _ := partner.NewUser(partner.User{ID: ids.New("usr"), PartnerID: p.ID, Email: fmt.Sprintf("a%03d@split.example", i), DisplayName: "Admin", Roles: []access.Role{access.GlobalAdmin}, CreatedAt: now})
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	purchase, lines, err := benefit.NewPurchase(p.ID, p.Currency, demoCatalog(t), "silver-2026", now, ids.New)
	if err != nil {
		t.Fatal(err)
	}
	tooMany := mail.Message{ID: ids.New("msg"), Template: "purchase-cancelled", Language: "en", CreatedAt: now}
	for i := range mail.MaxRecipients + 1 {
		tooMany.To = append(tooMany.To, fmt.Sprintf("x%d@split.example", i))
	}
	if err := s.CreatePurchase(ctx, purchase, lines, tooMany); err == nil {
		t.Fatal("a message of 51 addresses was queued")
	}
	if _, _, err := s.Purchase(ctx, p.ID, purchase.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("the refused change was written: %v", err)
	}

	msg := mail.Message{ID: ids.New("msg"), AdminsOf: p.ID, Template: "purchase-cancelled", Language: "en", CreatedAt: now,
		Data: map[string]string{"partnerName": p.Name, "packageName": "Silver", "purchaseId": purchase.ID, "serviceRequestId": "sr_1",
			"refund": "1 USD", "reason": "r", "cancelledAt": "now", "cancelledBy": "usr_1"}}
	if err := s.CreatePurchase(ctx, purchase, lines, msg); err != nil {
		t.Fatal(err)
	}
	stale, err := s.ClaimMail(ctx, msg.ID, now, time.Minute)
	if err != nil || stale.AdminsOf != p.ID || stale.To != nil {
		t.Fatalf("claim: %+v %v", stale, err)
	}
	addrs, err := s.GlobalAdminEmails(ctx, p.ID)
	if err != nil || len(addrs) != 120 {
		t.Fatalf("%d admins, %v", len(addrs), err)
	}
	// The first sender's lease lapses and another sender claims the message;
	// the first then writes the parts, but its mark is fenced.
	current, err := s.ClaimMail(ctx, msg.ID, now.Add(time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	parts := mail.Parts(stale.Message, addrs)
	if err := s.SplitMail(ctx, stale, parts, now); !errors.Is(err, mail.ErrLeaseLost) {
		t.Fatalf("the stale claim's split: %v", err)
	}
	// The current holder splits again: the parts are there already.
	if err := s.SplitMail(ctx, current, parts, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	tr := &toTransport{}
	sender := &mail.Sender{Outbox: s, Directory: s, Transport: tr}
	sum, err := sender.Drain(ctx, now.Add(2*time.Minute))
	if err != nil || sum.Sent != 3 {
		t.Fatalf("drain %+v %v", sum, err)
	}
	if q, err := s.OutboxMail(ctx, msg.ID); err != nil || q.Status != mail.StatusSplit {
		t.Errorf("the message: %+v %v", q, err)
	}
	copies := map[string]int{}
	for id, to := range tr.sent {
		if len(to) > mail.MaxRecipients {
			t.Errorf("%s has %d recipients", id, len(to))
		}
		for _, a := range to {
			copies[a]++
		}
	}
	if len(tr.sent) != 3 || len(copies) != 120 {
		t.Errorf("%d messages reaching %d admins, want 3 and 120", len(tr.sent), len(copies))
	}
	for a, n := range copies {
		if n != 1 {
			t.Errorf("%s got %d copies", a, n)
		}
	}
	if got := pendingIDs(t, s, now.AddDate(1, 0, 0)); len(got) != 0 {
		t.Errorf("still pending: %v", got)
	}
}
