package store

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
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
		if k == "" { // FREE# with no key is the shard's counter
			return 0, 0, errors.New("store: an empty key")
		}
		if _, dup := seen[k]; dup {
			duplicates++
			continue
		}
		seen[k] = struct{}{}
		unique = append(unique, k)
	}
	type result struct {
		n, d  int
		added [poolShards]int64 // keys imported, by shard
	}
	results := make([]result, (len(unique)+keysPerTransaction-1)/keysPerTransaction)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(importWorkers)
	alive := newProgress()
	for i := range results {
		batch := unique[i*keysPerTransaction : min((i+1)*keysPerTransaction, len(unique))]
		g.Go(func() error {
			n, d, err := s.importBatch(gctx, product, batch, now, &results[i].added, alive)
			results[i].n, results[i].d = n, d
			return err
		})
	}
	err = g.Wait()
	var added [poolShards]int64
	for _, r := range results {
		imported += r.n
		duplicates += r.d
		for shard, n := range r.added {
			added[shard] += n
		}
	}
	if imported > 0 {
		// The keys are in even if counting fails: the counters only warn.
		if cerr := s.countImported(ctx, product, added); cerr != nil && err == nil {
			err = cerr
		}
	}
	return imported, duplicates, err
}

// importBatch writes one transaction; when some keys already exist it drops
// them (the cancellation reasons say which) and retries the rest. It adds
// the keys it imported to added, by shard.
func (s *Store) importBatch(ctx context.Context, product string, batch []string, now time.Time, added *[poolShards]int64, alive *progress) (imported, duplicates int, err error) {
	throttled := 0
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
			alive.wrote()
			for _, k := range batch {
				added[shardOf(k)]++
			}
			return imported + len(batch), duplicates, nil
		}
		if Unavailable(err) {
			// Refused for load (a shard or the table over its write
			// rate): slow down and send the same batch again; only a
			// throttle that stops every worker for bulkStall ends it.
			throttled++
			if alive.stalled() {
				return imported, duplicates, err
			}
			if _, werr := throttledPause(ctx, min(throttled, bulkThrottleAttempts)); werr != nil {
				return imported, duplicates, errors.Join(err, werr)
			}
			attempt--
			continue
		}
		throttled = 0
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
// key and a key goes to one benefit. It returns the key and an estimate of
// the free keys left (shardRead.left).
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
// the other items written with it; the shard's counter is its last item.
// Errors: ErrKeyPoolExhausted, ErrBenefitChanged (the line's condition),
// errOthersChanged.
func (s *Store) allocate(ctx context.Context, b benefit.Benefit, now time.Time, line func(k string) (types.TransactWriteItem, error), others ...types.TransactWriteItem) (string, int64, error) {
	start := rand.IntN(poolShards)
	for range allocationAttempts {
		found, err := s.freeKeys(ctx, b.Product, start)
		if err != nil {
			return "", -1, err
		}
		if len(found.keys) == 0 {
			return "", 0, ErrKeyPoolExhausted
		}
		start = found.shard
		// A random pick among the first few spreads concurrent allocations.
		k := found.keys[rand.IntN(len(found.keys))]
		pk := poolPK(b.Product, found.shard)
		lineW, err := line(k)
		if err != nil {
			return "", -1, err
		}
		counter, err := s.takeCount(ctx, b.Product, &found)
		if err != nil {
			return "", -1, err
		}
		items := append([]types.TransactWriteItem{
			{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(pk, poolFreeSK(k)),
				ConditionExpression: aws.String("attribute_exists(PK)")}},
			{Update: &types.Update{TableName: aws.String(s.table), Key: key(pk, poolKeySK(k)),
				UpdateExpression:    aws.String("SET allocatedTo = :to, allocatedAt = :now"),
				ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(allocatedTo)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":to": &types.AttributeValueMemberS{Value: b.PartnerID + "#" + b.ID}, ":now": timeValue(now)}}},
			lineW,
		}, others...)
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(items, counter)})
		if err == nil {
			return k, found.left(), nil
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
		if isConflict(err) {
			// Another allocation held this shard's counter: let it finish.
			if err := pause(ctx, 10); err != nil {
				return "", -1, err
			}
		}
		// Another allocation took this key first, or held the shard's
		// counter: try again, on this shard's keys as they are now.
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

// shardRead is what freeKeys found: a few free keys of one shard, and how
// many the shard holds.
type shardRead struct {
	shard int
	keys  []string
	// free and taken are the shard's counts as its counter has them; when
	// the Query read the whole shard, free is the keys it read.
	free, taken int64
	// counted: the shard has its counter (a pool imported before the shard
	// counters may not, until takeCount counts it).
	counted bool
	// empty is how many shards were found empty before this one.
	empty int
}

// left estimates the pool's free keys after one is taken from this shard:
// what the shard has left, times the shards not found empty (this one and
// those not read, which the hash fills as evenly and allocations empty as
// evenly). 0 when the pool's last key was taken, but also when this shard's
// was and others still hold a few: near the end it says too few rather
// than too many, so the low-water warning comes early rather than late.
func (r shardRead) left() int64 {
	return max(r.free-1, 0) * int64(poolShards-r.empty)
}

// freeKeysPage is how many free keys one Query offers to pick from.
const freeKeysPage = 8

// freeKeys returns a few free keys from the first shard, from start on, that
// has any, with that shard's counter (its sort key sorts first among the
// free keys, so the same Query reads it). No keys in any shard means the
// pool is empty.
func (s *Store) freeKeys(ctx context.Context, product string, start int) (shardRead, error) {
	for i := range poolShards {
		shard := (start + i) % poolShards
		in := s.prefixQuery(poolPK(product, shard), poolFreePrefix)
		in.ProjectionExpression = aws.String("SK, #key, freeKeys, takenKeys")
		in.ExpressionAttributeNames = map[string]string{"#key": "key"}
		in.Limit, in.ConsistentRead = aws.Int32(freeKeysPage+1), aws.Bool(true)
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return shardRead{}, err
		}
		r := shardRead{shard: shard, empty: i}
		for _, it := range out.Items {
			var item struct {
				SK        string
				Key       string `dynamodbav:"key"`
				FreeKeys  int64  `dynamodbav:"freeKeys"`
				TakenKeys int64  `dynamodbav:"takenKeys"`
			}
			if err := attributevalue.UnmarshalMap(it, &item); err != nil {
				return shardRead{}, err
			}
			if item.SK == poolCountSK {
				r.counted, r.free, r.taken = true, item.FreeKeys, item.TakenKeys
			} else if len(r.keys) < freeKeysPage {
				r.keys = append(r.keys, item.Key)
			}
		}
		if len(r.keys) == 0 {
			continue
		}
		if out.LastEvaluatedKey == nil { // the whole shard was read: count it as read
			r.free = int64(len(r.keys))
		}
		return r, nil
	}
	return shardRead{}, nil
}

