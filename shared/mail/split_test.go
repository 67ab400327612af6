package mail_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/mail"
)

// fakeDirectory resolves partner ids to admin addresses.
type fakeDirectory struct {
	mu     sync.Mutex
	admins map[string][]string
	fail   error
	calls  int
}

func (d *fakeDirectory) GlobalAdminEmails(_ context.Context, partnerID string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.fail != nil {
		return nil, d.fail
	}
	return d.admins[partnerID], nil
}

func admins(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("admin%03d@contoso.example", i)
	}
	return out
}

// recorder is a transport that keeps each delivered message's recipients.
type recorder struct {
	mu   sync.Mutex
	sent map[string][]string // id → To
}

func (r *recorder) Send(_ context.Context, m mail.Message, _ mail.Rendered) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sent == nil {
		r.sent = map[string][]string{}
	}
	if _, dup := r.sent[m.ID]; dup {
		return fmt.Errorf("%s sent twice", m.ID)
	}
	r.sent[m.ID] = m.To
	return nil
}

func toAdmins(id, partnerID string) mail.Message {
	return mail.Message{ID: id, AdminsOf: partnerID, Template: "purchase-cancelled", Language: "en",
		Data: samples["purchase-cancelled"], CreatedAt: t0}
}

// TestAudienceIsSplitIntoPartsOfAtMost50: a message to the 120 admins of a
// partner becomes three parts of 50, 50 and 20 addresses, sent in the same
// drain; every admin is in exactly one part.
func TestAudienceIsSplitIntoPartsOfAtMost50(t *testing.T) {
	ob := newFakeOutbox(toAdmins("m1", "ptn_a"))
	tr := &recorder{}
	dir := &fakeDirectory{admins: map[string][]string{"ptn_a": admins(120)}}
	s := &mail.Sender{Outbox: ob, Transport: tr, Directory: dir}
	sum, err := s.Drain(context.Background(), t0.Add(time.Second))
	if err != nil || sum != (mail.Summary{Split: 1, Sent: 3}) {
		t.Fatalf("summary %+v %v, want 1 split and 3 sent", sum, err)
	}
	if ob.get("m1").Status != mail.StatusSplit {
		t.Errorf("the message is %s, want split", ob.get("m1").Status)
	}
	var sizes []int
	copies := map[string]int{}
	for _, id := range []string{"m1-001", "m1-002", "m1-003"} {
		sizes = append(sizes, len(tr.sent[id]))
		for _, a := range tr.sent[id] {
			copies[a]++
		}
		if q := ob.get(id); q.Status != mail.StatusSent || q.Template != "purchase-cancelled" || q.AdminsOf != "" {
			t.Errorf("part %s: %+v", id, q)
		}
	}
	if !slices.Equal(sizes, []int{50, 50, 20}) || len(copies) != 120 {
		t.Errorf("parts of %v addresses, %d admins reached", sizes, len(copies))
	}
	for a, n := range copies {
		if n != 1 {
			t.Errorf("%s in %d parts", a, n)
		}
	}
}

// TestFailedResolutionIsARetriedAttempt: a directory that cannot be read
// is a failed attempt with backoff, like a failed send; the retry splits.
func TestFailedResolutionIsARetriedAttempt(t *testing.T) {
	ob := newFakeOutbox(toAdmins("m1", "ptn_a"))
	dir := &fakeDirectory{admins: map[string][]string{"ptn_a": admins(3)}, fail: errors.New("throttled")}
	tr := &recorder{}
	s := &mail.Sender{Outbox: ob, Transport: tr, Directory: dir}
	if sum, err := s.Drain(context.Background(), t0); err != nil || sum != (mail.Summary{Failed: 1}) {
		t.Fatalf("first drain %+v %v", sum, err)
	}
	if q := ob.get("m1"); q.Status != mail.StatusPending || q.Attempts != 1 || !q.DueAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the failure: %+v", q)
	}
	dir.fail = nil
	if sum, err := s.Drain(context.Background(), t0.Add(time.Minute)); err != nil || sum != (mail.Summary{Split: 1, Sent: 1}) {
		t.Fatalf("retry %+v %v", sum, err)
	}
	if got := tr.sent["m1-001"]; len(got) != 3 {
		t.Errorf("part sent to %v", got)
	}
	// No sender or no address at all: failed attempts, never a panic.
	for _, s := range []*mail.Sender{{Outbox: newFakeOutbox(toAdmins("m2", "ptn_a")), Transport: tr},
		{Outbox: newFakeOutbox(toAdmins("m3", "ptn_none")), Transport: tr, Directory: dir}} {
		if sum, err := s.Drain(context.Background(), t0); err != nil || sum != (mail.Summary{Failed: 1}) {
			t.Errorf("%+v %v", sum, err)
		}
	}
}

