// Package expiry is the daily expire-benefits job: benefit lines (and so
// credits and go-to-market offers) past their expiry become expired, and a
// partner's global admins are told 30 and 7 days before, once each,
// however often the job runs. It reads only the index of lines by expiry
// day, never the whole table.
package expiry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// Store is what the job needs of storage.
type Store interface {
	// ExpiringOn lists the lines whose expiry falls on a UTC day.
	ExpiringOn(ctx context.Context, day time.Time) ([]benefit.Benefit, error)
	// Expire marks a line expired (and takes it out of the index) if it is
	// still as read; a line already revoked or expired only leaves the index.
	Expire(ctx context.Context, b benefit.Benefit, now time.Time, ev *audit.Event) error
	// Partner is a partner's profile (its name and language); the
	// reminder goes to its global admins, whom the mail sender resolves.
	Partner(ctx context.Context, partnerID string) (partner.Partner, error)
	// Remind records that lines were reminded days before expiry, with the
	// mail, once: lines reminded already make it return ErrChanged.
	Remind(ctx context.Context, lines []benefit.Benefit, days int, owed mail.Message, now time.Time) error
	// FinishCancellations completes cancellations whose seats are not yet
	// released (the finish-cancellations job's step, run here too) and
	// says how many.
	FinishCancellations(ctx context.Context, now time.Time) (int, error)
}

// ErrChanged means a line changed since it was read; the job reads again
// on its next run (or skips it: another run did the work).
var ErrChanged = errors.New("expiry: line changed concurrently")

// Lookback is how many days back a run looks for lines it has not expired
// yet, so missed runs are caught up.
const Lookback = 31

// Reminder thresholds in days.
var thresholds = []int{30, 7}

// Job is the expire-benefits job.
type Job struct {
	Store Store
	NewID ids.Generator
	Log   *slog.Logger
	// Margin: stop taking work this long before the context's deadline
	// (default 15 s), leaving time to hand over to a continuation.
	Margin time.Duration
	// Continue starts another run with the request, asynchronously; nil
	// where there is none (the local gateway runs to the end).
	Continue func(context.Context, Request) error
	// Wall is the clock the deadline is checked against (nil: time.Now).
	Wall func() time.Time
}

// Request is the job's input: the detail of its EventBridge event.
type Request struct {
	// Continuation counts the runs this one continues after nearing its
	// deadline.
	Continuation int `json:"continuation,omitempty"`
}

// MaxContinuations bounds a chain of continuations, against a loop.
const MaxContinuations = 50

// A run resumes exactly where the one before it stopped without keeping
// any state: an expired line has left the index, a reminded line carries
// its reminder, so the next run only finds what is still to do.

// Summary is what a run did.
type Summary struct {
	Date       string `json:"date"`
	Expired    int    `json:"expired"`
	Reminded30 int    `json:"reminded30"`
	Reminded7  int    `json:"reminded7"`
	Emails     int    `json:"emails"`
	Skipped    int    `json:"skipped"`
	// Released counts cancellations this run completed (normally 0: the
	// finish-cancellations job completes them within a minute).
	Released int `json:"released"`
	// Failed lists the partners whose expiry or reminders failed this run;
	// the run goes on with the others and then fails, so the scheduler
	// retries (every write of the job is conditional, so a re-run is safe).
	Failed []string `json:"failed,omitempty"`
	// Complete: everything due was handled. A run that neared its deadline
	// stops taking work and hands over to a continuation (Continued).
	Complete  bool `json:"complete"`
	Continued bool `json:"continued,omitempty"`
}

// Run expires what is due at now and sends the reminders due today; near
// the context's deadline it stops and hands the rest to a continuation.
func (j *Job) Run(ctx context.Context, req Request, now time.Time) (Summary, error) {
	sum, err := j.run(ctx, now)
	if !sum.Complete && err == nil && ctx.Err() == nil {
		if j.Continue == nil {
			return sum, errors.New("expiry: stopped before its deadline with work left; run again to resume")
		}
		if req.Continuation >= MaxContinuations {
			return sum, fmt.Errorf("expiry: %d continuations and still not done; stopping", req.Continuation)
		}
		if err := j.Continue(ctx, Request{Continuation: req.Continuation + 1}); err != nil {
			return sum, fmt.Errorf("expiry: hand over to a continuation: %w", err)
		}
		sum.Continued = true
	}
	return sum, err
}

