package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MakePoolLegacy makes a product's pool as it was before the shard
// counters: no counter in any shard, and the product-wide META counter at
// free, for the tests of the counters' migration.
func (s *Store) MakePoolLegacy(ctx context.Context, product string, free int64) error {
	writes := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.table), Item: map[string]types.AttributeValue{
		"PK": stringAttr(poolMetaPK(product)), "SK": stringAttr(poolMetaSK), "freeKeys": numberAttr(free)}}}}
	for shard := range poolShards {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(poolPK(product, shard), poolCountSK)}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	return err
}

// HasPoolMeta reports whether the product-wide counter of before the shard
// counters is still there.
func (s *Store) HasPoolMeta(ctx context.Context, product string) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(poolMetaPK(product), poolMetaSK), ConsistentRead: aws.Bool(true)})
	return err == nil && out.Item != nil, err
}

// ShardOf is the pool shard of a key.
var ShardOf = shardOf
