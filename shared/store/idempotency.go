package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/table"
)

// IdempotencyRecord is what a POST with an Idempotency-Key left behind.
type IdempotencyRecord struct {
	RequestHash string
	Done        bool
	Status      int
	Headers     map[string]string
	Body        string
}

type idemItem struct {
	PK          string
	SK          string
	Type        string            `dynamodbav:"type"`
	RequestHash string            `dynamodbav:"requestHash"`
	State       string            `dynamodbav:"state"` // running, done
	LockedUntil int64             `dynamodbav:"lockedUntil"`
	ExpiresAt   int64             `dynamodbav:"ttl"` // table.TTL: DynamoDB deletes it after this
	Status      int               `dynamodbav:"status,omitempty"`
	Headers     map[string]string `dynamodbav:"headers,omitempty"`
	Body        string            `dynamodbav:"body,omitempty"`
	// BodyGzip holds a response body over compressAbove, gzipped, instead
	// of Body.
	BodyGzip []byte `dynamodbav:"bodyGzip,omitempty"`
}

// compressAbove: a stored response body larger than this is gzipped. JSON
// shrinks several times, so the largest report (a bulk assignment's) stays
// far below DynamoDB's 400 KB item limit and its replay is never lost.
const compressAbove = 4 << 10

func (it idemItem) body() (string, error) {
	if it.BodyGzip == nil {
		return it.Body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(it.BodyGzip))
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(zr)
	return string(b), err
}

// ClaimIdempotency reserves (scope, key) for a request with the given hash.
// It returns nil when the caller now owns the key and must run the request;
// otherwise the existing record (done: replay it; running: a duplicate is in
// flight). A running claim whose lock has passed (the owner crashed) can be
// taken over, and a record past its retention is treated as absent.
func (s *Store) ClaimIdempotency(ctx context.Context, scope, idemKey, hash string, now time.Time, lock, keep time.Duration) (existing *IdempotencyRecord, err error) {
	defer wrap(&err, "claim idempotency key")
	item, err := attributevalue.MarshalMap(idemItem{PK: idemPK(scope, idemKey), SK: idemSK, Type: typeIdempotency,
		RequestHash: hash, State: "running", LockedUntil: now.Add(lock).Unix(), ExpiresAt: now.Add(keep).Unix()})
	if err != nil {
		return nil, err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR #ttl < :now OR (#state = :running AND lockedUntil < :now)"),
		ExpressionAttributeNames: map[string]string{"#ttl": table.TTL, "#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":     &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
			":running": &types.AttributeValueMemberS{Value: "running"},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !asCCF(err, &ccf) {
		return nil, err
	}
	old := ccf.Item
	if old == nil { // emulators without ReturnValuesOnConditionCheckFailure
		res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(idemPK(scope, idemKey), idemSK), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, err
		}
		old = res.Item
	}
	var it idemItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return nil, err
	}
	body, err := it.body()
	if err != nil {
		return nil, err
	}
	return &IdempotencyRecord{RequestHash: it.RequestHash, Done: it.State == "done", Status: it.Status, Headers: it.Headers, Body: body}, nil
}

// CompleteIdempotency stores the response so retries replay it.
func (s *Store) CompleteIdempotency(ctx context.Context, scope, idemKey, hash string, status int, headers map[string]string, body string) (err error) {
	defer wrap(&err, "complete idempotency key")
	hv, err := attributevalue.Marshal(headers)
	if err != nil {
		return err
	}
	set, bv := "body", types.AttributeValue(&types.AttributeValueMemberS{Value: body})
	if len(body) > compressAbove {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := io.WriteString(zw, body); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		set, bv = "bodyGzip", &types.AttributeValueMemberB{Value: buf.Bytes()}
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(idemPK(scope, idemKey), idemSK),
		UpdateExpression:         aws.String("SET #state = :done, #status = :status, headers = :headers, " + set + " = :body"),
		ConditionExpression:      aws.String("requestHash = :hash"),
		ExpressionAttributeNames: map[string]string{"#state": "state", "#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":done":    &types.AttributeValueMemberS{Value: "done"},
			":status":  &types.AttributeValueMemberN{Value: strconv.Itoa(status)},
			":headers": hv,
			":body":    bv,
			":hash":    &types.AttributeValueMemberS{Value: hash},
		},
	})
	return err
}

// ReleaseIdempotency drops a running claim after a server-side failure, so
// the client's retry runs the request again rather than waiting for the lock.
func (s *Store) ReleaseIdempotency(ctx context.Context, scope, idemKey, hash string) (err error) {
	defer wrap(&err, "release idempotency key")
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(idemPK(scope, idemKey), idemSK),
		ConditionExpression:       aws.String("requestHash = :hash AND #state = :running"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":hash": &types.AttributeValueMemberS{Value: hash}, ":running": &types.AttributeValueMemberS{Value: "running"}},
	})
	if isConditionFailed(err) {
		return nil
	}
	return err
}

func asCCF(err error, target **types.ConditionalCheckFailedException) bool {
	return errors.As(err, target)
}
