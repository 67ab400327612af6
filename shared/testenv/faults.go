package testenv

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/pbs/benefits/shared/store"
)

// FaultKind is a DynamoDB failure the Faults wrapper can inject.
type FaultKind string

const (
	// FaultThroughput is types.ProvisionedThroughputExceededException; on
	// TransactWriteItems, as AWS answers a throttled transaction, a
	// TransactionCanceledException whose reasons are ThrottlingError (first
	// item) and None, which the SDK does not retry.
	FaultThroughput FaultKind = "ProvisionedThroughputExceeded"
	// FaultThrottling is an API error with code ThrottlingException.
	FaultThrottling FaultKind = "Throttling"
	// FaultConflict is, on TransactWriteItems, a TransactionCanceledException
	// whose reasons are TransactionConflict (first item) and None; on
	// single-item writes a TransactionConflictException.
	FaultConflict FaultKind = "TransactionConflict"
	// FaultInternal is types.InternalServerError.
	FaultInternal FaultKind = "InternalServerError"
	// FaultTimeout is the call's context deadline passing
	// (context.DeadlineExceeded inside a smithy.CanceledError).
	FaultTimeout FaultKind = "Timeout"
)

// AllFaults are every kind, the default for failures before the call.
var AllFaults = []FaultKind{FaultThroughput, FaultThrottling, FaultConflict, FaultInternal, FaultTimeout}

// AmbiguousFaults are the kinds that can follow a write that happened (the
// server applied it, the answer was lost): the default for failures after
// passing through. A throttle or a cancelled transaction never wrote.
var AmbiguousFaults = []FaultKind{FaultInternal, FaultTimeout}

// WriteOps are the operation names of the writes.
var WriteOps = []string{"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}

// FaultConfig says which calls a Faults wrapper fails.
type FaultConfig struct {
	// Seed makes the choice of calls and kinds repeatable.
	Seed uint64
	// Ops are the operation names that may fail (default WriteOps).
	Ops []string
	// Rate is the fraction of matching calls failed before they reach
	// DynamoDB (nothing written).
	Rate float64
	// AfterRate is the fraction of matching calls passed through and then
	// failed: the write happened but the caller sees an error.
	AfterRate float64
	// Nth fails the Nth matching call (1-based) before passing it through;
	// Every fails every matching call. Both add to Rate and AfterRate.
	Nth   int
	Every bool
	// Kinds to pick from for failures before the call (default AllFaults);
	// AfterKinds for failures after it (default AmbiguousFaults).
	Kinds, AfterKinds []FaultKind
}

// FaultStats counts what a Faults wrapper did.
type FaultStats struct {
	Calls  map[string]int    // matching calls seen, per operation
	Before map[string]int    // failed before passing through, per operation
	After  map[string]int    // passed through then failed, per operation
	Kinds  map[FaultKind]int // injected faults per kind
}

// Injected is the total of injected faults.
func (s FaultStats) Injected() int {
	n := 0
	for _, v := range s.Kinds {
		n += v
	}
	return n
}

func (s FaultStats) String() string {
	sum := func(m map[string]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	}
	return fmt.Sprintf("%d matching calls, %d failed before (%v), %d failed after the write (%v), by kind %v",
		sum(s.Calls), sum(s.Before), s.Before, sum(s.After), s.After, s.Kinds)
}

// Faults wraps a DynamoDB client and fails some calls with the errors
// DynamoDB (after the SDK's own retries) really returns, deterministically
// for a seed. It is safe for concurrent use; with concurrent callers which
// call gets which fault depends on their order.
type Faults struct {
	store.API
	cfg     FaultConfig
	ops     map[string]bool
	enabled atomic.Bool
	mu      sync.Mutex
	rng     *rand.Rand
	seen    int
	stats   FaultStats
}

// NewFaults wraps api; it injects from the start (see Enable).
func NewFaults(api store.API, cfg FaultConfig) *Faults {
	if cfg.Ops == nil {
		cfg.Ops = WriteOps
	}
	if cfg.Kinds == nil {
		cfg.Kinds = AllFaults
	}
	if cfg.AfterKinds == nil {
		cfg.AfterKinds = AmbiguousFaults
	}
	f := &Faults{API: api, cfg: cfg, ops: map[string]bool{}, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	for _, op := range cfg.Ops {
		f.ops[op] = true
	}
	f.reset()
	f.enabled.Store(true)
	return f
}

func (f *Faults) reset() {
	f.stats = FaultStats{Calls: map[string]int{}, Before: map[string]int{}, After: map[string]int{}, Kinds: map[FaultKind]int{}}
}

// Enable turns injection on or off (calls pass through untouched when off).
func (f *Faults) Enable(on bool) { f.enabled.Store(on) }

// Stats returns a copy of the counts so far.
func (f *Faults) Stats() FaultStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FaultStats{Calls: maps.Clone(f.stats.Calls), Before: maps.Clone(f.stats.Before),
		After: maps.Clone(f.stats.After), Kinds: maps.Clone(f.stats.Kinds)}
}

// decide says whether to fail this call, before or after passing it
// through, and with which kind.
func (f *Faults) decide(op string) (fail, after bool, kind FaultKind) {
	if !f.enabled.Load() || !f.ops[op] {
		return false, false, ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen++
	f.stats.Calls[op]++
	roll := f.rng.Float64()
	switch {
	case f.cfg.Every || f.seen == f.cfg.Nth || roll < f.cfg.Rate:
		kind = f.cfg.Kinds[f.rng.IntN(len(f.cfg.Kinds))]
		f.stats.Before[op]++
	case roll < f.cfg.Rate+f.cfg.AfterRate:
		kind, after = f.cfg.AfterKinds[f.rng.IntN(len(f.cfg.AfterKinds))], true
		f.stats.After[op]++
	default:
		return false, false, ""
	}
	f.stats.Kinds[kind]++
	return true, after, kind
}

// FaultError is the error of a kind for an operation; items is the number
// of items of a transaction (for its cancellation reasons).
func FaultError(kind FaultKind, op string, items int) error {
	var err error
	switch kind {
	case FaultThroughput:
		if op == "TransactWriteItems" {
			err = cancelledWith(items, "ThrottlingError", "Throughput exceeds the current capacity of your table or index.")
		} else {
			err = &types.ProvisionedThroughputExceededException{Message: aws.String("The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")}
		}
	case FaultThrottling:
		err = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate of requests exceeds the allowed throughput.", Fault: smithy.FaultClient}
	case FaultConflict:
		if op == "TransactWriteItems" {
			err = cancelledWith(items, "TransactionConflict", "Transaction is ongoing for the item")
		} else {
			err = &types.TransactionConflictException{Message: aws.String("Transaction is ongoing for the item")}
		}
	case FaultInternal:
		err = &types.InternalServerError{Message: aws.String("Internal server error")}
	case FaultTimeout:
		err = &smithy.CanceledError{Err: context.DeadlineExceeded}
	default:
		panic("testenv: unknown fault " + string(kind))
	}
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: err}
}

// cancelledWith is a cancelled transaction of items whose first item
// failed with code and the others with None.
func cancelledWith(items int, code, message string) error {
	reasons := make([]types.CancellationReason, max(items, 1))
	for i := range reasons {
		reasons[i] = types.CancellationReason{Code: aws.String("None")}
	}
	reasons[0] = types.CancellationReason{Code: aws.String(code), Message: aws.String(message)}
	return &types.TransactionCanceledException{Message: aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [" + code + "]"), CancellationReasons: reasons}
}

func inject[In, Out any](f *Faults, ctx context.Context, op string, items int, in In, call func(context.Context, In) (Out, error)) (Out, error) {
	fail, after, kind := f.decide(op)
	if !fail {
		return call(ctx, in)
	}
	var zero Out
	if after {
		if _, err := call(ctx, in); err != nil {
			return zero, err // the call failed by itself: that is its answer
		}
	}
	return zero, FaultError(kind, op, items)
}

func (f *Faults) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return inject(f, ctx, "GetItem", 1, in, func(ctx context.Context, in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
		return f.API.GetItem(ctx, in, o...)
	})
}

func (f *Faults) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return inject(f, ctx, "PutItem", 1, in, func(ctx context.Context, in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
		return f.API.PutItem(ctx, in, o...)
	})
}

