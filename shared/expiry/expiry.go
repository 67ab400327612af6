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
)

// Store is what the job needs of storage.
type Store interface {
	// ExpiringOn lists the lines whose expiry falls on a UTC day.
	ExpiringOn(ctx context.Context, day time.Time) ([]benefit.Benefit, error)
	// Expire marks a line expired (and takes it out of the index) if it is
	// still as read; a line already revoked or expired only leaves the index.
	Expire(ctx context.Context, b benefit.Benefit, now time.Time, ev *audit.Event) error
	// Recipients are the addresses of a partner's global admins, and the
	// partner's name and language.
	Recipients(ctx context.Context, partnerID string) (name, language string, to []string, err error)
	// Remind records that lines were reminded days before expiry, with the
	// mail, once: lines reminded already make it return ErrChanged.
	Remind(ctx context.Context, lines []benefit.Benefit, days int, owed mail.Message, now time.Time) error
	// FinishCancellations completes cancellations whose request stopped
	// after the commit (seats not yet released) and says how many.
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
}

// Summary is what a run did.
type Summary struct {
	Date       string `json:"date"`
	Expired    int    `json:"expired"`
	Reminded30 int    `json:"reminded30"`
	Reminded7  int    `json:"reminded7"`
	Emails     int    `json:"emails"`
	Skipped    int    `json:"skipped"`
	// Released counts cancellations this run completed (normally 0: the
	// cancelling request completes its own).
	Released int `json:"released"`
}

// Run expires what is due at now and sends the reminders due today.
func (j *Job) Run(ctx context.Context, now time.Time) (Summary, error) {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	sum := Summary{Date: today.Format(time.DateOnly)}
	released, err := j.Store.FinishCancellations(ctx, now)
	if err != nil {
		return sum, err
	}
	sum.Released = released
	for d := -Lookback; d <= 0; d++ {
		lines, err := j.Store.ExpiringOn(ctx, today.AddDate(0, 0, d))
		if err != nil {
			return sum, err
		}
		for _, b := range lines {
			if err := j.expire(ctx, b, now, &sum); err != nil {
				return sum, err
			}
		}
	}
	for d := 1; d <= thresholds[0]; d++ {
		day := today.AddDate(0, 0, d)
		lines, err := j.Store.ExpiringOn(ctx, day)
		if err != nil {
			return sum, err
		}
		if err := j.remind(ctx, lines, d, day, now, &sum); err != nil {
			return sum, err
		}
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
// partner one mail per threshold for the day.
func (j *Job) remind(ctx context.Context, lines []benefit.Benefit, days int, day, now time.Time, sum *Summary) error {
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
		ls := groups[g]
		name, lang, to, err := j.Store.Recipients(ctx, g.partner)
		if err != nil {
			return err
		}
		// A transaction holds 100 items: the mail and up to 90 lines.
		for start := 0; start < len(ls); start += 90 {
			chunk := ls[start:min(start+90, len(ls))]
			msg := mail.Message{ID: j.NewID("msg"), To: to, Template: "benefit-expiry-reminder", Language: lang, CreatedAt: now,
				Data: map[string]string{"partnerName": name, "days": strconv.Itoa(days), "expiresOn": day.Format(time.DateOnly),
					"count": strconv.Itoa(len(chunk)), "lines": listLines(chunk)}}
			switch err := j.Store.Remind(ctx, chunk, g.kind, msg, now); {
			case errors.Is(err, ErrChanged):
				sum.Skipped += len(chunk)
				continue
			case err != nil:
				return err
			}
			sum.Emails++
			if g.kind == 7 {
				sum.Reminded7 += len(chunk)
			} else {
				sum.Reminded30 += len(chunk)
			}
		}
	}
	return nil
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
