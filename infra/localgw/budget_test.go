package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Round-trip budgets: a write (POST, PUT, PATCH or DELETE, a partner's or
// the operator's) makes at most maxWriteTrips DynamoDB calls and a read at
// most maxReadTrips, so what a caller waits for and pays stays small. The
// cases are BenchmarkRoutes' (every route of the route table has one, so a
// new route is under budget the day it is added), each run budgetRuns
// times; docs/performance.md has the measured table.
const (
	maxWriteTrips = 3
	maxReadTrips  = 2
	budgetRuns    = 3
)

func TestRoundTripBudget(t *testing.T) {
	h := newHarness(t)
	f := newRouteFixture(h, budgetRuns)
	// The catalogue cache's refill (one GetItem per function instance
	// every 30 s) is not a request's cost: keep it warm for the run.
	h.svc.CatalogTTL = time.Hour
	for _, c := range f.cases() {
		if c.prep != nil {
			c.prep()
		}
		method, _, _ := strings.Cut(c.route, " ")
		budget := maxWriteTrips
		if method == http.MethodGet {
			budget = maxReadTrips
		}
		for i := range budgetRuns {
			h.calls.Reset()
			r := h.do(c.req(i))
			if r.Status != c.want {
				t.Fatalf("%s (%s) request %d: status %d, want %d: %.300s", c.route, c.note, i, r.Status, c.want, r.Body)
			}
			calls, total := h.calls.Reset(), 0
			for _, k := range calls {
				total += k
			}
			if total > budget {
				t.Errorf("%s (%s) request %d: %d DynamoDB calls %v, budget %d", c.route, c.note, i, total, calls, budget)
			}
		}
	}
}
