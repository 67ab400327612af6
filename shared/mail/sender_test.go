package mail_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/mail"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// fakeOutbox keeps the outbox in memory with the store's transition rules.
type fakeOutbox struct {
	mu    sync.Mutex
	items map[string]*mail.Queued
}

func newFakeOutbox(msgs ...mail.Message) *fakeOutbox {
	f := &fakeOutbox{items: map[string]*mail.Queued{}}
	for _, m := range msgs {
		f.items[m.ID] = &mail.Queued{Message: m, Status: mail.StatusPending, DueAt: m.CreatedAt}
	}
	return f
}

func (f *fakeOutbox) get(id string) mail.Queued {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.items[id]
}

func (f *fakeOutbox) PendingMail(_ context.Context, now time.Time, limit int) ([]mail.Queued, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []mail.Queued
	for _, q := range f.items {
		if (q.Status == mail.StatusPending || q.Status == mail.StatusSending) && !q.DueAt.After(now) {
			out = append(out, *q)
		}
	}
	slices.SortFunc(out, func(a, b mail.Queued) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out[:min(limit, len(out))], nil
}

func (f *fakeOutbox) ClaimMail(_ context.Context, id string, now time.Time, lease time.Duration) (mail.Claim, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q, ok := f.items[id]
	if !ok || (q.Status != mail.StatusPending && q.Status != mail.StatusSending) || q.DueAt.After(now) {
		return mail.Claim{}, mail.ErrNotClaimable
	}
	q.Status, q.DueAt = mail.StatusSending, now.Add(lease)
	return mail.Claim{Queued: *q, Until: q.DueAt}, nil
}

func (f *fakeOutbox) owns(c mail.Claim) (*mail.Queued, error) {
	q := f.items[c.ID]
	if q.Status != mail.StatusSending || !q.DueAt.Equal(c.Until) {
		return nil, mail.ErrLeaseLost
	}
	return q, nil
}

func (f *fakeOutbox) MarkMailSent(_ context.Context, c mail.Claim, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	q, err := f.owns(c)
	if err != nil {
		return err
	}
	q.Status = mail.StatusSent
	return nil
}

func (f *fakeOutbox) MarkMailFailed(_ context.Context, c mail.Claim, fl mail.Failure) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	q, err := f.owns(c)
	if err != nil {
		return err
	}
	q.Attempts = fl.Attempts
	if fl.Dead {
		q.Status = mail.StatusDead
	} else {
		q.Status, q.DueAt = mail.StatusPending, fl.RetryAt
	}
	return nil
}

func (f *fakeOutbox) SplitMail(_ context.Context, c mail.Claim, parts []mail.Message, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range parts {
		if _, ok := f.items[p.ID]; !ok {
			f.items[p.ID] = &mail.Queued{Message: p, Status: mail.StatusPending, DueAt: p.CreatedAt}
		}
	}
	q, err := f.owns(c)
	if err != nil {
		return err
	}
	q.Status = mail.StatusSplit
	return nil
}

// fakeTransport records deliveries; fail, when set, decides an attempt's
// error.
type fakeTransport struct {
	mu        sync.Mutex
	delivered map[string]int // per message id
	attempts  int
	fail      func(m mail.Message) error
}

