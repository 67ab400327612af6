package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/testenv"
)

// keyCostFixture is a partner with n action packs and pools of 16 × 8 keys
// for the pooled software and the licence products, so no shard is empty.
func keyCostFixture(t *testing.T, n int) (*store.Store, *testenv.Counting, []map[string]string) {
	t.Helper()
	s, calls := newStore(t)
	ctx := context.Background()
	mustPartner(t, s, "ptn_keys")
	cat := demoCatalog(t)
	var packs []map[string]string
	for range n {
		p, lines, err := benefit.NewPurchase("ptn_keys", "USD", cat, "action-pack-2026", now, ids.New)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePurchase(ctx, p, lines); err != nil {
			t.Fatal(err)
		}
		byProduct := map[string]string{}
		for _, b := range lines {
			byProduct[b.Product] = b.ID
		}
		packs = append(packs, byProduct)
	}
	for _, product := range []string{"server-os-datacenter", "office-cloud-e3"} {
		keys := make([]string, 16*8)
		for i := range keys {
			keys[i] = fmt.Sprintf("%s-%05d", product, i)
		}
		if got, _, err := s.ImportKeys(ctx, product, keys, now); err != nil || got != len(keys) {
			t.Fatalf("import %s: %d, %v", product, got, err)
		}
	}
	return s, calls, packs
}

// The user-facing writes of keys take at most 3 round trips: a first pool
// key reads the line, Queries one pool shard (which also says how many
// keys it holds, for the low-water warning) and writes one transaction; a
// redemption reads the line and the tenant's subscriptions in one call, and
// writes one transaction (with the pool key in it, after one Query, when
// the line has none yet).
func TestKeyWritesTakeAtMostThreeRoundTrips(t *testing.T) {
	s, calls, packs := keyCostFixture(t, 3)
	ctx := context.Background()
	uc := storetest.Keys(s)
	cost := func(name string, want map[string]int, do func() error) {
		t.Helper()
		calls.Reset()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rcu, wcu := calls.Capacity()
		got := calls.Reset()
		if !maps.Equal(got, want) {
			t.Errorf("%s: calls %v, want %v", name, got, want)
		}
		t.Logf("%s: %v, %.1f RCU, %.1f WCU", name, got, rcu, wcu)
	}
	for i, pack := range packs {
		cost(fmt.Sprintf("first pool key %d", i), map[string]int{"GetItem": 1, "Query": 1, "TransactWriteItems": 1}, func() error {
			_, err := uc.SoftwareKey(ctx, "ptn_keys", "usr_admin_ptn_keys", pack["server-os-datacenter"], now)
			return err
		})
	}
	cost("first redemption, takes a pool key", map[string]int{"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}, func() error {
		_, err := uc.Redeem(ctx, "ptn_keys", "usr_admin_ptn_keys", packs[0]["office-cloud-e3"], "contoso.example", license.AddSeats, now)
		return err
	})
	if _, err := uc.License(ctx, "ptn_keys", "usr_admin_ptn_keys", packs[1]["office-cloud-e3"], true, now); err != nil {
		t.Fatal(err)
	}
	cost("redemption of a key already taken, same tenant again", map[string]int{"BatchGetItem": 1, "TransactWriteItems": 1}, func() error {
		_, err := uc.Redeem(ctx, "ptn_keys", "usr_admin_ptn_keys", packs[1]["office-cloud-e3"], "contoso.example", license.AddSeats, now)
		return err
	})
	cost("redemption refused: already redeemed", map[string]int{"BatchGetItem": 1}, func() error {
		_, err := uc.Redeem(ctx, "ptn_keys", "usr_admin_ptn_keys", packs[1]["office-cloud-e3"], "contoso.example", license.AddSeats, now)
		if err == nil {
			return fmt.Errorf("redeemed twice")
		}
		return nil
	})
}

