package store

import (
	"context"
	"errors"
	"math/rand/v2"
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
func RetryConflicts(ctx context.Context, attempts int, fn func() error) error {
	for attempt := range attempts {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(rand.IntN(10<<attempt)) * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if err := fn(); !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return ErrConflict
}
