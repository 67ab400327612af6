package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/store"
)

// Every allocation from a shard now writes the shard's counter in its
// transaction, so concurrent allocations from one shard conflict on it
// (TransactionConflict) and retry. Here 48 allocations run
// at once, over a pool spread on 16 shards and over one shard alone (every
// allocation on the same counter, the worst case): each line still gets its
// own key; the log says how many transactions each key took.
func TestConcurrentAllocationsShareTheShardCounters(t *testing.T) {
	for _, oneShard := range []bool{false, true} {
		t.Run(fmt.Sprintf("oneShard=%v", oneShard), func(t *testing.T) {
			s, calls := newStore(t)
			ctx := context.Background()
			const product, n = "database-server-enterprise", 48
			var keys []string
			for i := 0; len(keys) < 2*n; i++ {
				k := fmt.Sprintf("DSE-%06d", i)
				if !oneShard || store.ShardOf(k) == 0 {
					keys = append(keys, k)
				}
			}
			if got, _, err := s.ImportKeys(ctx, product, keys, now); err != nil || got != len(keys) {
				t.Fatalf("import: %d, %v", got, err)
			}
			var lines []benefit.Benefit
			for i := range n {
				lines = append(lines, softwareLines(t, s, fmt.Sprintf("ptn_%02d", i), product)...)
			}
			calls.Reset()
			var wg sync.WaitGroup
			var mu sync.Mutex
			seen := map[string]bool{}
			for _, b := range lines {
				wg.Go(func() {
					k, _, err := s.AllocateKey(ctx, b, now, keyEvent(b.PartnerID, b.ID))
					mu.Lock()
					defer mu.Unlock()
					if err != nil || seen[k] {
						t.Errorf("%s: %q, %v", b.ID, k, err)
					}
					seen[k] = true
				})
			}
			wg.Wait()
			got := calls.Reset()
			if free, taken, err := s.PoolLevels(ctx, product); err != nil || free != int64(2*n-len(lines)) || taken != int64(len(lines)) {
				t.Errorf("levels %d free, %d taken, %v", free, taken, err)
			}
			t.Logf("%d concurrent allocations: %v (%.2f transactions a key)", len(lines), got, float64(got["TransactWriteItems"])/float64(len(lines)))
		})
	}
}
