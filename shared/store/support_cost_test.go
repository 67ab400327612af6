package store_test

import (
	"context"
	"maps"
	"reflect"
	"testing"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/support"
)

// supportRoute is one support or advisory use case as its route runs it.
type supportRoute struct {
	name string
	run  func(ctx context.Context, s *store.Store, partnerID string, cat *catalog.Catalog) error
	// want is the exact calls of one request.
	want map[string]int
}

var supportRoutes = []supportRoute{
	{"POST /v1/support/activate (first)", func(ctx context.Context, s *store.Store, p string, _ *catalog.Catalog) error {
		_, _, err := storetest.Desk(s).Activate(ctx, p, "usr_admin_"+p, now)
		return err
	}, map[string]int{"Query": 2, "TransactWriteItems": 1}},
	{"POST /v1/support/activate (again)", func(ctx context.Context, s *store.Store, p string, _ *catalog.Catalog) error {
		_, _, err := storetest.Desk(s).Activate(ctx, p, "usr_admin_"+p, now)
		return err
	}, map[string]int{"Query": 2}},
	{"GET /v1/support", func(ctx context.Context, s *store.Store, p string, _ *catalog.Catalog) error {
		_, err := storetest.Desk(s).Get(ctx, p, now)
		return err
	}, map[string]int{"Query": 1}},
	{"POST /v1/support/incidents", func(ctx context.Context, s *store.Store, p string, cat *catalog.Catalog) error {
		_, err := storetest.Desk(s).OpenIncident(ctx, p, "usr_admin_"+p, support.Incident{Category: support.Azure, Product: "Tenant"}, cat, now)
		return err
	}, map[string]int{"Query": 2, "TransactWriteItems": 1}},
	{"POST /v1/advisory/requests", func(ctx context.Context, s *store.Store, p string, _ *catalog.Catalog) error {
		_, _, err := storetest.Hours(s).Request(ctx, p, "usr_admin_"+p, "Migration", 1, now)
		return err
	}, map[string]int{"Query": 2, "TransactWriteItems": 1}},
	{"GET /v1/advisory/requests", func(ctx context.Context, s *store.Store, p string, _ *catalog.Catalog) error {
		_, err := storetest.Hours(s).List(ctx, p, 20, "", now)
		return err
	}, map[string]int{"Query": 2}},
}

