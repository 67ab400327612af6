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
	State       string            `dynamodbav:"state"` // running, committed (IdempotencyClaim), done
	LockedUntil int64             `dynamodbav:"lockedUntil"`
	ExpiresAt   int64             `dynamodbav:"ttl"` // table.TTL: DynamoDB deletes it after this
	Status      int               `dynamodbav:"status,omitempty"`
	Headers     map[string]string `dynamodbav:"headers,omitempty"`
	Body        string            `dynamodbav:"body,omitempty"`
	// BodyGzip holds a response body over compressAbove, gzipped, instead
	// of Body.
	BodyGzip []byte `dynamodbav:"bodyGzip,omitempty"`
	// Owner tells the request whose commit transaction wrote a committed
	// record, when that transaction's answer was lost (IdempotencyClaim).
	Owner string `dynamodbav:"owner,omitempty"`
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
	return s.putIdem(ctx, idemItem{PK: idemPK(scope, idemKey), SK: idemSK, Type: typeIdempotency,
		RequestHash: hash, State: "running", LockedUntil: now.Add(lock).Unix(), ExpiresAt: now.Add(keep).Unix()}, now)
}

// RecordIdempotency stores the reply of a request that committed nothing
// (a refusal, on a route that claims its key in its commit transaction:
// IdempotencyClaim) as a done record, under the claim's condition. Like
// ClaimIdempotency it returns nil when the record is now this reply, else
// the record that holds the key, which answers instead.
func (s *Store) RecordIdempotency(ctx context.Context, scope, idemKey, hash string, now time.Time, keep time.Duration, status int, headers map[string]string, body string) (existing *IdempotencyRecord, err error) {
	defer wrap(&err, "record idempotent reply")
	it := idemItem{PK: idemPK(scope, idemKey), SK: idemSK, Type: typeIdempotency,
		RequestHash: hash, State: "done", LockedUntil: now.Unix(), ExpiresAt: now.Add(keep).Unix(), Status: status, Headers: headers}
	if len(body) > compressAbove {
		if it.BodyGzip, err = gzipped(body); err != nil {
			return nil, err
		}
	} else {
		it.Body = body
	}
	return s.putIdem(ctx, it, now)
}

// claimCondition is when a key may be taken: no record, a record past its
// retention, or a running claim whose owner died (its lock passed). A
// committed record (IdempotencyClaim) is never taken over: its work is done.
const claimCondition = "attribute_not_exists(PK) OR #ttl < :now OR (#state = :running AND lockedUntil < :now)"

func claimValues(now time.Time) (map[string]string, map[string]types.AttributeValue) {
	return map[string]string{"#ttl": table.TTL, "#state": "state"}, map[string]types.AttributeValue{
		":now":     &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
		":running": &types.AttributeValueMemberS{Value: "running"},
	}
}

// putIdem puts a record under claimCondition: nil when it was written,
// else the record that holds the key.
func (s *Store) putIdem(ctx context.Context, it idemItem, now time.Time) (*IdempotencyRecord, error) {
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, err
	}
	names, values := claimValues(now)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                item,
		ConditionExpression:                 aws.String(claimCondition),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !asCCF(err, &ccf) {
		return nil, err
	}
	return s.idemRecord(ctx, it.PK, ccf.Item)
}

// idemRecord decodes the record that failed a claim's condition, old, or
// reads it when the emulator did not return it.
func (s *Store) idemRecord(ctx context.Context, pk string, old map[string]types.AttributeValue) (*IdempotencyRecord, error) {
	if old == nil { // emulators without ReturnValuesOnConditionCheckFailure
		res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pk, idemSK), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, err
		}
		if old = res.Item; old == nil {
			return nil, nil
		}
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

// gzipped is body gzipped, for a reply over compressAbove.
func gzipped(body string) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.WriteString(zw, body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CompleteIdempotency stores the response so retries replay it.
// Errors: ErrIdempotencyNotHeld when no record of this request holds the key.
func (s *Store) CompleteIdempotency(ctx context.Context, scope, idemKey, hash string, status int, headers map[string]string, body string) (err error) {
	defer wrap(&err, "complete idempotency key")
	hv, err := attributevalue.Marshal(headers)
	if err != nil {
		return err
	}
	set, bv := "body", types.AttributeValue(&types.AttributeValueMemberS{Value: body})
	if len(body) > compressAbove {
		gz, err := gzipped(body)
		if err != nil {
			return err
		}
		set, bv = "bodyGzip", &types.AttributeValueMemberB{Value: gz}
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
	if isConditionFailed(err) {
		return ErrIdempotencyNotHeld
	}
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
