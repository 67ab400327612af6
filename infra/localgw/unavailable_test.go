package main

import (
	"net/http"
	"testing"

	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// TestThrottledTableIs503OnEveryRoute calls every route of routes.All, as a
// caller allowed to, while every DynamoDB call fails with one of the errors
// a throttled or briefly failing table returns (after the SDK's own
// retries). Each answer must be 503 service_unavailable with Retry-After —
// the client may retry, nothing was written — never a 500, which would read
// as a bug and page someone. A route that makes no DynamoDB call answers as
// usual.
func TestThrottledTableIs503OnEveryRoute(t *testing.T) {
	var faults *testenv.Faults
	h := newHarnessWith(t, func(api store.API) store.API {
		faults = testenv.NewFaults(api, testenv.FaultConfig{Seed: 7, Every: true,
			Ops:   []string{"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "TransactWriteItems", "BatchWriteItem", "BatchGetItem"},
			Kinds: []testenv.FaultKind{testenv.FaultThroughput, testenv.FaultThrottling, testenv.FaultInternal}})
		faults.Enable(false)
		return faults
	})
	f := authzFixtureOn(t, h)
	admin := f.a.tokens["global-admin"]
	// The catalogue cache would answer some routes without a call: start cold.
	h.svc.CatalogTTL = 0
	faults.Enable(true)
	checks, unavailable := 0, 0
	for i, rt := range routes.All {
		tok := admin
		if rt.Access == routes.Operator {
			tok = f.opTok
		}
		before := faults.Stats().Injected()
		r := h.do(f.request(rt, f.a, 5000+i, tok))
		checks++
		injected := faults.Stats().Injected() > before
		switch {
		case injected:
			unavailable++
			if !problemIs(r, http.StatusServiceUnavailable, "service_unavailable") || r.Header.Get("Retry-After") == "" {
				t.Errorf("%s on a throttled table: %d %s (Retry-After %q), want 503 service_unavailable with Retry-After",
					rt.Key(), r.Status, r.Body, r.Header.Get("Retry-After"))
			}
		case r.Status >= 500:
			t.Errorf("%s made no DynamoDB call and answered %d %s", rt.Key(), r.Status, r.Body)
		}
	}
	if unavailable < len(routes.All)/2 {
		t.Errorf("only %d of %d routes reached DynamoDB: the faults were not injected", unavailable, checks)
	}
	t.Logf("%d routes, %d reached the throttled table and answered 503; faults %v", checks, unavailable, faults.Stats())
}

// TestThrottledTransactionsAre503OnEveryRoute: every route again, with only
// transactions throttled, as AWS cancels them (TransactionCanceledException
// with ThrottlingError, which the SDK does not retry) while the reads go
// through: a route that commits must answer 503 with Retry-After, never
// "busy" (a throttle read as a lost race), a refusal, or a 500.
func TestThrottledTransactionsAre503OnEveryRoute(t *testing.T) {
	var faults *testenv.Faults
	h := newHarnessWith(t, func(api store.API) store.API {
		faults = testenv.NewFaults(api, testenv.FaultConfig{Seed: 7, Every: true,
			Ops: []string{"TransactWriteItems"}, Kinds: []testenv.FaultKind{testenv.FaultThroughput}})
		faults.Enable(false)
		return faults
	})
	f := authzFixtureOn(t, h)
	admin := f.a.tokens["global-admin"]
	faults.Enable(true)
	committed := 0
	for i, rt := range routes.All {
		tok := admin
		if rt.Access == routes.Operator {
			tok = f.opTok
		}
		before := faults.Stats().Injected()
		r := h.do(f.request(rt, f.a, 6000+i, tok))
		if faults.Stats().Injected() == before {
			continue // no transaction on this request's path
		}
		committed++
		if !problemIs(r, http.StatusServiceUnavailable, "service_unavailable") || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s with throttled transactions: %d %.300s, want 503 service_unavailable with Retry-After", rt.Key(), r.Status, r.Body)
		}
	}
	if committed < 10 {
		t.Errorf("only %d routes reached a transaction: the faults were not injected", committed)
	}
	t.Logf("%d routes reached a throttled transaction and answered 503; faults %v", committed, faults.Stats())
}
