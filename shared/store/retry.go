package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// ErrConflict is what one round of a read–decide–write returns when its
// conditional write lost to a concurrent change (a condition failed, or
// another transaction held an item): read again and decide again. Only a
// round given to RetryConflicts returns it; callers never see it.
var ErrConflict = errors.New("store: changed concurrently")

// RetryConflicts runs fn, one read–decide–write round, until it returns
// anything but ErrConflict, at most attempts times. Before each new round it
// sleeps a random time below 10 ms · 2^round (20, 40, … 1,280 ms), so racing
// requests spread out instead of colliding again. It returns fn's result; or
// ErrConflict when every round lost, which the caller turns into its noun's
// "busy, retry" answer (credit.ErrBusy, …); or ctx's error if it ends while
// waiting. Each noun's UpdateX method (UpdateCredit, …) uses it, and so do
// the fakes of shared/store/storetest, so both give up after the same rounds.
//
// A round DynamoDB refused for load (Unavailable: throttled, over capacity)
// is not a lost race: it runs again after a longer wait (below 25 ms ·
// 2^n, at most ThrottleAttempts times, not counted as lost rounds), and
// when that budget is spent the throttle itself comes back, which the API
// answers 503 with Retry-After, never the noun's "busy" or a refusal.
func RetryConflicts(ctx context.Context, attempts int, fn func() error) error {
	throttled := 0
	for attempt := 0; attempt < attempts; {
		err := fn()
		switch {
		case Unavailable(err) && throttled < ThrottleAttempts:
			throttled++
			if err := pause(ctx, 25<<throttled); err != nil {
				return err
			}
			continue
		case !errors.Is(err, ErrConflict):
			return err
		}
		attempt++
		if attempt < attempts {
			if err := pause(ctx, 10<<attempt); err != nil {
				return err
			}
		}
	}
	return ErrConflict
}

// ThrottleAttempts bounds the rounds RetryConflicts runs again after
// DynamoDB refused them for load: with the SDK's own retries of a single
// call, a throttled request waits at most about 1.6 s before its 503.
const ThrottleAttempts = 5

// The two throttle policies, here together: a caller's request gives up
// soon (RetryConflicts, then 503 with Retry-After), while bulk work that
// the operator or a job started (a key import, the grant job's writes)
// slows down and goes on, waiting up to bulkThrottleCap between tries and
// giving up only after bulkThrottleAttempts refusals in a row (about a
// minute of waiting), or, with several workers (an import's), only when
// none of them got a write through for bulkStall (10 s).
const (
	bulkThrottleAttempts = 16
	bulkThrottleCap      = 5000 // ms
)

// progress is the sign of life several workers of one bulk job share: a
// worker refused for load gives up only when no worker got a write through
// for bulkStall, so a throttled job slows down to the rate DynamoDB allows
// however many workers compete for it, and stops only when that rate is
// zero.
type progress struct{ last atomic.Int64 }

// bulkStall is how long bulk work waits without any write getting through:
// long enough to ride out a partition's or the table's limit (which lets
// some writes through every second), short enough that a request-driven
// import answers 503 well inside the HTTP API's 29 s when DynamoDB lets
// nothing through at all.
const bulkStall = 10 * time.Second

func newProgress() *progress {
	p := &progress{}
	p.wrote()
	return p
}

// wrote records that a write got through.
func (p *progress) wrote() { p.last.Store(time.Now().UnixNano()) }

// stalled reports that no write got through for bulkStall.
func (p *progress) stalled() bool { return time.Since(time.Unix(0, p.last.Load())) > bulkStall }

// throttledPause waits after the n-th refusal in a row (n ≥ 1) of bulk
// work: full jitter below min(50 ms · 2^n, bulkThrottleCap). It reports
// false when the budget is spent (the caller returns the throttle) and
// ctx's error if it ends first.
func throttledPause(ctx context.Context, n int) (bool, error) {
	if n > bulkThrottleAttempts {
		return false, nil
	}
	return true, pause(ctx, min(50<<min(n, 10), bulkThrottleCap))
}

// NoWait returns a context under which RetryConflicts runs lost rounds
// again at once instead of backing off: for tests that make rounds lose on
// purpose (the contract suites' "busy after attempts" cases), where no one
// else is racing and the waits only cost time.
func NoWait(ctx context.Context) context.Context { return context.WithValue(ctx, noWaitKey{}, true) }

type noWaitKey struct{}

// pause sleeps a random time below ms milliseconds (full jitter), or
// returns ctx's error if it ends first.
func pause(ctx context.Context, ms int) error {
	if ctx.Value(noWaitKey{}) != nil {
		return ctx.Err()
	}
	t := time.NewTimer(time.Duration(rand.IntN(ms)) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryThrottled runs fn, one write of bulk work, again while DynamoDB
// refuses it for load, pausing as throttledPause says.
func retryThrottled(ctx context.Context, fn func() error) error {
	for n := 1; ; n++ {
		err := fn()
		if !Unavailable(err) {
			return err
		}
		if ok, werr := throttledPause(ctx, n); !ok || werr != nil {
			return errors.Join(err, werr)
		}
	}
}

// unprocessedPause waits before resending what a batch call left
// unprocessed (DynamoDB's advice: back off), longer each time: nothing
// before the first call, then full jitter below 20 ms · 2^attempt, at most
// bulkThrottleCap.
func unprocessedPause(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	return pause(ctx, min(20<<min(attempt, 10), bulkThrottleCap))
}