// The support and advisory routes read what their rules need (the lines
// that can still be drawn on, the contract, the partner's best plan), not
// the partner's whole dashboard collection: a partner with one live action
// pack and 39 expired ones costs what a partner with the one costs (calls
// and read units); one with 40 live ones makes the same calls, and reads
// more only for its live lines.
func TestSupportCostDoesNotGrowWithThePartner(t *testing.T) {
	s, calls := newStore(t)
	ctx := context.Background()
	cat := demoCatalog(t)
	buy := func(partnerID string, n int, expired bool) {
		t.Helper()
		for range n {
			at := now
			if expired {
				at = now.AddDate(-2, 0, 0)
			}
			p, lines, err := benefit.NewPurchase(partnerID, "USD", cat, "action-pack-2026", at, ids.New)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreatePurchase(ctx, p, lines); err != nil {
				t.Fatal(err)
			}
			if !expired {
				continue
			}
			// What the daily expiry job does to each line.
			for _, b := range lines {
				ev := audit.New(ids.New, partnerID, "system", audit.BenefitExpired, b.ID, now)
				if err := s.Expire(ctx, b, now, &ev); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	cost := func(partnerID string) (map[string]map[string]int, map[string]float64) {
		t.Helper()
		got, rcu := map[string]map[string]int{}, map[string]float64{}
		for _, r := range supportRoutes {
			calls.Reset()
			if err := r.run(ctx, s, partnerID, cat); err != nil {
				t.Fatalf("%s on %s: %v", r.name, partnerID, err)
			}
			rcu[r.name], _ = calls.Capacity()
			got[r.name] = calls.Reset()
		}
		return got, rcu
	}
	mustPartner(t, s, "ptn_small")
	buy("ptn_small", 1, false)
	mustPartner(t, s, "ptn_old")
	buy("ptn_old", 39, true)
	buy("ptn_old", 1, false)
	mustPartner(t, s, "ptn_large")
	buy("ptn_large", 40, false)

	small, smallRCU := cost("ptn_small")
	old, oldRCU := cost("ptn_old")
	large, largeRCU := cost("ptn_large")
	for _, r := range supportRoutes {
		t.Logf("%s: 1 pack %v %.1f RCU; 39 expired + 1 %v %.1f RCU; 40 live %v %.1f RCU", r.name,
			small[r.name], smallRCU[r.name], old[r.name], oldRCU[r.name], large[r.name], largeRCU[r.name])
		if !maps.Equal(small[r.name], r.want) || !maps.Equal(old[r.name], r.want) || !maps.Equal(large[r.name], r.want) {
			t.Errorf("%s: calls %v, %v, %v; want %v on each partner", r.name, small[r.name], old[r.name], large[r.name], r.want)
		}
		if smallRCU[r.name] != oldRCU[r.name] {
			t.Errorf("%s: %.1f RCU with 1 pack, %.1f with 39 expired ones more", r.name, smallRCU[r.name], oldRCU[r.name])
		}
	}
}

// A partner whose items were written before GSI2 is read through its
// dashboard collection once: that read moves its holdings into GSI2
// (each active purchase, each line that can be drawn on, the contract,
// then the profile's mark), and every later request costs what it costs
// on a partner created since, and reads the same holdings.
func TestSupportHoldingsWrittenBeforeTheIndexAreMovedIntoIt(t *testing.T) {
	s, calls := newStore(t)
	ctx := context.Background()
	cat := demoCatalog(t)
	const p = "ptn_before"
	mustPartner(t, s, p)
	var cancelled string
	for i := range 3 {
		pu, lines, err := benefit.NewPurchase(p, "USD", cat, []string{"action-pack-2026", "silver-2026", "gold-2026"}[i], now, ids.New)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePurchase(ctx, pu, lines); err != nil {
			t.Fatal(err)
		}
		cancelled = pu.ID
	}
	// The gold one is cancelled: its lines are revoked, and silver is the
	// best plan left.
	if _, err := storetest.Requests(s).Cancel(ctx, p, "usr_admin_"+p, cancelled, "", now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := storetest.Desk(s).Activate(ctx, p, "usr_admin_"+p, now); err != nil {
		t.Fatal(err)
	}
	read := func() support.Holdings {
		t.Helper()
		var h support.Holdings
		if err := s.UpdateSupport(ctx, p, func(read support.Holdings) (support.Change, error) {
			h = read
			return support.Change{}, nil
		}); err != nil {
			t.Fatal(err)
		}
		return h
	}
	indexed := read()
	if len(indexed.Purchases) != 1 || indexed.Purchases[0].Plan != catalog.Silver || len(indexed.Lines) != 4 || indexed.Activation == nil {
		t.Fatalf("indexed holdings: %+v", indexed)
	}
	if err := s.DropHoldingsIndex(ctx, p); err != nil {
		t.Fatal(err)
	}

	calls.Reset()
	if got := read(); !reflect.DeepEqual(got, indexed) {
		t.Fatalf("read through the dashboard: %+v, want %+v", got, indexed)
	}
	// The index Queries, the dashboard Query, and 2 active purchases + 4
	// lines + the contract + the profile moved into the index.
	if got := calls.Reset(); got["Query"] != 3 || got["UpdateItem"] != 8 {
		t.Fatalf("first read: %v", got)
	}
	if got := read(); !reflect.DeepEqual(got, indexed) {
		t.Fatalf("read from the index again: %+v, want %+v", got, indexed)
	}
	for _, r := range supportRoutes[1:] {
		calls.Reset()
		if err := r.run(ctx, s, p, cat); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if got := calls.Reset(); !maps.Equal(got, r.want) {
			t.Errorf("%s after the move: %v, want %v", r.name, got, r.want)
		}
	}
}