// stopAt is when a run stops taking work: Margin before ctx's deadline.
func (j *Job) stopAt(ctx context.Context) func() bool {
	dl, ok := ctx.Deadline()
	if !ok {
		return func() bool { return false }
	}
	margin, now := j.Margin, j.Wall
	if margin <= 0 {
		margin = 15 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	stop := dl.Add(-margin)
	return func() bool { return !now().Before(stop) }
}

func (j *Job) run(ctx context.Context, now time.Time) (Summary, error) {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	sum := Summary{Date: today.Format(time.DateOnly)}
	late := j.stopAt(ctx)
	// One partner's failure (a line that cannot be written, a release that
	// stops) never keeps the others from being expired and reminded: it is
	// recorded, and the run fails at the end. A failed read of the index is
	// everyone's, so it stops the run.
	var failed []error
	released, err := j.Store.FinishCancellations(ctx, now)
	if err != nil {
		j.log().ErrorContext(ctx, "finish cancellations failed", "error", err.Error())
		failed = append(failed, fmt.Errorf("releases: %w", err))
	}
	sum.Released = released
	for d := -Lookback; d <= 0; d++ {
		lines, err := j.Store.ExpiringOn(ctx, today.AddDate(0, 0, d))
		if err != nil {
			return sum, err
		}
		for _, b := range lines {
			if late() {
				return sum, errors.Join(failed...)
			}
			if err := j.expire(ctx, b, now, &sum); err != nil {
				j.log().ErrorContext(ctx, "expire failed", "partnerId", b.PartnerID, "benefitId", b.ID, "error", err.Error())
				sum.fail(b.PartnerID)
				failed = append(failed, fmt.Errorf("partner %s, line %s: %w", b.PartnerID, b.ID, err))
			}
		}
	}
	for d := 1; d <= thresholds[0]; d++ {
		if late() {
			return sum, errors.Join(failed...)
		}
		day := today.AddDate(0, 0, d)
		lines, err := j.Store.ExpiringOn(ctx, day)
		if err != nil {
			return sum, err
		}
		failed = append(failed, j.remind(ctx, lines, d, day, now, &sum)...)
	}
	sum.Complete = true
	if len(failed) > 0 {
		// Re-runs are safe: each write of the job is conditional.
		return sum, fmt.Errorf("expiry: %d failure(s), partners %v: %w", len(failed), sum.Failed, errors.Join(failed...))
	}
	return sum, nil
}

func (j *Job) expire(ctx context.Context, b benefit.Benefit, now time.Time, sum *Summary) error {
	var ev *audit.Event
	switch {
	case b.Status == benefit.Revoked || b.Status == benefit.Expired:
		// Nothing left to do for it but leave the index.
	case now.Before(b.ExpiresAt):
		return nil // later today: the next run
	default:
		e := audit.New(j.NewID, b.PartnerID, "system:expire-benefits", audit.BenefitExpired, b.ID, now).
			About("", map[string]string{"expiresAt": b.ExpiresAt.UTC().Format(time.RFC3339)})
		ev = &e
	}
	switch err := j.Store.Expire(ctx, b, now, ev); {
	case errors.Is(err, ErrChanged):
		sum.Skipped++
	case err != nil:
		return err
	case ev != nil:
		sum.Expired++
	}
	return nil
}

// fail records a partner whose expiry or reminder failed, once.
func (s *Summary) fail(partnerID string) {
	if !slices.Contains(s.Failed, partnerID) {
		s.Failed = append(s.Failed, partnerID)
	}
}

// due picks the reminder a line is owed, days before its expiry day: the
// 7-day one inside 7 days, else the 30-day one; 0 for none.
func due(b benefit.Benefit, days int, now time.Time) int {
	if !b.Live(now) || !b.Reminded7.IsZero() {
		return 0
	}
	if days <= 7 {
		return 7
	}
	if b.Reminded30.IsZero() {
		return 30
	}
	return 0
}

// remind groups the lines owed a reminder by partner and sends each
// partner one mail per threshold for the day. A partner whose reminder
// fails is recorded in sum.Failed and its error returned; the others are
// still reminded.
func (j *Job) remind(ctx context.Context, lines []benefit.Benefit, days int, day, now time.Time, sum *Summary) (failed []error) {
	type group struct {
		partner string
		kind    int
	}
	groups := map[group][]benefit.Benefit{}
	var order []group
	for _, b := range lines {
		k := due(b, days, now)
		if k == 0 {
			continue
		}
		g := group{b.PartnerID, k}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], b)
	}
	for _, g := range order {
		if err := j.remindPartner(ctx, g.partner, g.kind, groups[g], days, day, now, sum); err != nil {
			j.log().ErrorContext(ctx, "expiry reminder failed", "partnerId", g.partner, "error", err.Error())
			sum.fail(g.partner)
			failed = append(failed, fmt.Errorf("partner %s: %w", g.partner, err))
		}
	}
	return failed
}

// remindPartner sends one partner's reminders of one threshold for a day,
// addressed to its global admins.
func (j *Job) remindPartner(ctx context.Context, partnerID string, kind int, ls []benefit.Benefit, days int, day, now time.Time, sum *Summary) error {
	p, err := j.Store.Partner(ctx, partnerID)
	if err != nil {
		return err
	}
	// A transaction holds 100 items: the mail and up to 90 lines.
	for start := 0; start < len(ls); start += 90 {
		chunk := ls[start:min(start+90, len(ls))]
		msg := mail.Message{ID: j.NewID("msg"), AdminsOf: partnerID, Template: "benefit-expiry-reminder", Language: p.Language, CreatedAt: now,
			Data: map[string]string{"partnerName": p.Name, "days": strconv.Itoa(days), "expiresOn": day.Format(time.DateOnly),
				"count": strconv.Itoa(len(chunk)), "lines": listLines(chunk)}}
		switch err := j.Store.Remind(ctx, chunk, kind, msg, now); {
		case errors.Is(err, ErrChanged):
			sum.Skipped += len(chunk)
			continue
		case err != nil:
			return err
		}
		sum.Emails++
		if kind == 7 {
			sum.Reminded7 += len(chunk)
		} else {
			sum.Reminded30 += len(chunk)
		}
	}
	return nil
}

func (j *Job) log() *slog.Logger {
	if j.Log != nil {
		return j.Log
	}
	return slog.New(slog.DiscardHandler)
}

// listLines is the reminder's plain-text list of lines.
func listLines(ls []benefit.Benefit) string {
	out := make([]string, 0, len(ls))
	for _, b := range ls {
		name := b.ProductName
		if name == "" {
			name = b.Product
		}
		out = append(out, fmt.Sprintf("- %s (%s, %d), purchase %s", name, b.Kind, b.Quantity, b.PurchaseID))
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}
