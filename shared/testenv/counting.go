package testenv

import (
	"context"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/store"
)

// Counting wraps a DynamoDB client and counts round trips per operation, so
// tests and benchmarks can assert how many calls a request makes. It also
// asks every call for its consumed capacity (ReturnConsumedCapacity TOTAL:
// the table and its indexes) and sums the read and write units, which is
// what a request costs on an on-demand table.
type Counting struct {
	store.API
	mu       sync.Mutex
	calls    map[string]int
	rcu, wcu float64
}

// NewCounting wraps api.
func NewCounting(api store.API) *Counting { return &Counting{API: api, calls: map[string]int{}} }

func (c *Counting) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

// used records the capacity a call consumed; reads and writes are told
// apart by the operation, as DynamoDB reports one CapacityUnits figure.
func (c *Counting) used(write bool, cc ...types.ConsumedCapacity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range cc {
		units := 0.0
		if u.CapacityUnits != nil {
			units = *u.CapacityUnits
		}
		if write {
			c.wcu += units
		} else {
			c.rcu += units
		}
	}
}

// Reset returns the counts since the last Reset and starts again (the
// capacity too).
func (c *Counting) Reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.calls)
	c.calls = map[string]int{}
	c.rcu, c.wcu = 0, 0
	return out
}

// Capacity is the read and write capacity units consumed since the last
// Reset.
func (c *Counting) Capacity() (rcu, wcu float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rcu, c.wcu
}

const total = types.ReturnConsumedCapacityTotal

func one(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}

func (c *Counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.add("GetItem")
	in.ReturnConsumedCapacity = total
	out, err := c.API.GetItem(ctx, in, o...)
	if out != nil {
		c.used(false, one(out.ConsumedCapacity)...)
	}
	return out, err
}

func (c *Counting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.add("PutItem")
	in.ReturnConsumedCapacity = total
	out, err := c.API.PutItem(ctx, in, o...)
	if out != nil {
		c.used(true, one(out.ConsumedCapacity)...)
	}
	return out, err
}

func (c *Counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.add("UpdateItem")
	in.ReturnConsumedCapacity = total
	out, err := c.API.UpdateItem(ctx, in, o...)
	if out != nil {
		c.used(true, one(out.ConsumedCapacity)...)
	}
	return out, err
}

func (c *Counting) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.add("DeleteItem")
	in.ReturnConsumedCapacity = total
	out, err := c.API.DeleteItem(ctx, in, o...)
	if out != nil {
		c.used(true, one(out.ConsumedCapacity)...)
	}
	return out, err
}

func (c *Counting) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.add("Query")
	in.ReturnConsumedCapacity = total
	out, err := c.API.Query(ctx, in, o...)
	if out != nil {
		c.used(false, one(out.ConsumedCapacity)...)
	}
	return out, err
}

func (c *Counting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.add("TransactWriteItems")
	in.ReturnConsumedCapacity = total
	out, err := c.API.TransactWriteItems(ctx, in, o...)
	if out != nil {
		units := 0.0
		for _, cc := range out.ConsumedCapacity {
			units += aws.ToFloat64(cc.CapacityUnits)
		}
		est := transactionUnits(in.TransactItems)
		c.used(true, types.ConsumedCapacity{CapacityUnits: aws.Float64(max(units, est))})
	}
	return out, err
}

// transactionUnits is what AWS bills a transaction: 2 write units per
// started KB of every item it acts on. DynamoDB Local reports one item's
// units for a whole transaction, so the counter uses this where it is
// more. A Put's size is known; an Update, Delete or ConditionCheck counts
// as 1 KB (the item's size is not known here), so for those it is a floor.
func transactionUnits(items []types.TransactWriteItem) float64 {
	units := 0.0
	for _, it := range items {
		kb := 1
		if it.Put != nil {
			kb = max(1, (ItemSize(it.Put.Item)+1023)/1024)
		}
		units += 2 * float64(kb)
	}
	return units
}

func (c *Counting) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.add("BatchWriteItem")
	in.ReturnConsumedCapacity = total
	out, err := c.API.BatchWriteItem(ctx, in, o...)
	if out != nil {
		c.used(true, out.ConsumedCapacity...)
	}
	return out, err
}

func (c *Counting) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.add("BatchGetItem")
	in.ReturnConsumedCapacity = total
	out, err := c.API.BatchGetItem(ctx, in, o...)
	if out != nil {
		c.used(false, out.ConsumedCapacity...)
	}
	return out, err
}
