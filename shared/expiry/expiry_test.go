package expiry_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/expiry"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

var now = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// fakeStore is an in-memory expiry.Store with the conditional writes of the
// real one: a write against a line that changed since it was read fails
// with expiry.ErrChanged.
type fakeStore struct {
	lines   map[string]benefit.Benefit // current state, by id
	indexed map[string]bool            // in the by-expiry-day index
	events  []audit.Event
	mails   []mail.Message
	// afterRead, if set, runs after each ExpiringOn with what it read (a
	// concurrent writer).
	afterRead func(f *fakeStore, read []benefit.Benefit)
	// failExpire fails Expire of the lines of these partners; failRelease
	// fails FinishCancellations (a storage error, not a changed line).
	failExpire  map[string]bool
	failRelease error
}

func newStore(lines ...benefit.Benefit) *fakeStore {
	f := &fakeStore{lines: map[string]benefit.Benefit{}, indexed: map[string]bool{}}
	for _, b := range lines {
		f.lines[b.ID] = b
		f.indexed[b.ID] = true
	}
	return f
}

func (f *fakeStore) ExpiringOn(_ context.Context, day time.Time) ([]benefit.Benefit, error) {
	var out []benefit.Benefit
	for _, id := range slices.Sorted(maps.Keys(f.lines)) {
		b := f.lines[id]
		if f.indexed[id] && b.ExpiresAt.UTC().Format(time.DateOnly) == day.Format(time.DateOnly) {
			out = append(out, b)
		}
	}
	if f.afterRead != nil {
		f.afterRead(f, out)
	}
	return out, nil
}

func (f *fakeStore) Expire(_ context.Context, b benefit.Benefit, now time.Time, ev *audit.Event) error {
	if f.failExpire[b.PartnerID] {
		return fmt.Errorf("expire %s: throttled", b.ID)
	}
	cur, ok := f.lines[b.ID]
	if !ok || !f.indexed[b.ID] || cur != b {
		return expiry.ErrChanged
	}
	delete(f.indexed, b.ID)
	if b.Status == benefit.Revoked || b.Status == benefit.Expired {
		return nil
	}
	cur.Status = benefit.Expired
	f.lines[b.ID] = cur
	if ev != nil {
		f.events = append(f.events, *ev)
	}
	return nil
}

func (f *fakeStore) Partner(_ context.Context, partnerID string) (partner.Partner, error) {
	switch partnerID {
	case "ptn_a":
		return partner.Partner{ID: partnerID, Name: "Contoso", Language: "ja"}, nil
	case "ptn_b":
		return partner.Partner{ID: partnerID, Name: "Fabrikam", Language: "en"}, nil
	}
	return partner.Partner{}, fmt.Errorf("no partner %s", partnerID)
}

func (f *fakeStore) Remind(_ context.Context, lines []benefit.Benefit, days int, owed mail.Message, now time.Time) error {
	for _, b := range lines {
		cur, ok := f.lines[b.ID]
		if !ok || cur != b || (days == 30 && !cur.Reminded30.IsZero()) || (days == 7 && !cur.Reminded7.IsZero()) {
			return expiry.ErrChanged
		}
	}
	for _, b := range lines {
		cur := f.lines[b.ID]
		if days == 7 {
			cur.Reminded7 = now
		} else {
			cur.Reminded30 = now
		}
		f.lines[b.ID] = cur
	}
	f.mails = append(f.mails, owed)
	return nil
}

// line is a live line of partner p expiring at.
func line(id, p string, at time.Time) benefit.Benefit {
	return benefit.Benefit{ID: id, PartnerID: p, PurchaseID: "pur_" + id, Kind: catalog.Software, Product: "prod-" + id,
		ProductName: "Product " + id, Quantity: 1, Status: benefit.Available, ExpiresAt: at}
}

func job(s expiry.Store) *expiry.Job { return &expiry.Job{Store: s, NewID: ids.Sequence()} }

