package credit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pbs/benefits/shared/apperr"
)

// DueShards spreads one month's due credits over this many index
// partitions, so that moving 100,000 credits to the next month is not
// throttled on one partition key and the shards are read in parallel.
const DueShards = 16

// Action is what the grant job does with one credit found due.
type Action int

const (
	// ActionNone: the index entry was stale (the credit moved on); no write.
	ActionNone Action = iota
	// ActionGrant grants the month and moves the credit to the next one.
	ActionGrant
	// ActionAdvance moves on a credit already granted for the month.
	ActionAdvance
	// ActionRetire takes the credit out of the due index without a grant:
	// no seat is assigned, it expires before the month, or it was revoked.
	ActionRetire
)

// Step is one planned write of the grant job. The store fences it by the
// state it was planned from: still due for Period, the same seat count.
type Step struct {
	Credit Credit
	Period Period
	Action Action
	Grant  Grant
	// Next is the month the credit is due after the write; zero when it
	// leaves the index (no month starts before it expires).
	Next Period
}

// PlanGrant decides what to do with c, found in the due index for p, at now.
// Exactly one grant per credit and month follows from the store's
// conditions; this only decides which write to attempt.
func PlanGrant(c Credit, p Period, now time.Time) Step {
	s := Step{Credit: c, Period: p}
	switch {
	case c.DueFor != p:
		s.Action = ActionNone
	case c.Revoked || !p.Start().Before(c.ExpiresAt) || c.Seats == 0:
		s.Action = ActionRetire
	case c.Granted(p):
		s.Action, s.Next = ActionAdvance, c.nextDue(p)
	default:
		s.Action, s.Next = ActionGrant, c.nextDue(p)
		s.Grant = Grant{Period: p, Amount: c.PerSeat.Amount * int64(c.Seats), Seats: c.Seats, GrantedAt: now}
	}
	return s
}

// Granted reports whether the ledger has a grant for p.
func (c Credit) Granted(p Period) bool {
	for _, g := range c.Grants {
		if g.Period == p {
			return true
		}
	}
	return false
}

// nextDue is the month after p if the credit is still live when it starts.
func (c Credit) nextDue(p Period) Period {
	if n := p.Next(); n.Start().Before(c.ExpiresAt) {
		return n
	}
	return Period{}
}

// Outcome is the result of one step's write: applied, or refused by its
// condition (Fresh is the credit as it is now), or neither (retry as is).
type Outcome struct {
	Applied bool
	Fresh   *Credit
}

// DueStore is what the grant job needs of storage.
type DueStore interface {
	// DueCredits returns up to limit credits due for p in one shard of the
	// due index, after the opaque cursor, and the cursor of the next page
	// ("" at the end).
	DueCredits(ctx context.Context, p Period, shard int, cursor string, limit int) ([]Credit, string, error)
	// ApplyGrants writes the steps, each under its own condition, and
	// returns one outcome per step.
	ApplyGrants(ctx context.Context, steps []Step) ([]Outcome, error)
	// GrantedThrough is the last month a run completed (zero if none).
	GrantedThrough(ctx context.Context) (Period, error)
	// SetGrantedThrough records a completed month; it never moves back.
	SetGrantedThrough(ctx context.Context, p Period, at time.Time) error
}

// Request is the job's input: the detail of its EventBridge event. Period
// (YYYY-MM) re-runs a past month; empty means the month of the run.
type Request struct {
	Period string `json:"period,omitempty"`
	// Continuation counts the runs this one continues after a timeout.
	Continuation int `json:"continuation,omitempty"`
}

// Summary is what one run did; the job returns and logs it.
type Summary struct {
	Period  string `json:"period"`
	Granted int    `json:"granted"`
	Skipped int    `json:"skipped"`
	Failed  int    `json:"failed"`
	// Complete: every due credit up to Period was handled. A run that
	// stopped before its deadline is not complete; it hands over to a
	// continuation, which picks up what is still due.
	Complete  bool `json:"complete"`
	Continued bool `json:"continued,omitempty"`
}

