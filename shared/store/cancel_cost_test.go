package store_test

import (
	"context"
	"maps"
	"testing"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store/storetest"
)

// A cancellation reads its purchase by key, so what it costs (round trips
// by operation, read units) is the same on a partner with one package as
// on one with 40: a GetItem of the purchase, a BatchGetItem of its lines,
// credit states and partner, and the transaction; the release is the
// job's. A purchase written before its item listed its lines is still read
// (through the dashboard collection) and cancelled.
func TestCancelCostDoesNotGrowWithThePartner(t *testing.T) {
	s, calls := newStore(t)
	ctx := context.Background()
	cat, err := catalog.Parse(catalog.Demo)
	if err != nil {
		t.Fatal(err)
	}
	buy := func(partnerID string) string {
		p, lines, err := benefit.NewPurchase(partnerID, "USD", cat, "action-pack-2026", now, ids.New)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePurchase(ctx, p, lines); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	cost := func(partnerID, purchaseID string) (map[string]int, float64) {
		t.Helper()
		calls.Reset()
		if _, err := storetest.Requests(s).Cancel(ctx, partnerID, "usr_admin_"+partnerID, purchaseID, "", now); err != nil {
			t.Fatal(err)
		}
		rcu, _ := calls.Capacity()
		return calls.Reset(), rcu
	}
	mustPartner(t, s, "ptn_small")
	small, smallRCU := cost("ptn_small", buy("ptn_small"))
	mustPartner(t, s, "ptn_large")
	var last string
	for range 40 {
		last = buy("ptn_large")
	}
	large, largeRCU := cost("ptn_large", last)
	if !maps.Equal(small, large) || smallRCU != largeRCU {
		t.Fatalf("1 package: %v, %.1f RCU; 40 packages: %v, %.1f RCU", small, smallRCU, large, largeRCU)
	}
	if want := map[string]int{"GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}; !maps.Equal(large, want) {
		t.Fatalf("calls %v, want %v", large, want)
	}
	t.Logf("cancel of an action pack: %v, %.1f RCU", large, largeRCU)

	old := buy("ptn_large")
	if err := s.DropLineIDs(ctx, "ptn_large", old); err != nil {
		t.Fatal(err)
	}
	if calls, _ := cost("ptn_large", old); calls["BatchGetItem"] != 0 || calls["Query"] != 1 {
		t.Fatalf("the old purchase was not read through the dashboard: %v", calls)
	}
	// The job releases all three (the old purchase read through the
	// dashboard again).
	if n, err := s.FinishCancellations(ctx, now); err != nil || n != 3 {
		t.Fatalf("released %d, %v", n, err)
	}
}