func (t *fakeTransport) Send(ctx context.Context, m mail.Message, r mail.Rendered) error {
	t.mu.Lock()
	t.attempts++
	fail := t.fail
	t.mu.Unlock()
	if fail != nil {
		if err := fail(m); err != nil {
			return err
		}
	}
	if r.Subject == "" {
		return errors.New("not rendered")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.delivered == nil {
		t.delivered = map[string]int{}
	}
	t.delivered[m.ID]++
	return nil
}

func receipt(id string, at time.Time) mail.Message {
	return mail.Message{ID: id, To: []string{id + "@example.com"}, Template: "purchase-receipt", Language: "en",
		Data: samples["purchase-receipt"], CreatedAt: at}
}

func TestDrainSendsEachDueMessageOnce(t *testing.T) {
	ob := newFakeOutbox(receipt("m1", t0), receipt("m2", t0.Add(time.Second)), receipt("later", t0.Add(time.Hour)))
	tr := &fakeTransport{}
	s := &mail.Sender{Outbox: ob, Transport: tr, BatchSize: 1} // pages of one exercise the loop
	ctx := context.Background()
	sum, err := s.Drain(ctx, t0.Add(time.Minute))
	if err != nil || sum != (mail.Summary{Sent: 2}) {
		t.Fatalf("first drain = %+v, %v; want 2 sent", sum, err)
	}
	sum, err = s.Drain(ctx, t0.Add(2*time.Minute))
	if err != nil || sum != (mail.Summary{}) {
		t.Fatalf("second drain = %+v, %v; want nothing", sum, err)
	}
	if tr.delivered["m1"] != 1 || tr.delivered["m2"] != 1 || tr.delivered["later"] != 0 {
		t.Errorf("delivered = %v", tr.delivered)
	}
	if ob.get("m1").Status != mail.StatusSent || ob.get("later").Status != mail.StatusPending {
		t.Errorf("states: m1 %s, later %s", ob.get("m1").Status, ob.get("later").Status)
	}
}

func TestFailedSendIsRetriedAfterBackoff(t *testing.T) {
	ob := newFakeOutbox(receipt("m1", t0))
	down := true
	tr := &fakeTransport{fail: func(mail.Message) error {
		if down {
			return errors.New("ses: throttled")
		}
		return nil
	}}
	s := &mail.Sender{Outbox: ob, Transport: tr}
	ctx := context.Background()
	if sum, err := s.Drain(ctx, t0); err != nil || sum != (mail.Summary{Failed: 1}) {
		t.Fatalf("drain while down = %+v, %v", sum, err)
	}
	q := ob.get("m1")
	if q.Status != mail.StatusPending || q.Attempts != 1 || !q.DueAt.Equal(t0.Add(mail.Backoff(1))) {
		t.Fatalf("after a failure: %+v", q)
	}
	down = false
	if sum, _ := s.Drain(ctx, t0.Add(mail.Backoff(1)-time.Millisecond)); sum != (mail.Summary{}) {
		t.Errorf("drain during backoff = %+v, want nothing tried", sum)
	}
	if sum, err := s.Drain(ctx, t0.Add(mail.Backoff(1))); err != nil || sum != (mail.Summary{Sent: 1}) {
		t.Fatalf("drain after backoff = %+v, %v", sum, err)
	}
	if tr.delivered["m1"] != 1 || tr.attempts != 2 {
		t.Errorf("delivered %v in %d attempts", tr.delivered, tr.attempts)
	}
}

func TestMessageIsDeadAfterMaxAttempts(t *testing.T) {
	ob := newFakeOutbox(receipt("m1", t0))
	tr := &fakeTransport{fail: func(mail.Message) error { return errors.New("ses: rejected") }}
	s := &mail.Sender{Outbox: ob, Transport: tr}
	now := t0
	var total mail.Summary
	for range mail.MaxAttempts + 3 {
		sum, err := s.Drain(context.Background(), now)
		if err != nil {
			t.Fatal(err)
		}
		total.Failed += sum.Failed
		total.Dead += sum.Dead
		now = now.Add(2 * time.Hour) // past any backoff
	}
	if total != (mail.Summary{Failed: mail.MaxAttempts - 1, Dead: 1}) || tr.attempts != mail.MaxAttempts {
		t.Errorf("summary %+v after %d attempts", total, tr.attempts)
	}
	if q := ob.get("m1"); q.Status != mail.StatusDead || q.Attempts != mail.MaxAttempts {
		t.Errorf("final state %+v", q)
	}
}

func TestRenderFailureIsARetriedAttempt(t *testing.T) {
	m := receipt("m1", t0)
	m.Template = "no-such-template"
	ob := newFakeOutbox(m)
	tr := &fakeTransport{}
	sum, err := (&mail.Sender{Outbox: ob, Transport: tr}).Drain(context.Background(), t0)
	if err != nil || sum != (mail.Summary{Failed: 1}) || tr.attempts != 0 {
		t.Errorf("summary %+v, %v, transport called %d times", sum, err, tr.attempts)
	}
	if q := ob.get("m1"); q.Status != mail.StatusPending || q.Attempts != 1 {
		t.Errorf("state %+v", q)
	}
}

func TestCancelledDrainIsNotAnAttempt(t *testing.T) {
	ob := newFakeOutbox(receipt("m1", t0))
	ctx, cancel := context.WithCancel(context.Background())
	tr := &fakeTransport{fail: func(mail.Message) error { cancel(); return context.Canceled }}
	s := &mail.Sender{Outbox: ob, Transport: tr, Lease: time.Minute}
	if _, err := s.Drain(ctx, t0); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// Left under its lease: claimable again once the lease lapses, with no
	// attempt counted against it.
	if q := ob.get("m1"); q.Status != mail.StatusSending || q.Attempts != 0 {
		t.Fatalf("state %+v", q)
	}
	tr.fail = nil
	sum, err := s.Drain(context.Background(), t0.Add(time.Minute))
	if err != nil || sum != (mail.Summary{Sent: 1}) || tr.delivered["m1"] != 1 {
		t.Errorf("after the lease: %+v %v %v", sum, err, tr.delivered)
	}
}

func TestLapsedLeaseIsReclaimedAndFencesTheOldSender(t *testing.T) {
	ob := newFakeOutbox(receipt("m1", t0))
	ctx := context.Background()
	crashed, err := ob.ClaimMail(ctx, "m1", t0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tr := &fakeTransport{}
	s := &mail.Sender{Outbox: ob, Transport: tr, Lease: time.Minute}
	if sum, _ := s.Drain(ctx, t0.Add(30*time.Second)); sum != (mail.Summary{}) {
		t.Errorf("drain under a live lease = %+v", sum)
	}
	if sum, _ := s.Drain(ctx, t0.Add(time.Minute)); sum != (mail.Summary{Sent: 1}) {
		t.Errorf("drain after the lease = %+v", sum)
	}
	if err := ob.MarkMailSent(ctx, crashed, t0); !errors.Is(err, mail.ErrLeaseLost) {
		t.Errorf("the crashed sender's mark: %v", err)
	}
}

func TestConcurrentDrainsNeverSendTwice(t *testing.T) {
	var msgs []mail.Message
	for i := range 60 {
		msgs = append(msgs, receipt(fmt.Sprintf("m%02d", i), t0.Add(time.Duration(i)*time.Millisecond)))
	}
	ob := newFakeOutbox(msgs...)
	tr := &fakeTransport{fail: func(mail.Message) error { time.Sleep(100 * time.Microsecond); return nil }}
	s := &mail.Sender{Outbox: ob, Transport: tr, BatchSize: 7}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total mail.Summary
	for range 8 {
		wg.Go(func() {
			sum, err := s.Drain(context.Background(), t0.Add(time.Second))
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total.Sent += sum.Sent
			mu.Unlock()
		})
	}
	wg.Wait()
	if total.Sent != len(msgs) {
		t.Errorf("sent %d in total, want %d", total.Sent, len(msgs))
	}
	for _, m := range msgs {
		if n := tr.delivered[m.ID]; n != 1 {
			t.Errorf("%s delivered %d times", m.ID, n)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {6, 32 * time.Minute}, {7, time.Hour}, {20, time.Hour},
	}
	for _, tt := range tests {
		if got := mail.Backoff(tt.attempt); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
	c := mail.Claim{Queued: mail.Queued{Attempts: mail.MaxAttempts - 1}}
	if f := c.Fail(t0, errors.New("x")); !f.Dead || !f.RetryAt.IsZero() || f.Attempts != mail.MaxAttempts {
		t.Errorf("last attempt: %+v", f)
	}
}
