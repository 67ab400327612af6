package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/license"
)

// poolKeyItem registers a key forever (KEY#) or offers it until taken (FREE#).
type poolKeyItem struct {
	PK          string
	SK          string
	Type        string    `dynamodbav:"type"`
	Product     string    `dynamodbav:"product"`
	Key         string    `dynamodbav:"key"`
	ImportedAt  time.Time `dynamodbav:"importedAt"`
	AllocatedTo string    `dynamodbav:"allocatedTo,omitempty"` // partner#benefit, registry only
}

// keysPerTransaction: each key is two puts and a transaction holds 100 items.
const keysPerTransaction = maxTransactItems / 2

// importWorkers bounds the transactions in flight during one import: enough
// to import 100,000 keys (2,000 transactions) well within API Gateway's 30 s,
// few enough to stay inside one Lambda's connection pool.
const importWorkers = 16

// ImportKeys adds keys to a product's pool and reports how many were new and
// how many were already known (in this input or in the pool, including keys
// already handed out). Safe to run concurrently with itself and with
// allocation: every put is conditional.
func (s *Store) ImportKeys(ctx context.Context, product string, keys []string, now time.Time) (imported, duplicates int, err error) {
	defer wrap(&err, "import keys into %s", product)
	seen := make(map[string]struct{}, len(keys))
	unique := make([]string, 0, len(keys))
	for _, k := range keys {
		if _, dup := seen[k]; dup {
			duplicates++
			continue
		}
		seen[k] = struct{}{}
		unique = append(unique, k)
	}
	type result struct{ n, d int }
	results := make([]result, (len(unique)+keysPerTransaction-1)/keysPerTransaction)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(importWorkers)
	for i := range results {
		batch := unique[i*keysPerTransaction : min((i+1)*keysPerTransaction, len(unique))]
		g.Go(func() error {
			n, d, err := s.importBatch(gctx, product, batch, now)
			results[i] = result{n, d}
			return err
		})
	}
	err = g.Wait()
	for _, r := range results {
		imported += r.n
		duplicates += r.d
	}
	if imported > 0 {
		if _, cerr := s.addFreeCount(ctx, product, int64(imported)); cerr != nil && err == nil {
			err = cerr
		}
	}
	return imported, duplicates, err
}

// importBatch writes one transaction; when some keys already exist it drops
// them (the cancellation reasons say which) and retries the rest.
func (s *Store) importBatch(ctx context.Context, product string, batch []string, now time.Time) (imported, duplicates int, err error) {
	for attempt := 0; len(batch) > 0; attempt++ {
		writes := make([]types.TransactWriteItem, 0, 2*len(batch))
		for _, k := range batch {
			pk := poolPK(product, shardOf(k))
			reg, err := attributevalue.MarshalMap(poolKeyItem{PK: pk, SK: poolKeySK(k), Type: typePoolKey, Product: product, Key: k, ImportedAt: now})
			if err != nil {
				return imported, duplicates, err
			}
			free, err := attributevalue.MarshalMap(poolKeyItem{PK: pk, SK: poolFreeSK(k), Type: typePoolFree, Product: product, Key: k, ImportedAt: now})
			if err != nil {
				return imported, duplicates, err
			}
			writes = append(writes, put(s.table, reg, notExists), put(s.table, free, notExists))
		}
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		if err == nil {
			return imported + len(batch), duplicates, nil
		}
		reasons := cancelReasons(err)
		if reasons == nil || attempt > 20 {
			return imported, duplicates, err
		}
		// Keep the keys whose registry put did not fail; a conflict with a
		// concurrent import is retried as it is.
		kept := batch[:0:0]
		for i, k := range batch {
			if failedAt(reasons, 2*i) {
				duplicates++
			} else {
				kept = append(kept, k)
			}
		}
		if len(kept) == len(batch) && !isConflict(err) {
			return imported, duplicates, err
		}
		batch = kept
	}
	return imported, duplicates, nil
}

// isConflict reports a transaction cancelled only because another
// transaction touched the same items; retrying is correct.
func isConflict(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for _, r := range tce.CancellationReasons {
		if c := r.Code; c != nil && *c == "TransactionConflict" {
			return true
		}
	}
	return false
}

// Errors of key allocation.
var (
	ErrKeyPoolExhausted = license.ErrKeyPoolExhausted
	// ErrBenefitChanged means the line got a key (or left "available")
	// between the caller's read and its write: re-read it.
	ErrBenefitChanged = errors.New("store: benefit changed concurrently")
)

// allocationAttempts bounds retries when concurrent allocations race for the
// same free keys; each retry picks another candidate.
const allocationAttempts = 10

// AllocateKey moves one free key of the product's pool to the benefit and
// marks the benefit activated, in one transaction: the free item's delete,
// the registry's "not yet allocated" and the benefit's "has no key and is
// available" are all conditions, so under any concurrency a benefit gets one
// key and a key goes to one benefit. It returns the key and the approximate
// number of free keys left (-1 if unknown).
// Errors: ErrKeyPoolExhausted, ErrBenefitChanged.
func (s *Store) AllocateKey(ctx context.Context, b benefit.Benefit, now time.Time, ev audit.Event) (allocated string, remaining int64, err error) {
	defer wrap(&err, "allocate a %s key", b.Product)
	record, err := s.auditPut(ev)
	if err != nil {
		return "", -1, err
	}
	return s.allocate(ctx, b, now, func(k string) (types.TransactWriteItem, error) { return s.giveKey(b, k, now), nil }, record)
}

