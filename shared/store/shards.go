package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/pbs/benefits/shared/table"
)

// The due indexes that many writes share are spread over shards, so that
// no GSI1 partition takes more than its 1,000 WCU a second (a partition
// over it throttles the table's writes too): every line bought on a day
// would otherwise write DUE#EXPIRY#<day>, and every message DUE#OUTBOX.
// The shard is a hash of the item's id, so an item stays in its shard when
// its due time moves. Readers query every shard at once; the unsharded key
// of earlier releases is read too, so items written before stay found.
const (
	expiryShards = 8 // 8,000 index WCU/s: ~400 gold purchases a second
	outboxShards = 8 // 8,000 index WCU/s: ~2,000 messages a second
)

// expiryDuePK is the GSI1 partition of a line expiring on day.
func expiryDuePK(day time.Time, benefitID string) string {
	return fmt.Sprintf("%s#%d", expiryDayPK(day), hashMod(benefitID, expiryShards))
}

func expiryDayPK(day time.Time) string { return "DUE#EXPIRY#" + day.UTC().Format(time.DateOnly) }

// outboxDuePK is the GSI1 partition of an unsent message.
func outboxDuePK(messageID string) string {
	return fmt.Sprintf("%s#%d", outboxDuePrefix, hashMod(messageID, outboxShards))
}

const outboxDuePrefix = "DUE#OUTBOX"

// shardKeys are the partitions of a sharded key: base#0 … base#n-1, and
// base itself (the unsharded key of earlier releases).
func shardKeys(base string, n int) []string {
	out := make([]string, 0, n+1)
	for i := range n {
		out = append(out, fmt.Sprintf("%s#%d", base, i))
	}
	return append(out, base)
}

// queryShards runs query on every partition at once and returns what each
// gave, in pks order; query gets its partition's GSI1 Query.
func (s *Store) queryShards(ctx context.Context, pks []string, query func(ctx context.Context, pk string) ([]map[string]types.AttributeValue, error)) ([][]map[string]types.AttributeValue, error) {
	out := make([][]map[string]types.AttributeValue, len(pks))
	g, ctx := errgroup.WithContext(ctx)
	for i, pk := range pks {
		g.Go(func() (err error) {
			out[i], err = query(ctx, pk)
			return err
		})
	}
	return out, g.Wait()
}

// mergeByDue merges per-shard pages, each in GSI1SK order, into one list
// in GSI1SK order.
func mergeByDue(pages [][]map[string]types.AttributeValue) []map[string]types.AttributeValue {
	var all []map[string]types.AttributeValue
	for _, p := range pages {
		all = append(all, p...)
	}
	slices.SortStableFunc(all, func(a, b map[string]types.AttributeValue) int {
		return strings.Compare(sortKeyOf(a), sortKeyOf(b))
	})
	return all
}

func sortKeyOf(raw map[string]types.AttributeValue) string {
	if v, ok := raw[table.GSI1SK].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
