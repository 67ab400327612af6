package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Errors of the idempotency records.
var (
	// ErrIdempotencyKeyTaken is what a commit carrying an IdempotencyClaim
	// returns when the key was held (by a record or a duplicate's running
	// transaction): nothing was written. The router answers from the
	// claim's Outcome, never from this error.
	ErrIdempotencyKeyTaken = errors.New("store: idempotency key taken")
	// ErrIdempotencyNotHeld: no record of this request holds the key.
	ErrIdempotencyNotHeld = errors.New("store: idempotency key not held")
)

// ClaimOutcome is what became of an IdempotencyClaim.
type ClaimOutcome int

const (
	// ClaimNotWritten: no transaction committed it, so nothing was
	// committed with it (the request was refused, or failed, first).
	ClaimNotWritten ClaimOutcome = iota
	// ClaimWritten: it committed with the request's work, as a committed
	// record that only its reply (CompleteIdempotency) changes.
	ClaimWritten
	// ClaimTaken: the key was held, so the transaction wrote nothing; the
	// outcome's record (nil: a duplicate's transaction held it) answers.
	ClaimTaken
	// ClaimUnknown: the transaction's answer was lost and reading the
	// record failed; it may have committed.
	ClaimUnknown
)

// IdempotencyClaim is an Idempotency-Key claim that rides in a route's
// commit transaction instead of a PutItem before the handler: the router
// puts it on the context (WithIdempotencyClaim) and the store adds it to
// the one transaction that commits the request (Store.commit), so the
// record exists exactly when the work does. It is safe for concurrent use.
type IdempotencyClaim struct {
	pk, hash, owner string
	now             time.Time
	lock, keep      time.Duration

	mu       sync.Mutex
	outcome  ClaimOutcome
	existing *IdempotencyRecord
}

// NewIdempotencyClaim is the claim of (scope, key) by a request with the
// given hash at now, with ClaimIdempotency's lock and retention.
func NewIdempotencyClaim(scope, idemKey, hash string, now time.Time, lock, keep time.Duration) *IdempotencyClaim {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return &IdempotencyClaim{pk: idemPK(scope, idemKey), hash: hash, owner: hex.EncodeToString(b), now: now, lock: lock, keep: keep}
}

// Outcome says what became of the claim, and for ClaimTaken the record
// that holds the key (nil while a duplicate's transaction holds it).
func (c *IdempotencyClaim) Outcome() (ClaimOutcome, *IdempotencyRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outcome, c.existing
}

func (c *IdempotencyClaim) set(o ClaimOutcome, existing *IdempotencyRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outcome, c.existing = o, existing
}

type claimKey struct{}

// WithIdempotencyClaim returns ctx carrying c for the request's commit.
func WithIdempotencyClaim(ctx context.Context, c *IdempotencyClaim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// pendingClaim is ctx's claim while no transaction has committed it: a
// claim rides in one commit only.
func pendingClaim(ctx context.Context) *IdempotencyClaim {
	c, _ := ctx.Value(claimKey{}).(*IdempotencyClaim)
	if c == nil {
		return nil
	}
	if o, _ := c.Outcome(); o != ClaimNotWritten {
		return nil
	}
	return c
}

// claimItems is how many items ctx's claim adds to a commit (0 or 1).
func claimItems(ctx context.Context) int {
	if pendingClaim(ctx) != nil {
		return 1
	}
	return 0
}

// commit runs a request's commit transaction. With a pending claim on ctx
// the claim's Put (ClaimIdempotency's condition, state committed) is
// appended as the last item, so the callers' item indices are unchanged,
// and the claim's outcome is set: a failure at the claim is
// ErrIdempotencyKeyTaken whatever else failed; a lost answer (an error
// that is no cancellation) is settled by reading the record, so a
// transaction that did commit is reported as done rather than run again.
func (s *Store) commit(ctx context.Context, writes []types.TransactWriteItem) error {
	c := pendingClaim(ctx)
	if c == nil {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		return err
	}
	item, err := attributevalue.MarshalMap(idemItem{PK: c.pk, SK: idemSK, Type: typeIdempotency, RequestHash: c.hash,
		State: "committed", LockedUntil: c.now.Add(c.lock).Unix(), ExpiresAt: c.now.Add(c.keep).Unix(), Owner: c.owner})
	if err != nil {
		return err
	}
	names, values := claimValues(c.now)
	at := len(writes)
	writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item,
		ConditionExpression: aws.String(claimCondition), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}})
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if err == nil {
		c.set(ClaimWritten, nil)
		return nil
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if at >= len(tce.CancellationReasons) {
			return err
		}
		switch r := tce.CancellationReasons[at]; aws.ToString(r.Code) {
		case "ConditionalCheckFailed":
			rec, rerr := s.idemRecord(ctx, c.pk, r.Item)
			if rerr != nil {
				return rerr
			}
			c.set(ClaimTaken, rec)
			return ErrIdempotencyKeyTaken
		case "TransactionConflict": // a duplicate's commit holds the key
			c.set(ClaimTaken, nil)
			return ErrIdempotencyKeyTaken
		}
		return err
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorFault() == smithy.FaultClient {
		return err // refused as sent (throttled, invalid): nothing written
	}
	// The answer was lost: the record is there, written by this claim,
	// exactly when the transaction committed.
	res, rerr := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(c.pk, idemSK), ConsistentRead: aws.Bool(true)})
	if rerr != nil {
		c.set(ClaimUnknown, nil)
		return err
	}
	var it idemItem
	if res.Item != nil {
		if uerr := attributevalue.UnmarshalMap(res.Item, &it); uerr != nil {
			c.set(ClaimUnknown, nil)
			return err
		}
	}
	if it.Owner == c.owner {
		c.set(ClaimWritten, nil)
		return nil
	}
	return err
}