// takeCount is the allocation's write of the shard's counter: one free key
// fewer, one taken more. A shard that has no counter yet (its pool was
// imported before the shard counters) is counted first and gets one, only
// if it still has none.
func (s *Store) takeCount(ctx context.Context, product string, r *shardRead) (types.TransactWriteItem, error) {
	k := key(poolPK(product, r.shard), poolCountSK)
	if r.counted {
		w := s.addCount(product, r.shard, -1, 1)
		w.Update.ConditionExpression = aws.String("attribute_exists(PK)")
		return w, nil
	}
	free, taken, err := s.countShard(ctx, product, r.shard)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	r.free, r.taken = free, taken
	return put(s.table, poolCountItem(k, free-1, taken+1), notExists), nil
}

// poolCountItem is a shard's counter as written whole.
func poolCountItem(k map[string]types.AttributeValue, free, taken int64) map[string]types.AttributeValue {
	item := maps.Clone(k)
	item["type"], item["freeKeys"], item["takenKeys"] = stringAttr(typePoolCount), numberAttr(free), numberAttr(taken)
	return item
}

// addCount adds to a shard's counter (creating it if absent).
func (s *Store) addCount(product string, shard int, free, taken int64) types.TransactWriteItem {
	return update(s.table, key(poolPK(product, shard), poolCountSK), "ADD freeKeys :free, takenKeys :taken SET #type = :type", "",
		map[string]string{"#type": "type"},
		map[string]types.AttributeValue{":free": numberAttr(free), ":taken": numberAttr(taken), ":type": stringAttr(typePoolCount)})
}