// Job is the monthly-credit-grant job. The due index is its work queue: a
// credit leaves month p's partition with the write that grants it, so a run
// that stopped (crash, timeout) is resumed by simply running again.
type Job struct {
	Store DueStore
	Log   *slog.Logger
	// Workers is the number of writes in flight (default 16).
	Workers int
	// PageSize is the credits read per index query (default 100);
	// BatchSize the credits per write (default 25).
	PageSize, BatchSize int
	// Margin: stop taking work this long before the context's deadline
	// (default 15 s), leaving time to hand over to a continuation.
	Margin time.Duration
	// Continue starts another run with the request, asynchronously; nil
	// where there is none (the local gateway runs to the end).
	Continue func(context.Context, Request) error
	// Lookback is how many months before the requested one the very first
	// run reads (default 12); later runs start after the last complete one.
	Lookback int
}

// MaxContinuations bounds a chain of continuations, against a loop.
const MaxContinuations = 50

// ErrFuturePeriod refuses to grant a month that has not started.
var ErrFuturePeriod = apperr.New(apperr.Invalid, "validation_failed", "A month can only be granted once it has started.")

const maxAttempts = 8

// Run grants every due credit for the months from the first not completed
// up to the requested one (default: the month of now), in month order, so a
// month that was missed is caught up before the next.
func (j *Job) Run(ctx context.Context, req Request, now time.Time) (Summary, error) {
	period := PeriodOf(now)
	if req.Period != "" {
		p, err := ParsePeriod(req.Period)
		if err != nil {
			var f apperr.Fields
			f.Add("period", apperr.Format, "must be a month, YYYY-MM")
			return Summary{}, f.Err()
		}
		period = p
	}
	sum := Summary{Period: period.String()}
	if period.After(PeriodOf(now)) {
		return sum, ErrFuturePeriod
	}
	through, err := j.Store.GrantedThrough(ctx)
	if err != nil {
		return sum, err
	}
	start := period
	switch {
	case through.IsZero():
		start = period.Add(-j.lookback())
	case through.Before(period):
		start = through.Next()
	}
	stopAt := time.Time{}
	if dl, ok := ctx.Deadline(); ok {
		stopAt = dl.Add(-j.margin())
	}
	sum.Complete = true
	for p := start; !p.After(period) && sum.Complete; p = p.Next() {
		r := j.runPeriod(ctx, p, now, stopAt)
		sum.Granted += r.Granted
		sum.Skipped += r.Skipped
		sum.Failed += r.Failed
		sum.Complete = r.Complete
	}
	if sum.Complete && sum.Failed == 0 && (through.IsZero() || through.Before(period)) {
		if err := j.Store.SetGrantedThrough(ctx, period, now); err != nil {
			return sum, err
		}
	}
	if !sum.Complete && ctx.Err() == nil && j.Continue != nil {
		if req.Continuation >= MaxContinuations {
			return sum, fmt.Errorf("credit: %d continuations and still not done; stopping", req.Continuation)
		}
		if err := j.Continue(ctx, Request{Period: sum.Period, Continuation: req.Continuation + 1}); err != nil {
			return sum, fmt.Errorf("credit: hand over to a continuation: %w", err)
		}
		sum.Continued = true
	}
	j.logger().InfoContext(ctx, "monthly credit grant", "period", sum.Period, "granted", sum.Granted,
		"skipped", sum.Skipped, "failed", sum.Failed, "complete", sum.Complete, "continued", sum.Continued,
		"continuation", req.Continuation)
	if sum.Failed > 0 {
		return sum, fmt.Errorf("credit: %d credits failed for %s; they stay due and a re-run retries them", sum.Failed, sum.Period)
	}
	if !sum.Complete && !sum.Continued {
		if err := ctx.Err(); err != nil {
			return sum, fmt.Errorf("credit: stopped before the end: %w", err)
		}
		return sum, errors.New("credit: stopped before the end; run again to resume")
	}
	return sum, nil
}

