// Package store is the DynamoDB single-table adapter. It maps domain types to
// items, enforces invariants with conditional writes and transactions, and
// turns storage facts (missing item, failed condition) into domain errors.
package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/table"
)

// API lists the DynamoDB operations the store calls; *dynamodb.Client
// satisfies it, and tests wrap it to count round trips.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Store reads and writes the one table.
type Store struct {
	db    API
	table string
	// indexed holds the partners this process saw with their directory
	// indexed (IndexDirectory): the mark never goes away.
	indexed sync.Map
}

// New returns a store over the named table.
func New(db API, tableName string) *Store { return &Store{db: db, table: tableName} }

// Table returns the table name.
func (s *Store) Table() string { return s.table }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		table.PK: &types.AttributeValueMemberS{Value: pk},
		table.SK: &types.AttributeValueMemberS{Value: sk},
	}
}

// wrap adds the operation to an error once, keeping domain errors matchable.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *err)
	}
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// cancelReasons returns per-item reason codes of a cancelled transaction
// ("ConditionalCheckFailed", "None", …), or nil if err is something else,
// including a transaction DynamoDB refused for load (ThrottlingError).
func cancelReasons(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || Unavailable(err) && !conflictOnly(tce) {
		// Refused for load (throttled, over capacity), not for the data:
		// not a lost race for the caller to re-read, but an error that
		// RetryConflicts backs off on and the API answers 503.
		return nil
	}
	out := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		out[i] = aws.ToString(r.Code)
	}
	return out
}

// conflictOnly reports whether a cancelled transaction met only other
// transactions (TransactionConflict): a lost race, read again.
func conflictOnly(tce *types.TransactionCanceledException) bool {
	for _, r := range tce.CancellationReasons {
		if c := aws.ToString(r.Code); c != "None" && c != "" && c != "TransactionConflict" {
			return false
		}
	}
	return true
}

// failedAt reports whether item i of a cancelled transaction failed its condition.
func failedAt(reasons []string, i int) bool {
	return i < len(reasons) && reasons[i] == "ConditionalCheckFailed"
}

func put(tableName string, item map[string]types.AttributeValue, condition string) types.TransactWriteItem {
	p := &types.Put{TableName: aws.String(tableName), Item: item}
	if condition != "" {
		p.ConditionExpression = aws.String(condition)
	}
	return types.TransactWriteItem{Put: p}
}

const notExists = "attribute_not_exists(PK)"

// prefixQuery reads the items of one partition whose sort key starts with prefix.
func (s *Store) prefixQuery(pk, prefix string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     &types.AttributeValueMemberS{Value: pk},
			":prefix": &types.AttributeValueMemberS{Value: prefix},
		},
	}
}

// rangeQuery reads the items of one partition whose sort key is between
// first and last, both included.
func (s *Store) rangeQuery(pk, first, last string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :first AND :last"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: pk},
			":first": &types.AttributeValueMemberS{Value: first},
			":last":  &types.AttributeValueMemberS{Value: last},
		},
	}
}

// benefitQuery reads one benefit's items (benefitItems): its line, credit
// state, seats and locks, and nothing of a benefit with a longer id.
func (s *Store) benefitQuery(partnerID, benefitID string) *dynamodb.QueryInput {
	first, last := benefitItems(benefitID)
	return s.rangeQuery(partnerPK(partnerID), first, last)
}

// gsi1Query reads one partition of GSI1, the due index (its items' keys
// are strings, so a page's LastEvaluatedKey is too).
func (s *Store) gsi1Query(pk string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(table.GSI1),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": table.GSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
	}
}

// timeValue stores a time the way attributevalue does (RFC 3339, UTC), for
// hand-written update expressions.
func timeValue(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberS{Value: t.UTC().Format(time.RFC3339Nano)}
}

// queryEach runs a Query to its last page and hands every item to fn, so a
// read never stops at DynamoDB's 1 MB page.
func (s *Store) queryEach(ctx context.Context, in *dynamodb.QueryInput, fn func(raw map[string]types.AttributeValue) error) error {
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return err
		}
		for _, raw := range out.Items {
			if err := fn(raw); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// batchWrite sends up to 25 write requests in one BatchWriteItem and
// resends what DynamoDB left unprocessed, pausing a little longer each time.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	pending := map[string][]types.WriteRequest{s.table: reqs}
	for attempt := 0; len(pending) > 0; attempt++ {
		if err := unprocessedPause(ctx, attempt); err != nil {
			return err
		}
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		pending = out.UnprocessedItems
	}
	return nil
}

// batchGet reads items by key, eventually consistent (batchRead).
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, each func(map[string]types.AttributeValue) error) error {
	return s.batchRead(ctx, keys, false, each)
}