func run(t *testing.T, j *expiry.Job) expiry.Summary {
	t.Helper()
	sum, err := j.Run(context.Background(), expiry.Request{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func day(d int, hour int) time.Time {
	return time.Date(2026, 12, 2+d, hour, 0, 0, 0, time.UTC)
}

func TestRunExpires(t *testing.T) {
	revoked := line("revoked", "ptn_a", day(-1, 10))
	revoked.Status = benefit.Revoked
	expired := line("expired", "ptn_a", day(-2, 10))
	expired.Status = benefit.Expired
	s := newStore(
		line("yesterday", "ptn_a", day(-1, 10)),
		line("earlier-today", "ptn_b", day(0, 8)),
		line("at-now", "ptn_b", now),
		line("lookback-edge", "ptn_a", day(-expiry.Lookback, 23)),
		line("later-today", "ptn_a", day(0, 15)),
		line("before-lookback", "ptn_a", day(-expiry.Lookback-1, 12)),
		revoked, expired,
	)
	j := job(s)
	sum := run(t, j)

	if sum.Date != "2026-12-02" || sum.Expired != 4 || sum.Skipped != 0 {
		t.Errorf("summary = %+v, want 4 expired on 2026-12-02", sum)
	}
	for id, want := range map[string]benefit.Status{
		"yesterday": benefit.Expired, "earlier-today": benefit.Expired, "at-now": benefit.Expired, "lookback-edge": benefit.Expired,
		"later-today": benefit.Available, "before-lookback": benefit.Available,
		"revoked": benefit.Revoked, "expired": benefit.Expired,
	} {
		if got := s.lines[id].Status; got != want {
			t.Errorf("%s: status %s, want %s", id, got, want)
		}
	}
	for id, want := range map[string]bool{"later-today": true, "before-lookback": true, "revoked": false, "expired": false, "yesterday": false} {
		if s.indexed[id] != want {
			t.Errorf("%s: in index = %v, want %v", id, s.indexed[id], want)
		}
	}

	var evs []string
	for _, e := range s.events {
		evs = append(evs, e.BenefitID)
		if e.Action != audit.BenefitExpired || e.Actor != "system:expire-benefits" || e.PartnerID != s.lines[e.BenefitID].PartnerID ||
			!e.At.Equal(now) || e.Detail["expiresAt"] != s.lines[e.BenefitID].ExpiresAt.Format(time.RFC3339) {
			t.Errorf("event = %+v", e)
		}
	}
	slices.Sort(evs)
	if want := []string{"at-now", "earlier-today", "lookback-edge", "yesterday"}; !slices.Equal(evs, want) {
		t.Errorf("events for %v, want %v (none for revoked or already expired lines)", evs, want)
	}

	// A second run has nothing left to expire.
	if sum := run(t, j); sum.Expired != 0 || sum.Skipped != 0 || len(s.events) != 4 {
		t.Errorf("second run: %+v, %d events", sum, len(s.events))
	}
}

func TestRunSkipsLinesChangedConcurrently(t *testing.T) {
	s := newStore(line("l", "ptn_a", day(-1, 10)))
	s.afterRead = func(f *fakeStore, read []benefit.Benefit) {
		if len(read) > 0 {
			b := f.lines["l"]
			b.Used = 1 // someone used it between the read and the write
			f.lines["l"] = b
		}
	}
	sum := run(t, job(s))
	if sum.Expired != 0 || sum.Skipped != 1 || len(s.events) != 0 {
		t.Errorf("summary = %+v, events %v; want 1 skipped", sum, s.events)
	}
}

func TestRunReminds(t *testing.T) {
	in30 := day(30, 12) // 2027-01-01
	in5 := day(5, 12)   // 2026-12-07
	reminded7 := line("reminded7", "ptn_a", in5)
	reminded7.Reminded7 = now.AddDate(0, 0, -2)
	reminded30 := line("reminded30", "ptn_a", day(20, 12))
	reminded30.Reminded30 = now.AddDate(0, 0, -10)
	revoked := line("revoked", "ptn_a", in30)
	revoked.Status = benefit.Revoked
	s := newStore(
		line("a30-1", "ptn_a", in30),
		line("a30-2", "ptn_a", in30.Add(5*time.Hour)),
		line("b30", "ptn_b", in30),
		line("a5", "ptn_a", in5),
		line("in31", "ptn_a", day(31, 12)),
		reminded7, reminded30, revoked,
	)
	j := job(s)
	sum := run(t, j)

	if sum.Emails != 3 || sum.Reminded30 != 3 || sum.Reminded7 != 1 || sum.Expired != 0 || sum.Skipped != 0 {
		t.Errorf("summary = %+v, want 3 emails, 3 thirty-day and 1 seven-day reminders", sum)
	}
	if len(s.mails) != 3 {
		t.Fatalf("%d mails, want 3", len(s.mails))
	}
	byKey := map[string]mail.Message{}
	for _, m := range s.mails {
		byKey[m.Data["partnerName"]+"/"+m.Data["days"]] = m
		if m.Template != "benefit-expiry-reminder" || m.ID == "" || !m.CreatedAt.Equal(now) {
			t.Errorf("mail = %+v", m)
		}
	}
	a30, ok := byKey["Contoso/30"]
	if !ok {
		t.Fatalf("no 30-day mail to Contoso: %v", slices.Collect(maps.Keys(byKey)))
	}
	if a30.AdminsOf != "ptn_a" || a30.To != nil || a30.Language != "ja" {
		t.Errorf("Contoso mail to %v/%q in %q", a30.To, a30.AdminsOf, a30.Language)
	}
	if a30.Data["expiresOn"] != "2027-01-01" || a30.Data["count"] != "2" {
		t.Errorf("Contoso 30-day data = %v", a30.Data)
	}
	if ls := a30.Data["lines"]; strings.Count(ls, "\n") != 1 ||
		!strings.Contains(ls, "Product a30-1") || !strings.Contains(ls, "pur_a30-1") || !strings.Contains(ls, "Product a30-2") {
		t.Errorf("Contoso 30-day lines = %q", ls)
	}
	if b30 := byKey["Fabrikam/30"]; b30.AdminsOf != "ptn_b" || b30.Data["count"] != "1" {
		t.Errorf("Fabrikam mail = %+v", b30)
	}
	a5, ok := byKey["Contoso/5"]
	if !ok || a5.Data["expiresOn"] != "2026-12-07" || a5.Data["count"] != "1" || !strings.Contains(a5.Data["lines"], "Product a5") {
		t.Errorf("Contoso 5-day mail = %+v", a5)
	}

	for id, want := range map[string][2]bool{ // reminded 30, reminded 7
		"a30-1": {true, false}, "a30-2": {true, false}, "b30": {true, false},
		"a5":   {false, true}, // inside 7 days: the 7-day one only
		"in31": {false, false}, "revoked": {false, false},
	} {
		b := s.lines[id]
		if got := [2]bool{!b.Reminded30.IsZero(), !b.Reminded7.IsZero()}; got != want {
			t.Errorf("%s: reminded 30/7 = %v, want %v", id, got, want)
		}
	}
	if !s.lines["reminded7"].Reminded7.Equal(now.AddDate(0, 0, -2)) || !s.lines["reminded30"].Reminded30.Equal(now.AddDate(0, 0, -10)) ||
		!s.lines["reminded30"].Reminded7.IsZero() {
		t.Error("already-reminded lines were reminded again")
	}

	// However often the job runs, each reminder is sent once.
	if sum := run(t, j); sum.Emails != 0 || sum.Reminded30 != 0 || sum.Reminded7 != 0 || len(s.mails) != 3 {
		t.Errorf("second run: %+v, %d mails", sum, len(s.mails))
	}
}

func TestRunSevenDayReminderAfterThirtyDayOne(t *testing.T) {
	b := line("l", "ptn_b", day(7, 12))
	b.Reminded30 = now.AddDate(0, 0, -23)
	s := newStore(b)
	sum := run(t, job(s))
	if sum.Reminded7 != 1 || sum.Emails != 1 || s.mails[0].Data["days"] != "7" {
		t.Errorf("summary = %+v, mails %+v", sum, s.mails)
	}
}

func TestRunSplitsLargeReminders(t *testing.T) {
	var lines []benefit.Benefit
	for i := range 100 {
		lines = append(lines, line(fmt.Sprintf("l%03d", i), "ptn_a", day(30, 12)))
	}
	s := newStore(lines...)
	sum := run(t, job(s))
	if sum.Emails != 2 || sum.Reminded30 != 100 {
		t.Fatalf("summary = %+v, want 2 emails for 100 lines", sum)
	}
	if s.mails[0].Data["count"] != "90" || s.mails[1].Data["count"] != "10" {
		t.Errorf("counts %s and %s, want 90 and 10", s.mails[0].Data["count"], s.mails[1].Data["count"])
	}
}

func TestRunSkipsRemindersSentConcurrently(t *testing.T) {
	s := newStore(line("l", "ptn_a", day(30, 12)))
	s.afterRead = func(f *fakeStore, read []benefit.Benefit) {
		if len(read) > 0 {
			b := f.lines["l"]
			b.Reminded30 = now // another run got there first
			f.lines["l"] = b
		}
	}
	sum := run(t, job(s))
	if sum.Emails != 0 || sum.Reminded30 != 0 || sum.Skipped != 1 || len(s.mails) != 0 {
		t.Errorf("summary = %+v, %d mails; want 1 skipped", sum, len(s.mails))
	}
}

// FinishCancellations: no cancellation is pending in these tests.
func (f *fakeStore) FinishCancellations(context.Context, time.Time) (int, error) {
	return 0, f.failRelease
}
