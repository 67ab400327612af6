package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// keyed is a POST with an Idempotency-Key.
func keyed(path, token, body, key string) call {
	return call{method: "POST", path: path, token: token, body: body, headers: map[string]string{"Idempotency-Key": key}}
}

// purchaseCount is the number of purchases on the partner's dashboard.
func (h *harness) purchaseCount(token string) int {
	h.t.Helper()
	return len(h.get("/v1/benefits", token).json(h.t)["purchases"].([]any))
}

// TestPurchaseWithKeyRoundTrips: a purchase with an Idempotency-Key claims
// the key inside its commit transaction, so it costs the partner read, the
// transaction and the reply's UpdateItem; a replay is answered from the old
// record the cancelled transaction returns, without a write of its own.
func TestPurchaseWithKeyRoundTrips(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("CostKeyed", "USD")
	cases := []struct {
		name, key, body string
		status          int
		code            string
		replayed        bool
		want            map[string]int
	}{
		{"first", "k1", `{"packageId":"action-pack-2026"}`, 201, "", false, map[string]int{"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}},
		{"replay", "k1", `{"packageId":"action-pack-2026"}`, 201, "", true, map[string]int{"GetItem": 1, "TransactWriteItems": 1}},
		{"another body", "k1", `{"packageId":"gold-2026"}`, 422, "idempotency_key_reused", false, map[string]int{"GetItem": 1, "TransactWriteItems": 1}},
		// A refusal commits nothing; its reply is stored by one conditional put.
		{"refused", "k2", `{"packageId":"platinum"}`, 422, "package_not_found", false, map[string]int{"GetItem": 1, "PutItem": 1}},
		{"refusal replayed", "k2", `{"packageId":"platinum"}`, 422, "package_not_found", true, map[string]int{"GetItem": 1, "PutItem": 1}},
	}
	var first string
	for _, tc := range cases {
		h.calls.Reset()
		r := h.do(keyed("/v1/purchases", admin, tc.body, tc.key))
		got := h.calls.Reset()
		if tc.code != "" {
			r.problem(t, tc.status, tc.code)
		} else if r.Status != tc.status {
			t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
		}
		if (r.Header.Get("Idempotent-Replayed") == "true") != tc.replayed {
			t.Errorf("%s: Idempotent-Replayed %q, want %v", tc.name, r.Header.Get("Idempotent-Replayed"), tc.replayed)
		}
		switch tc.name {
		case "first":
			first = string(r.Body)
		case "replay":
			if string(r.Body) != first {
				t.Errorf("replay: body %s, want the first %s", r.Body, first)
			}
		}
		if !maps.Equal(got, tc.want) {
			t.Errorf("%s: calls %v, want %v", tc.name, got, tc.want)
		}
	}
	if n := h.purchaseCount(admin); n != 1 {
		t.Errorf("%d purchases, want 1", n)
	}
}

// TestConcurrentKeyedPurchasesClaimInCommit: identical purchases racing
// with one key make one purchase. The claim rides in the commit
// transaction (no PutItem), so the race is decided by the transactions
// themselves; every 201 is the one purchase.
func TestConcurrentKeyedPurchasesClaimInCommit(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("BurstKeyed", "EUR")
	h.calls.Reset()
	const n = 10
	replies := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = h.do(keyed("/v1/purchases", admin, `{"packageId":"silver-2026"}`, "burst-commit"))
		}()
	}
	wg.Wait()
	if got := h.calls.Reset(); got["PutItem"] != 0 || got["TransactWriteItems"] != n {
		t.Errorf("calls %v: want no PutItem and one transaction a request", got)
	}
	ids := map[string]bool{}
	for i, r := range replies {
		switch {
		case r.Status == 201:
			ids[r.json(t)["id"].(string)] = true
		case r.Status == 409 && r.json(t)["code"] == "idempotency_in_progress" && r.Header.Get("Retry-After") != "":
		default:
			t.Errorf("duplicate %d: %d %s", i, r.Status, r.Body)
		}
	}
	if len(ids) > 1 {
		t.Errorf("201s name %d purchases: %v", len(ids), ids)
	}
	if got := h.purchaseCount(admin); got != 1 {
		t.Fatalf("%d concurrent duplicates made %d purchases, want 1", n, got)
	}
	// Once done, every retry replays the one purchase.
	r := h.do(keyed("/v1/purchases", admin, `{"packageId":"silver-2026"}`, "burst-commit"))
	if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" || (len(ids) == 1 && !ids[r.json(t)["id"].(string)]) {
		t.Errorf("retry after the burst: %d %q %s", r.Status, r.Header.Get("Idempotent-Replayed"), r.Body)
	}
}

