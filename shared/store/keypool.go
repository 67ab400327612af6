package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// poolKeyItem registers a key forever; poolFreeItem offers it until taken.
type poolKeyItem struct {
	PK         string
	SK         string
	Type       string    `dynamodbav:"type"`
	Product    string    `dynamodbav:"product"`
	Key        string    `dynamodbav:"key"`
	ImportedAt time.Time `dynamodbav:"importedAt"`
}

// keysPerTransaction: each key is two puts and a transaction holds 100 items.
const keysPerTransaction = maxTransactItems / 2

// ImportKeys adds keys to a product's pool and reports how many were new and
// how many were already known (in this input or in the pool, including keys
// already handed out). Safe to run concurrently with itself and with
// allocation: every put is conditional.
func (s *Store) ImportKeys(ctx context.Context, product string, keys []string, now time.Time) (imported, duplicates int, err error) {
	defer wrap(&err, "import keys into %s", product)
	seen := make(map[string]bool, len(keys))
	unique := keys[:0:0]
	for _, k := range keys {
		if seen[k] {
			duplicates++
			continue
		}
		seen[k] = true
		unique = append(unique, k)
	}
	for start := 0; start < len(unique); start += keysPerTransaction {
		batch := unique[start:min(start+keysPerTransaction, len(unique))]
		n, d, err := s.importBatch(ctx, product, batch, now)
		imported += n
		duplicates += d
		if err != nil {
			return imported, duplicates, err
		}
	}
	return imported, duplicates, nil
}

// importBatch writes one transaction; when some keys already exist it drops
// them (the cancellation reasons say which) and retries the rest.
func (s *Store) importBatch(ctx context.Context, product string, batch []string, now time.Time) (imported, duplicates int, err error) {
	for attempt := 0; len(batch) > 0; attempt++ {
		writes := make([]types.TransactWriteItem, 0, 2*len(batch))
		for _, k := range batch {
			reg, err := attributevalue.MarshalMap(poolKeyItem{PK: poolPK(product), SK: poolKeySK(k), Type: typePoolKey, Product: product, Key: k, ImportedAt: now})
			if err != nil {
				return imported, duplicates, err
			}
			free, err := attributevalue.MarshalMap(poolKeyItem{PK: poolPK(product), SK: poolFreeSK(k), Type: typePoolFree, Product: product, Key: k, ImportedAt: now})
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
