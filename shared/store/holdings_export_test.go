package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/table"
)

// DropHoldingsIndex makes a partner's items as they were written before
// GSI2 (no GSI2 keys on the profile, purchases, lines and contract), for
// the test of the holdings' fallback read and backfill.
func (s *Store) DropHoldingsIndex(ctx context.Context, partnerID string) error {
	var keys []map[string]types.AttributeValue
	in := &dynamodb.QueryInput{TableName: &s.table, KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": stringAttr(partnerPK(partnerID))}}
	err := s.queryEach(ctx, in, func(raw map[string]types.AttributeValue) error {
		if _, ok := raw[table.GSI2PK]; ok {
			keys = append(keys, map[string]types.AttributeValue{table.PK: raw[table.PK], table.SK: raw[table.SK]})
		}
		return nil
	})
	for _, k := range keys {
		if err != nil {
			break
		}
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: k,
			UpdateExpression: aws.String("REMOVE GSI2PK, GSI2SK")})
	}
	return err
}
