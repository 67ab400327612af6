package store

import (
	"context"
	"errors"
)

// Update is one noun's read–decide–write through RetryConflicts: each round
// reads the state, lets decide choose the change and writes it (write
// returns ErrConflict when its condition lost, and the round runs again).
// An error of read or decide ends it as it is, with nothing written; after
// attempts lost rounds the answer is busy, the noun's "retry" error. The
// UpdateX methods and the storetest fakes share it.
func Update[S, C any](ctx context.Context, attempts int, busy error, read func() (S, error), decide func(S) (C, error), write func(S, C) error) error {
	err := RetryConflicts(ctx, attempts, func() error {
		state, err := read()
		if err != nil {
			return err
		}
		ch, err := decide(state)
		if err != nil {
			return err
		}
		return write(state, ch)
	})
	if errors.Is(err, ErrConflict) {
		return busy
	}
	return err
}