// countImported adds an import's keys to the counters of the shards it
// filled, in one transaction (retried on a conflict with allocations). A
// pool that still has the product-wide counter of before the shard
// counters (META) is recounted instead, shard by shard.
func (s *Store) countImported(ctx context.Context, product string, added [poolShards]int64) error {
	err := RetryConflicts(ctx, 5, func() error {
		writes := []types.TransactWriteItem{{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table),
			Key: key(poolMetaPK(product), poolMetaSK), ConditionExpression: aws.String(notExists)}}}
		for shard, n := range added {
			if n > 0 {
				writes = append(writes, s.addCount(product, shard, n, 0))
			}
		}
		err := retryThrottled(ctx, func() error {
			_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
			return err
		})
		switch {
		case failedAt(cancelReasons(err), 0):
			return s.recountPool(ctx, product)
		case isConflict(err):
			return ErrConflict
		}
		return err
	})
	if errors.Is(err, ErrConflict) {
		return errors.New("store: too much contention for the pool counters")
	}
	return err
}

// recountPool counts every shard of a pool imported before the shard
// counters, writes their counters and removes the old product-wide one, in
// one transaction. Allocations racing it may leave a counter a key or two
// off: the counters are estimates for the warning.
func (s *Store) recountPool(ctx context.Context, product string) error {
	writes := make([]types.TransactWriteItem, poolShards+1)
	g, gctx := errgroup.WithContext(ctx)
	for shard := range poolShards {
		g.Go(func() error {
			free, taken, err := s.countShard(gctx, product, shard)
			writes[shard] = put(s.table, poolCountItem(key(poolPK(product, shard), poolCountSK), free, taken), "")
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	writes[poolShards] = types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(poolMetaPK(product), poolMetaSK)}}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if isConflict(err) {
		return ErrConflict
	}
	return err
}

// countShard counts a shard's keys: the free ones and the taken ones
// (registered, not free), in one Query of every item after the counter
// (FREE#<key> and KEY#<key>) that counts the free ones apart. It reads the
// whole shard, so it runs once per shard of a pool imported before the
// shard counters.
func (s *Store) countShard(ctx context.Context, product string, shard int) (free, taken int64, err error) {
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		KeyConditionExpression:   aws.String("PK = :pk AND SK > :counter"),
		FilterExpression:         aws.String("#type = :free"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": stringAttr(poolPK(product, shard)),
			":counter": stringAttr(poolCountSK), ":free": stringAttr(typePoolFree)},
		Select: types.SelectCount, ConsistentRead: aws.Bool(true),
	}
	var all int64
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return 0, 0, err
		}
		free, all = free+int64(out.Count), all+int64(out.ScannedCount)
		if in.ExclusiveStartKey = out.LastEvaluatedKey; in.ExclusiveStartKey == nil {
			return free, all - 2*free, nil // each free key is registered too
		}
	}
}

// PoolLevels reads a product's free and taken keys from its shard
// counters (one BatchGetItem of the 16, eventually consistent): the pool's
// level without reading its keys. A shard not counted yet counts 0.
func (s *Store) PoolLevels(ctx context.Context, product string) (free, taken int64, err error) {
	defer wrap(&err, "read pool levels of %s", product)
	keys := make([]map[string]types.AttributeValue, poolShards)
	for shard := range keys {
		keys[shard] = key(poolPK(product, shard), poolCountSK)
	}
	err = s.batchGet(ctx, keys, func(raw map[string]types.AttributeValue) error {
		var c struct {
			FreeKeys  int64 `dynamodbav:"freeKeys"`
			TakenKeys int64 `dynamodbav:"takenKeys"`
		}
		err := attributevalue.UnmarshalMap(raw, &c)
		free, taken = free+c.FreeKeys, taken+c.TakenKeys
		return err
	})
	return free, taken, err
}
