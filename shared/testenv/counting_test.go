package testenv

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestCountingCapacity: the counting client sums what DynamoDB Local says
// each call consumed, as on-demand DynamoDB bills it: a 1.5 KB item is 2
// write units to put, 4 in a transaction, half a read unit per 4 KB read
// eventually consistent and one strongly consistent.
func TestCountingCapacity(t *testing.T) {
	t.Parallel()
	db := DynamoDB(t)
	name := NewTable(t, db)
	c := NewCounting(db)
	ctx := t.Context()
	item := func(sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "P"}, "SK": &types.AttributeValueMemberS{Value: sk},
			"pad": &types.AttributeValueMemberS{Value: strings.Repeat("x", 1500)}}
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: item("a")}); err != nil {
		t.Fatal(err)
	}
	if rcu, wcu := c.Capacity(); rcu != 0 || wcu != 2 {
		t.Errorf("put of 1.5 KB: rcu %v wcu %v, want 0 and 2", rcu, wcu)
	}
	c.Reset()
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(name), Item: item("b")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, wcu := c.Capacity(); wcu != 4 {
		t.Errorf("transactional put of 1.5 KB: wcu %v, want 4", wcu)
	}
	c.Reset()
	// DynamoDB Local reports one item's units for a whole transaction; AWS
	// bills each of its items: three items of up to 1 KB are 6 units.
	var three []types.TransactWriteItem
	for _, sk := range []string{"c", "d"} {
		three = append(three, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(name), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "P"}, "SK": &types.AttributeValueMemberS{Value: sk}}}})
	}
	three = append(three, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(name), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "P"}, "SK": &types.AttributeValueMemberS{Value: "e"}}, UpdateExpression: aws.String("SET n = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "1"}}}})
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: three}); err != nil {
		t.Fatal(err)
	}
	if _, wcu := c.Capacity(); wcu != 6 {
		t.Errorf("transaction of three small items: wcu %v, want 6", wcu)
	}
	c.Reset()
	if _, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "P"}, "SK": &types.AttributeValueMemberS{Value: "a"}}, ConsistentRead: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if rcu, wcu := c.Capacity(); rcu != 1 || wcu != 0 {
		t.Errorf("consistent get: rcu %v wcu %v, want 1 and 0", rcu, wcu)
	}
	if calls := c.Reset(); calls["GetItem"] != 1 {
		t.Errorf("calls %v", calls)
	}
	if rcu, wcu := c.Capacity(); rcu != 0 || wcu != 0 {
		t.Errorf("after Reset: %v %v", rcu, wcu)
	}
}