// A nearly dry pool costs more Queries: the shards found empty are walked
// (from a random one on) until one has a key, and an empty pool is known
// only after all 16.
func TestNearlyDryPoolWalksEmptyShards(t *testing.T) {
	s, calls, packs := keyCostFixture(t, 2)
	ctx := context.Background()
	if n, _, err := s.ImportKeys(ctx, "office-suite-pro", []string{"OSP-ONLY-ONE"}, now); err != nil || n != 1 {
		t.Fatalf("import: %d, %v", n, err)
	}
	uc := storetest.Keys(s)
	calls.Reset()
	if b, err := uc.SoftwareKey(ctx, "ptn_keys", "usr_admin_ptn_keys", packs[0]["office-suite-pro"], now); err != nil || b.Key != "OSP-ONLY-ONE" {
		t.Fatalf("last key: %q, %v", b.Key, err)
	}
	last := calls.Reset()
	if q := last["Query"]; q < 1 || q > 16 || last["GetItem"] != 1 || last["TransactWriteItems"] != 1 || len(last) != 3 {
		t.Fatalf("the pool's last key: %v", last)
	}
	if _, err := uc.SoftwareKey(ctx, "ptn_keys", "usr_admin_ptn_keys", packs[1]["office-suite-pro"], now); !errors.Is(err, license.ErrKeyPoolExhausted) {
		t.Fatalf("empty pool: %v", err)
	}
	empty := calls.Reset()
	if !maps.Equal(empty, map[string]int{"GetItem": 1, "Query": 16}) {
		t.Fatalf("empty pool: %v", empty)
	}
	t.Logf("the last key of a pool: %v; an empty pool: %v", last, empty)
}

// A pool imported before the shard counters (one product-wide counter,
// META) keeps working: an allocation from a shard without a counter counts
// that shard once and writes its counter in the allocation's transaction;
// the next import recounts every shard and removes META.
func TestPoolOfBeforeTheShardCountersIsCounted(t *testing.T) {
	s, calls, packs := keyCostFixture(t, 2)
	ctx := context.Background()
	const product = "server-os-datacenter" // 128 free keys
	if err := s.MakePoolLegacy(ctx, product, 128); err != nil {
		t.Fatal(err)
	}
	if free, taken, err := s.PoolLevels(ctx, product); err != nil || free != 0 || taken != 0 {
		t.Fatalf("legacy pool counted: %d, %d, %v", free, taken, err)
	}
	uc := storetest.Keys(s)
	calls.Reset()
	b, err := uc.SoftwareKey(ctx, "ptn_keys", "usr_admin_ptn_keys", packs[0][product], now)
	if err != nil {
		t.Fatal(err)
	}
	// The shard's Query, then its count.
	if got := calls.Reset(); !maps.Equal(got, map[string]int{"GetItem": 1, "Query": 2, "TransactWriteItems": 1}) {
		t.Fatalf("first key from an uncounted shard: %v", got)
	}
	var inShard int64 // the fixture's keys in the shard the key came from
	for i := range 16 * 8 {
		if store.ShardOf(fmt.Sprintf("%s-%05d", product, i)) == store.ShardOf(b.Key) {
			inShard++
		}
	}
	free, taken, err := s.PoolLevels(ctx, product)
	if err != nil || taken != 1 || free != inShard-1 {
		t.Fatalf("after one key: %d free, %d taken, %v; want the shard's %d, 1", free, taken, err, inShard-1)
	}
	if n, _, err := s.ImportKeys(ctx, product, []string{"SOD-NEW-1", "SOD-NEW-2"}, now); err != nil || n != 2 {
		t.Fatalf("import: %d, %v", n, err)
	}
	if free, taken, err := s.PoolLevels(ctx, product); err != nil || free != 129 || taken != 1 {
		t.Fatalf("after the import: %d free, %d taken, %v; want 129, 1", free, taken, err)
	}
	if legacy, err := s.HasPoolMeta(ctx, product); err != nil || legacy {
		t.Fatalf("META still there: %v, %v", legacy, err)
	}
}