// TestCommittedPurchaseIsNeverRunAgain: when the reply could not be stored
// after the commit (the UpdateItem failed, as if the function died there),
// a retry with the same key must not buy again, not even once the lock
// has lapsed: the record was written with the purchase.
func TestCommittedPurchaseIsNeverRunAgain(t *testing.T) {
	var faults *testenv.Faults
	h := newHarnessWith(t, func(api store.API) store.API {
		faults = testenv.NewFaults(api, testenv.FaultConfig{Ops: []string{"UpdateItem"}, Every: true})
		faults.Enable(false)
		return faults
	})
	_, _, admin := h.newPartner("DiedAfterCommit", "USD")
	buy := keyed("/v1/purchases", admin, `{"packageId":"action-pack-2026"}`, "died")
	faults.Enable(true)
	first := h.do(buy)
	faults.Enable(false)
	if first.Status != 201 {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	for _, wait := range []time.Duration{0, 61 * time.Second, time.Hour} {
		h.clock.Set(h.clock.Now().Add(wait))
		h.do(buy).problem(t, http.StatusConflict, "idempotency_in_progress")
	}
	if n := h.purchaseCount(admin); n != 1 {
		t.Errorf("%d purchases after retries, want 1", n)
	}
}

// TestAmbiguousCommitOfKeyedPurchase: the commit transaction succeeds but
// its answer is lost (an InternalServerError or timeout after the write).
// The claim it carried tells that it committed, so the request answers
// 201 and a retry replays it rather than buying again.
func TestAmbiguousCommitOfKeyedPurchase(t *testing.T) {
	for _, kind := range testenv.AmbiguousFaults {
		t.Run(string(kind), func(t *testing.T) {
			var faults *testenv.Faults
			h := newHarnessWith(t, func(api store.API) store.API {
				faults = testenv.NewFaults(api, testenv.FaultConfig{Ops: []string{"TransactWriteItems"}, AfterRate: 1,
					AfterKinds: []testenv.FaultKind{kind}})
				faults.Enable(false)
				return faults
			})
			_, _, admin := h.newPartner("Ambiguous"+string(kind), "USD")
			buy := keyed("/v1/purchases", admin, `{"packageId":"action-pack-2026"}`, "lost-answer")
			faults.Enable(true)
			first := h.do(buy)
			faults.Enable(false)
			if first.Status != 201 {
				t.Fatalf("first: %d %s", first.Status, first.Body)
			}
			again := h.do(buy)
			if again.Status != 201 || again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
				t.Errorf("retry: %d %q %s", again.Status, again.Header.Get("Idempotent-Replayed"), again.Body)
			}
			if n := h.purchaseCount(admin); n != 1 {
				t.Errorf("%d purchases, want 1", n)
			}
			if st := faults.Stats(); st.After["TransactWriteItems"] != 1 {
				t.Errorf("faults %v: want one lost answer", st)
			}
		})
	}
}

// txLog records the service's transactions and counts its other calls.
type txLog struct {
	store.API
	mu    sync.Mutex
	txs   [][]types.TransactWriteItem
	calls map[string]int
}

func (l *txLog) count(op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[op]++
}

func (l *txLog) reset() ([][]types.TransactWriteItem, map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	txs, calls := l.txs, l.calls
	l.txs, l.calls = nil, map[string]int{}
	return txs, calls
}

func (l *txLog) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	l.mu.Lock()
	l.txs = append(l.txs, in.TransactItems)
	l.mu.Unlock()
	l.count("TransactWriteItems")
	return l.API.TransactWriteItems(ctx, in, o...)
}

func (l *txLog) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	l.count("PutItem")
	return l.API.PutItem(ctx, in, o...)
}

func (l *txLog) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	l.count("UpdateItem")
	return l.API.UpdateItem(ctx, in, o...)
}

func (l *txLog) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	l.count("DeleteItem")
	return l.API.DeleteItem(ctx, in, o...)
}

func (l *txLog) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	l.count("BatchWriteItem")
	return l.API.BatchWriteItem(ctx, in, o...)
}

// claimPut returns the transaction's Put of an idempotency record, if any.
func claimPut(tx []types.TransactWriteItem) map[string]types.AttributeValue {
	for _, w := range tx {
		if w.Put == nil {
			continue
		}
		if pk, ok := w.Put.Item["PK"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "IDEMPOTENCY#") {
			return w.Put.Item
		}
	}
	return nil
}