// runPeriod handles one month: a reader per shard pages through the due
// index and hands batches to the writers.
func (j *Job) runPeriod(ctx context.Context, p Period, now, stopAt time.Time) Summary {
	var (
		mu  sync.Mutex
		sum = Summary{Complete: true}
	)
	add := func(granted, skipped, failed int, incomplete bool) {
		mu.Lock()
		defer mu.Unlock()
		sum.Granted += granted
		sum.Skipped += skipped
		sum.Failed += failed
		if incomplete {
			sum.Complete = false
		}
	}
	stopping := func() bool {
		return ctx.Err() != nil || (!stopAt.IsZero() && !time.Now().Before(stopAt))
	}
	batches := make(chan []Credit)
	var readers sync.WaitGroup
	for shard := range DueShards {
		readers.Go(func() {
			cursor := ""
			for {
				if stopping() {
					add(0, 0, 0, true)
					return
				}
				page, next, err := j.Store.DueCredits(ctx, p, shard, cursor, j.pageSize())
				if err != nil {
					j.logger().ErrorContext(ctx, "read due credits", "period", p.String(), "shard", shard, "error", err.Error())
					add(0, 0, 0, true)
					return
				}
				for len(page) > 0 {
					n := min(len(page), j.batchSize())
					batches <- page[:n]
					page = page[n:]
				}
				if next == "" {
					return
				}
				cursor = next
			}
		})
	}
	go func() { readers.Wait(); close(batches) }()
	var writers sync.WaitGroup
	for range j.workers() {
		writers.Go(func() {
			for batch := range batches {
				if stopping() {
					add(0, 0, 0, true) // left due for the continuation
					continue
				}
				g, s, f := j.grantBatch(ctx, batch, p, now)
				add(g, s, f, false)
			}
		})
	}
	writers.Wait()
	return sum
}

// grantBatch plans and writes one batch; a step refused by its condition is
// planned again from the credit's current state, so a seat change or a
// concurrent run between read and write never double-grants or skips.
func (j *Job) grantBatch(ctx context.Context, batch []Credit, p Period, now time.Time) (granted, skipped, failed int) {
	var steps []Step
	for _, c := range batch {
		if s := PlanGrant(c, p, now); s.Action == ActionNone {
			skipped++
		} else {
			steps = append(steps, s)
		}
	}
	for attempt := 0; len(steps) > 0; attempt++ {
		if attempt == maxAttempts {
			j.logger().ErrorContext(ctx, "grant credits: out of attempts", "period", p.String(), "credits", len(steps))
			return granted, skipped, failed + len(steps)
		}
		if attempt > 0 {
			time.Sleep(time.Duration(rand.IntN(20<<attempt)) * time.Millisecond)
		}
		outs, err := j.Store.ApplyGrants(ctx, steps)
		if err != nil {
			j.logger().ErrorContext(ctx, "grant credits", "period", p.String(), "credits", len(steps), "error", err.Error())
			return granted, skipped, failed + len(steps)
		}
		var again []Step
		for i, o := range outs {
			switch {
			case o.Applied && steps[i].Action == ActionGrant:
				granted++
			case o.Applied:
				skipped++
			case o.Fresh != nil:
				if s := PlanGrant(*o.Fresh, p, now); s.Action == ActionNone {
					skipped++
				} else {
					again = append(again, s)
				}
			default:
				again = append(again, steps[i])
			}
		}
		steps = again
	}
	return granted, skipped, failed
}

func (j *Job) workers() int   { return orDefault(j.Workers, 16) }
func (j *Job) pageSize() int  { return orDefault(j.PageSize, 100) }
func (j *Job) batchSize() int { return orDefault(j.BatchSize, 25) }
func (j *Job) lookback() int  { return orDefault(j.Lookback, 12) }

func (j *Job) margin() time.Duration {
	if j.Margin > 0 {
		return j.Margin
	}
	return 15 * time.Second
}

func (j *Job) logger() *slog.Logger {
	if j.Log != nil {
		return j.Log
	}
	return slog.Default()
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
