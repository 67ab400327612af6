package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/table"
)

// itemKey is an item's primary key, PK and SK.
type itemKey struct{ pk, sk string }

// items are the items getItems found, by key.
type items map[itemKey]map[string]types.AttributeValue

// decode unmarshals the item at pk, sk into out; found = false (out left
// as it is) if there is none.
func (m items) decode(pk, sk string, out any) (found bool, err error) {
	raw, ok := m[itemKey{pk, sk}]
	if !ok {
		return false, nil
	}
	return true, attributevalue.UnmarshalMap(raw, out)
}

// getItems reads a few items by key (at most maxBatchGet) in one strongly
// consistent BatchGetItem (batchRead): a decision that reads several items
// by key reads them in one round trip instead of one GetItem each, with
// the same consistency as s.get.
func (s *Store) getItems(ctx context.Context, keys ...itemKey) (items, error) {
	req := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		req[i] = key(k.pk, k.sk)
	}
	found := items{}
	err := s.batchRead(ctx, req, true, func(raw map[string]types.AttributeValue) error {
		pk, _ := raw[table.PK].(*types.AttributeValueMemberS)
		sk, _ := raw[table.SK].(*types.AttributeValueMemberS)
		if pk != nil && sk != nil {
			found[itemKey{pk.Value, sk.Value}] = raw
		}
		return nil
	})
	return found, err
}

// batchRead reads items by key, maxBatchGet keys a BatchGetItem one after
// another, strongly consistent or not, resending what DynamoDB left
// unprocessed after a pause that grows (DynamoDB's advice); each gets
// every item found, in no particular order. Keys with no item are simply
// not read. The one BatchGetItem loop of the store.
func (s *Store) batchRead(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool, each func(map[string]types.AttributeValue) error) error {
	for start := 0; start < len(keys); start += maxBatchGet {
		pending := map[string]types.KeysAndAttributes{s.table: {Keys: keys[start:min(start+maxBatchGet, len(keys))], ConsistentRead: aws.Bool(consistent)}}
		for attempt := 0; len(pending) > 0; attempt++ {
			if err := unprocessedPause(ctx, attempt); err != nil {
				return err
			}
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			for _, raw := range out.Responses[s.table] {
				if err := each(raw); err != nil {
					return err
				}
			}
			pending = out.UnprocessedKeys
		}
	}
	return nil
}

// maxBatchGet is how many keys one BatchGetItem takes.
const maxBatchGet = 100
