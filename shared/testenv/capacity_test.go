package testenv

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// settableNow is a clock for the simulator's windows.
type settableNow struct {
	mu sync.Mutex
	t  time.Time
}

func (s *settableNow) now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.t }
func (s *settableNow) add(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t = s.t.Add(d)
}

// TestCapacitySimulator: past a partition key's limit in one simulated
// second, DynamoDB Local behind the simulator answers as AWS does — a
// single write is ProvisionedThroughputExceededException after the SDK's
// own retries, a transaction is cancelled with ThrottlingError on the hot
// item only, a batch returns the hot items unprocessed and writes the rest,
// a read is refused once its key's read units are spent — while other keys
// go on, and the next second starts afresh.
func TestCapacitySimulator(t *testing.T) {
	t.Parallel()
	name := NewTable(t, DynamoDB(t))
	db, c := ThrottledDynamoDB(t, CapacityLimits{PartitionWCU: 10, PartitionRCU: 4, TableWCU: 1000, TableRCU: 1000, Window: time.Second})
	clk := &settableNow{t: time.Unix(1_800_000_000, 0)}
	c.now = clk.now
	ctx := t.Context()
	item := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}}
	}
	put := func(pk, sk string) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item(pk, sk)})
		return err
	}
	for i := range 10 { // 10 × 1 WCU: the hot key's whole second
		if err := put("HOT", string(rune('a'+i))); err != nil {
			t.Fatalf("put %d within the limit: %v", i, err)
		}
	}
	var ptee *types.ProvisionedThroughputExceededException
	if err := put("HOT", "z"); !errors.As(err, &ptee) {
		t.Fatalf("put past the limit: %v, want ProvisionedThroughputExceededException", err)
	}
	if st := c.Stats(); st.Throttled != 3 { // the SDK's standard retryer tried 3 times
		t.Errorf("throttled %d calls, want 3 (one put and the SDK's two retries)", st.Throttled)
	}
	if err := put("COLD", "a"); err != nil {
		t.Errorf("another key in the same second: %v", err)
	}

	// A transaction: 2 WCU per item; the hot key's item is named.
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(name), Item: item("COLD", "t1")}},
		{Put: &types.Put{TableName: aws.String(name), Item: item("HOT", "t2")}},
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 ||
		aws.ToString(tce.CancellationReasons[0].Code) != "None" || aws.ToString(tce.CancellationReasons[1].Code) != "ThrottlingError" {
		t.Fatalf("transaction on the hot key: %v, want cancelled with [None ThrottlingError]", err)
	}

	// A batch: the hot key's request comes back, the cold one is written.
	out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{name: {
		{PutRequest: &types.PutRequest{Item: item("HOT", "b1")}},
		{PutRequest: &types.PutRequest{Item: item("COLD", "b2")}},
	}}})
	if err != nil || len(out.UnprocessedItems[name]) != 1 ||
		out.UnprocessedItems[name][0].PutRequest.Item["PK"].(*types.AttributeValueMemberS).Value != "HOT" {
		t.Fatalf("batch: %v, unprocessed %v; want the hot item back", err, out)
	}
	got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item("COLD", "b2"), ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item == nil {
		t.Fatalf("the batch's cold item: %v, %v", got, err)
	}

	// Reads: 4 RCU a second on a key; a strongly consistent read of a
	// small item is 1.
	for i := range 3 {
		if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item("COLD", "a"), ConsistentRead: aws.Bool(true)}); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: item("COLD", "a"), ConsistentRead: aws.Bool(true)}); !errors.As(err, &ptee) {
		t.Fatalf("read past the limit: %v, want ProvisionedThroughputExceededException", err)
	}

	clk.add(time.Second)
	if err := put("HOT", "next-second"); err != nil {
		t.Errorf("the next second: %v", err)
	}
	peaks := c.Peaks()
	if len(peaks) == 0 || peaks[0].Key != "W table" && !strings.HasPrefix(peaks[0].Key, "W PK HOT") {
		t.Errorf("peaks %v: want the hot key or the table first", peaks)
	}
	for _, p := range peaks {
		if p.Key == "W PK HOT" && p.Units != 10 {
			t.Errorf("peak of the hot key %v, want its limit 10", p.Units)
		}
	}
}

// TestCapacityIndexPartitions: an item that sets GSI1PK also writes that
// index partition, so many keys under one index value throttle together.
func TestCapacityIndexPartitions(t *testing.T) {
	t.Parallel()
	name := NewTable(t, DynamoDB(t))
	db, c := ThrottledDynamoDB(t, CapacityLimits{PartitionWCU: 5, PartitionRCU: 100, TableWCU: 1000, TableRCU: 1000, Window: time.Hour})
	ctx := t.Context()
	var ptee *types.ProvisionedThroughputExceededException
	for i := range 6 {
		_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(name),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "P" + string(rune('a'+i))}, "SK": &types.AttributeValueMemberS{Value: "S"}},
			UpdateExpression: aws.String("SET GSI1PK = :due, GSI1SK = :k"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":due": &types.AttributeValueMemberS{Value: "DUE#DAY"}, ":k": &types.AttributeValueMemberS{Value: "k"}},
		})
		if i < 5 && err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		if i == 5 && !errors.As(err, &ptee) {
			t.Fatalf("sixth item under one index key: %v, want throttled", err)
		}
	}
	if p := c.Peaks(); len(p) == 0 || p[0].Key != "W GSI1 DUE#DAY" && p[0].Key != "W table" {
		t.Errorf("peaks %v", p)
	}
}
