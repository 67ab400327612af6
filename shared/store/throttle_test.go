package store

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func cancelled(codes ...string) error {
	tce := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
	for _, c := range codes {
		tce.CancellationReasons = append(tce.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return tce
}

// TestThrottledTransactionIsNotALostRace: a transaction AWS cancelled for
// load (ThrottlingError) is not read as a failed condition or a conflict by
// the store's mappings (cancelReasons), and RetryConflicts backs off on it
// a bounded number of times and then returns the throttle itself, which
// the API answers 503 — not the noun's "busy" and not a refusal. A lost
// race (TransactionConflict, a failed condition) still counts as one.
func TestThrottledTransactionIsNotALostRace(t *testing.T) {
	throttled := cancelled("None", "ThrottlingError")
	if r := cancelReasons(throttled); r != nil {
		t.Errorf("cancelReasons(throttled) = %v, want nil (not the data's answer)", r)
	}
	if r := cancelReasons(cancelled("None", "ProvisionedThroughputExceeded")); r != nil {
		t.Errorf("cancelReasons(over capacity) = %v, want nil", r)
	}
	for _, lost := range []error{cancelled("None", "TransactionConflict"), cancelled("ConditionalCheckFailed", "ThrottlingError")} {
		if r := cancelReasons(lost); r == nil {
			t.Errorf("cancelReasons(%v) = nil, want the reasons", lost)
		}
	}

	runs := 0
	err := RetryConflicts(context.Background(), 3, func() error { runs++; return throttled })
	if !errors.Is(err, throttled) || !Unavailable(err) || runs != ThrottleAttempts+1 {
		t.Errorf("always throttled: %v after %d runs, want the throttle after %d", err, runs, ThrottleAttempts+1)
	}
	runs = 0
	err = RetryConflicts(context.Background(), 3, func() error {
		runs++
		if runs <= 2 {
			return throttled
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Errorf("throttled twice then through: %v after %d runs", err, runs)
	}
	runs = 0
	err = RetryConflicts(context.Background(), 3, func() error { runs++; return ErrConflict })
	if !errors.Is(err, ErrConflict) || runs != 3 {
		t.Errorf("always lost: %v after %d runs, want ErrConflict after 3", err, runs)
	}
}