// TestClaimInCommitRoutes: every route marked in the route table as
// claiming its Idempotency-Key in its commit (routes.Route.ClaimsInCommit)
// is sent once with a key and must write everything in one
// TransactWriteItems that carries the claim, with no other write but the
// reply's UpdateItem; a retry then replays it. A route marked without a
// request here, or whose use case writes another way (so it would run
// unclaimed), fails.
func TestClaimInCommitRoutes(t *testing.T) {
	log := &txLog{calls: map[string]int{}}
	h := newHarnessWith(t, func(api store.API) store.API { log.API = api; return log })
	_, _, admin := h.newPartner("ClaimInCommit", "USD")
	op := h.operator()
	var demo map[string]any
	if err := json.Unmarshal(catalog.Demo, &demo); err != nil {
		t.Fatal(err)
	}
	demo["version"] = "claim-in-commit"
	doc, _ := json.Marshal(demo)
	requests := map[routes.ID]struct {
		token, body string
		status      int
	}{
		routes.CreatePurchase: {admin, `{"packageId":"action-pack-2026"}`, 201},
		routes.CreateUser:     {admin, `{"email":"claimed@claimincommit.example","displayName":"Claimed","roles":[]}`, 201},
		routes.CreatePartner:  {op, `{"name":"Claimed","currency":"USD","accountEmail":"admin@claimed.example"}`, 201},
		routes.PublishCatalog: {op, string(doc), 201},
	}
	marked := 0
	for _, r := range routes.All {
		if !r.ClaimsInCommit() {
			continue
		}
		marked++
		t.Run(string(r.ID), func(t *testing.T) {
			if r.Method != http.MethodPost || r.Access == routes.Public || strings.Contains(r.Path, "{") {
				t.Fatalf("%s: only a POST with a caller and no path parameter is marked here (add a request that fills the path)", r.Key())
			}
			req, ok := requests[r.ID]
			if !ok {
				t.Fatalf("%s claims in its commit but has no request in TestClaimInCommitRoutes", r.Key())
			}
			c := keyed(r.Path, req.token, req.body, "claim-"+string(r.ID))
			log.reset()
			first := h.do(c)
			txs, calls := log.reset()
			if first.Status != req.status {
				t.Fatalf("status %d, want %d: %.300s", first.Status, req.status, first.Body)
			}
			if len(txs) != 1 {
				t.Fatalf("%d transactions, want the one commit", len(txs))
			}
			item := claimPut(txs[0])
			if item == nil {
				t.Fatalf("the commit (%d items) carries no idempotency claim", len(txs[0]))
			}
			if st, _ := item["state"].(*types.AttributeValueMemberS); st == nil || st.Value != "committed" {
				t.Errorf("claim state %v, want committed", item["state"])
			}
			if want := map[string]int{"TransactWriteItems": 1, "UpdateItem": 1}; !maps.Equal(calls, want) {
				t.Errorf("writes %v, want %v (the commit, then the reply stored)", calls, want)
			}
			again := h.do(c)
			if again.Status != first.Status || again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
				t.Errorf("retry: %d %q %.300s", again.Status, again.Header.Get("Idempotent-Replayed"), again.Body)
			}
			if txs, calls := log.reset(); len(txs) > 1 || calls["PutItem"]+calls["UpdateItem"]+calls["DeleteItem"]+calls["BatchWriteItem"] != 0 {
				t.Errorf("the replay wrote: %d transactions, %v", len(txs), calls)
			}
		})
	}
	if marked == 0 {
		t.Error("no route claims in its commit: POST /v1/purchases should")
	}
}

// TestFailedCommitOfKeyedPurchaseLeavesNoRecord: a commit that failed
// before writing (throttled, a timeout on the way) is a 5xx that leaves
// no record to release, so the retry buys at once.
func TestFailedCommitOfKeyedPurchaseLeavesNoRecord(t *testing.T) {
	var faults *testenv.Faults
	h := newHarnessWith(t, func(api store.API) store.API {
		faults = testenv.NewFaults(api, testenv.FaultConfig{Ops: []string{"TransactWriteItems"}, Every: true,
			Kinds: []testenv.FaultKind{testenv.FaultThrottling}})
		faults.Enable(false)
		return faults
	})
	_, _, admin := h.newPartner("FailedCommit", "USD")
	buy := keyed("/v1/purchases", admin, `{"packageId":"action-pack-2026"}`, "failed")
	faults.Enable(true)
	h.calls.Reset()
	if r := h.do(buy); r.Status < 500 {
		t.Fatalf("throttled commit: %d %s", r.Status, r.Body)
	}
	// The throttled transaction never reached the counter under the faults.
	if got := h.calls.Reset(); !maps.Equal(got, map[string]int{"GetItem": 1}) {
		t.Errorf("calls of the failed request %v, want only the partner read", got)
	}
	faults.Enable(false)
	if r := h.do(buy); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry: %d %q %s", r.Status, r.Header.Get("Idempotent-Replayed"), r.Body)
	}
	if n := h.purchaseCount(admin); n != 1 {
		t.Errorf("%d purchases, want 1", n)
	}
}
