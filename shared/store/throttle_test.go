package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/mail"
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
	err := RetryConflicts(NoWait(context.Background()), 3, func() error { runs++; return throttled })
	if !errors.Is(err, throttled) || !Unavailable(err) || runs != ThrottleAttempts+1 {
		t.Errorf("always throttled: %v after %d runs, want the throttle after %d", err, runs, ThrottleAttempts+1)
	}
	runs = 0
	err = RetryConflicts(NoWait(context.Background()), 3, func() error {
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
	err = RetryConflicts(NoWait(context.Background()), 3, func() error { runs++; return ErrConflict })
	if !errors.Is(err, ErrConflict) || runs != 3 {
		t.Errorf("always lost: %v after %d runs, want ErrConflict after 3", err, runs)
	}
}

// scriptedTx answers TransactWriteItems from a script, one error a call
// (nil: committed); the other calls are not used.
type scriptedTx struct {
	API
	script []error
	calls  int
}

func (s *scriptedTx) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	s.calls++
	if len(s.script) == 0 {
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}
	err := s.script[0]
	s.script = s.script[1:]
	return &dynamodb.TransactWriteItemsOutput{}, err
}

// TestResolveSaysAlreadyResolvedOnlyWhenItWas: resolving a service request
// answers already_resolved only when its "still pending" condition failed;
// a transaction that met another is sent again and succeeds, and one
// refused for load is backed off on and comes back as the throttle (503),
// never as "already resolved".
func TestResolveSaysAlreadyResolvedOnlyWhenItWas(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	sr := cancel.ServiceRequest{ID: "sr_1", PartnerID: "ptn_1", PurchaseID: "pur_1", Status: cancel.Completed, RequestedAt: at, ResolvedAt: at, ResolvedBy: "op"}
	msg := mail.Message{ID: "msg_1", AdminsOf: "ptn_1", Template: "refund-resolved", Language: "en", CreatedAt: at, Data: map[string]string{}}
	ev := audit.Event{ID: "evt_1", PartnerID: "ptn_1", Actor: "operator:op", Action: audit.RefundCompleted, At: at}
	for _, c := range []struct {
		name   string
		script []error
		want   func(error) bool
		calls  int
	}{
		{"committed", nil, func(err error) bool { return err == nil }, 1},
		{"met another transaction, then committed", []error{cancelled("TransactionConflict", "None", "None", "None")}, func(err error) bool { return err == nil }, 2},
		{"resolved by another", []error{cancelled("ConditionalCheckFailed", "None", "None", "None")}, func(err error) bool { return errors.Is(err, cancel.ErrAlreadyResolved) }, 1},
		{"throttled throughout", []error{cancelled("ThrottlingError", "None", "None", "None"), cancelled("ThrottlingError", "None", "None", "None"),
			cancelled("ThrottlingError", "None", "None", "None"), cancelled("ThrottlingError", "None", "None", "None"),
			cancelled("ThrottlingError", "None", "None", "None"), cancelled("ThrottlingError", "None", "None", "None")},
			func(err error) bool { return Unavailable(err) && !errors.Is(err, cancel.ErrAlreadyResolved) }, ThrottleAttempts + 1},
	} {
		db := &scriptedTx{script: c.script}
		err := New(db, "t").ResolveServiceRequest(NoWait(context.Background()), sr, msg, ev)
		if !c.want(err) || db.calls != c.calls {
			t.Errorf("%s: %v after %d transactions, want %d", c.name, err, db.calls, c.calls)
		}
	}
}