// errOthersChanged: an item allocate wrote beside the pool and the line
// failed its condition.
var errOthersChanged = errors.New("store: an item written with a key changed concurrently")

// allocate is AllocateKey's transaction with the line's write built by
// line for the picked key (its conditions must include "no key yet") and
// the other items written with it. Errors: ErrKeyPoolExhausted,
// ErrBenefitChanged (the line's condition), errOthersChanged.
func (s *Store) allocate(ctx context.Context, b benefit.Benefit, now time.Time, line func(k string) (types.TransactWriteItem, error), others ...types.TransactWriteItem) (string, int64, error) {
	start := rand.IntN(poolShards)
	for range allocationAttempts {
		candidates, shard, err := s.freeKeys(ctx, b.Product, start)
		if err != nil {
			return "", -1, err
		}
		if len(candidates) == 0 {
			return "", 0, ErrKeyPoolExhausted
		}
		start = shard
		// A random pick among the first few spreads concurrent allocations.
		k := candidates[rand.IntN(len(candidates))]
		pk := poolPK(b.Product, shard)
		lineW, err := line(k)
		if err != nil {
			return "", -1, err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append([]types.TransactWriteItem{
			{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(pk, poolFreeSK(k)),
				ConditionExpression: aws.String("attribute_exists(PK)")}},
			{Update: &types.Update{TableName: aws.String(s.table), Key: key(pk, poolKeySK(k)),
				UpdateExpression:    aws.String("SET allocatedTo = :to, allocatedAt = :now"),
				ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(allocatedTo)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":to": &types.AttributeValueMemberS{Value: b.PartnerID + "#" + b.ID}, ":now": timeValue(now)}}},
			lineW,
		}, others...)})
		if err == nil {
			left, cerr := s.addFreeCount(ctx, b.Product, -1)
			if cerr != nil {
				left = -1 // the key is given; the count is only for alerting
			}
			return k, left, nil
		}
		reasons := cancelReasons(err)
		if failedAt(reasons, 2) {
			return "", -1, ErrBenefitChanged
		}
		for i := range others {
			if failedAt(reasons, 3+i) {
				return "", -1, errOthersChanged
			}
		}
		if reasons == nil {
			return "", -1, err
		}
		// Another allocation took this key first, or a conflict: try again.
	}
	return "", -1, errors.New("too much contention for free keys")
}

// SetBenefitKey stores a generated (signed) key on a benefit, once, with its
// audit event. Errors: ErrBenefitChanged.
func (s *Store) SetBenefitKey(ctx context.Context, b benefit.Benefit, k string, now time.Time, ev audit.Event) (err error) {
	defer wrap(&err, "set key of %s", b.ID)
	record, err := s.auditPut(ev)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{s.giveKey(b, k, now), record}})
	if failedAt(cancelReasons(err), 0) {
		return ErrBenefitChanged
	}
	return err
}

// giveKey gives an available line its key, once. Taking a software key
// activates the line (which closes the cancellation refund); a licence line
// stays available until its key is redeemed, so it only records when the
// key was issued.
func (s *Store) giveKey(b benefit.Benefit, k string, now time.Time) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":key": stringAttr(k), ":available": stringAttr(string(benefit.Available)), ":now": timeValue(now)}
	expr := "SET #key = :key, keyIssuedAt = :now"
	if b.Kind != catalog.License {
		expr = "SET #key = :key, #status = :activated, activatedAt = :now"
		values[":activated"] = stringAttr(string(benefit.Activated))
	}
	return update(s.table, key(partnerPK(b.PartnerID), benefitSK(b.ID)), expr,
		"attribute_exists(PK) AND attribute_not_exists(#key) AND #status = :available",
		map[string]string{"#key": "key", "#status": "status"}, values)
}

// freeKeys returns a few free keys from the first shard, from start on, that
// has any, and that shard. No keys in any shard means the pool is empty.
func (s *Store) freeKeys(ctx context.Context, product string, start int) ([]string, int, error) {
	for i := range poolShards {
		shard := (start + i) % poolShards
		in := s.prefixQuery(poolPK(product, shard), poolFreePrefix)
		in.ProjectionExpression, in.ExpressionAttributeNames = aws.String("#key"), map[string]string{"#key": "key"}
		in.Limit, in.ConsistentRead = aws.Int32(8), aws.Bool(true)
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, 0, err
		}
		if len(out.Items) == 0 {
			continue
		}
		keys := make([]string, 0, len(out.Items))
		for _, it := range out.Items {
			if v, ok := it["key"].(*types.AttributeValueMemberS); ok {
				keys = append(keys, v.Value)
			}
		}
		return keys, shard, nil
	}
	return nil, 0, nil
}

// addFreeCount moves the pool's approximate free-key count and returns it.
func (s *Store) addFreeCount(ctx context.Context, product string, delta int64) (int64, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(poolMetaPK(product), poolMetaSK),
		UpdateExpression:         aws.String("ADD freeKeys :d SET #type = :type"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":d":    &types.AttributeValueMemberN{Value: strconv.FormatInt(delta, 10)},
			":type": &types.AttributeValueMemberS{Value: typePoolMeta},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return -1, err
	}
	var left struct {
		FreeKeys int64 `dynamodbav:"freeKeys"`
	}
	err = attributevalue.UnmarshalMap(out.Attributes, &left)
	return left.FreeKeys, err
}