// TestRepeatedSplitWritesNoPartTwice: a sender that wrote the parts and
// then lost its lease (crashed before marking) leaves parts that a later
// split finds and does not write again; each admin gets one copy.
func TestRepeatedSplitWritesNoPartTwice(t *testing.T) {
	m := toAdmins("m1", "ptn_a")
	ob := newFakeOutbox(m)
	ctx := context.Background()
	crashed, err := ob.ClaimMail(ctx, "m1", t0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// It wrote the parts, and its mark came too late.
	parts := mail.Parts(m, admins(70))
	if err := ob.SplitMail(ctx, crashed, parts, t0); err != nil {
		t.Fatal(err)
	}
	ob.items["m1"].Status, ob.items["m1"].DueAt = mail.StatusSending, t0.Add(time.Minute) // as if unmarked
	tr := &recorder{}
	s := &mail.Sender{Outbox: ob, Transport: tr, Directory: &fakeDirectory{admins: map[string][]string{"ptn_a": admins(70)}}}
	sum, err := s.Drain(ctx, t0.Add(time.Minute))
	if err != nil || sum.Sent != 2 || sum.Split != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	if len(tr.sent) != 2 || len(tr.sent["m1-001"]) != 50 || len(tr.sent["m1-002"]) != 20 {
		t.Errorf("sent %v", tr.sent)
	}
	if err := ob.SplitMail(ctx, crashed, parts, t0); !errors.Is(err, mail.ErrLeaseLost) {
		t.Errorf("the old claim's split: %v", err)
	}
}

func TestParts(t *testing.T) {
	m := toAdmins("msg_1", "ptn_a")
	addrs := append(admins(101), "ADMIN000@contoso.example", " ", "")
	parts := mail.Parts(m, addrs)
	if len(parts) != 3 || parts[0].ID != "msg_1-001" || parts[2].ID != "msg_1-003" || len(parts[2].To) != 1 {
		t.Fatalf("parts %d, ids %s…%s", len(parts), parts[0].ID, parts[len(parts)-1].ID)
	}
	for _, p := range parts {
		if p.AdminsOf != "" || p.Template != m.Template || !p.CreatedAt.Equal(m.CreatedAt) || p.Validate() != nil {
			t.Errorf("part %+v", p)
		}
	}
	if again := mail.Parts(m, addrs); !slices.EqualFunc(parts, again, func(a, b mail.Message) bool {
		return a.ID == b.ID && slices.Equal(a.To, b.To)
	}) {
		t.Error("two splits of the same audience differ")
	}
	if mail.Parts(m, nil) != nil {
		t.Error("an empty audience has parts")
	}
}

func TestValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		m    mail.Message
		want string
	}{
		"to":            {mail.Message{ID: "a", To: admins(50)}, ""},
		"audience":      {mail.Message{ID: "a", AdminsOf: "ptn_a"}, ""},
		"nobody":        {mail.Message{ID: "a"}, "no recipient"},
		"both":          {mail.Message{ID: "a", To: admins(1), AdminsOf: "ptn_a"}, "both"},
		"over SES's 50": {mail.Message{ID: "a", To: admins(51)}, "51 recipients"},
	} {
		err := tc.m.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}