func (f *Faults) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return inject(f, ctx, "UpdateItem", 1, in, func(ctx context.Context, in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
		return f.API.UpdateItem(ctx, in, o...)
	})
}

func (f *Faults) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return inject(f, ctx, "DeleteItem", 1, in, func(ctx context.Context, in *dynamodb.DeleteItemInput) (*dynamodb.DeleteItemOutput, error) {
		return f.API.DeleteItem(ctx, in, o...)
	})
}

func (f *Faults) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return inject(f, ctx, "Query", 1, in, func(ctx context.Context, in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
		return f.API.Query(ctx, in, o...)
	})
}

func (f *Faults) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return inject(f, ctx, "TransactWriteItems", len(in.TransactItems), in, func(ctx context.Context, in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		return f.API.TransactWriteItems(ctx, in, o...)
	})
}

func (f *Faults) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return inject(f, ctx, "BatchWriteItem", 1, in, func(ctx context.Context, in *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error) {
		return f.API.BatchWriteItem(ctx, in, o...)
	})
}

func (f *Faults) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return inject(f, ctx, "BatchGetItem", 1, in, func(ctx context.Context, in *dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) {
		return f.API.BatchGetItem(ctx, in, o...)
	})
}

// CancelAfter wraps a DynamoDB client and cancels a context after the Nth
// call of an operation has passed through, as a job killed mid-run: the Nth
// write happened, every later call sees a cancelled context.
type CancelAfter struct {
	store.API
	Op     string
	N      int
	Cancel context.CancelFunc
	count  atomic.Int64
}

// Count is the calls of Op seen so far.
func (c *CancelAfter) Count() int { return int(c.count.Load()) }

func (c *CancelAfter) after(op string) {
	if op == c.Op && c.count.Add(1) == int64(c.N) {
		c.Cancel()
	}
}

func (c *CancelAfter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "TransactWriteItems", Err: &smithy.CanceledError{Err: err}}
	}
	out, err := c.API.TransactWriteItems(ctx, in, o...)
	c.after("TransactWriteItems")
	return out, err
}

func (c *CancelAfter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "UpdateItem", Err: &smithy.CanceledError{Err: err}}
	}
	out, err := c.API.UpdateItem(ctx, in, o...)
	c.after("UpdateItem")
	return out, err
}
