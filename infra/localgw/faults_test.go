package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// retried sends c until it gets an answer that is not a 5xx or a 409
// idempotency_in_progress (for which it moves the clock past the key's
// lock), as a client retrying with the same Idempotency-Key would.
func (h *harness) retried(c call, key string) (r reply, attempts, serverErrors int) {
	h.t.Helper()
	if key != "" {
		c.headers = map[string]string{"Idempotency-Key": key}
	}
	for attempts = 1; attempts <= 30; attempts++ {
		r = h.do(c)
		switch {
		case r.Status >= 500:
			serverErrors++
			continue
		case r.Status == http.StatusConflict && r.json(h.t)["code"] == "idempotency_in_progress":
			h.clock.Set(h.clock.Now().Add(61 * time.Second))
			continue
		}
		return r, attempts, serverErrors
	}
	h.t.Fatalf("%s %s: no answer after 30 attempts: %d %s", c.method, c.path, r.Status, r.Body)
	return
}

// TestRetriesUnderDynamoDBFaultsLeaveNothingHalfWritten drives purchases,
// seat assigns and removes and a cancellation through the gateway while
// 20% of the service's writes fail before reaching DynamoDB and 10% after
// (ambiguous), retrying each with one Idempotency-Key, then checks with
// clean reads that every change is whole and happened once, with its audit
// event.
func TestRetriesUnderDynamoDBFaultsLeaveNothingHalfWritten(t *testing.T) {
	start := time.Now()
	var faults *testenv.Faults
	h := newHarnessWith(t, func(api store.API) store.API {
		faults = testenv.NewFaults(api, testenv.FaultConfig{Seed: 42, Rate: 0.2, AfterRate: 0.1})
		faults.Enable(false)
		return faults
	})
	h.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	_, _, admin := h.newPartner(fmt.Sprintf("Faulty%d", time.Now().UnixNano()), "USD")
	users := h.users(admin, "faulty.example", 4)
	faults.Enable(true)

	ops, tries, fivexx := 0, 0, 0
	send := func(c call, key string) reply {
		t.Helper()
		r, n, e := h.retried(c, key)
		ops++
		tries += n
		fivexx += e
		return r
	}
	const purchases = 4
	var bought []map[string]any
	for i := range purchases {
		r := send(call{method: "POST", path: "/v1/purchases", token: admin, body: `{"packageId":"action-pack-2026"}`}, fmt.Sprintf("buy-%d", i))
		if r.Status != http.StatusCreated {
			t.Fatalf("buy %d: %d %s", i, r.Status, r.Body)
		}
		bought = append(bought, r.json(t))
	}
	lines := len(bought[0]["benefits"].([]any))
	assigns, removes := 0, 0
	for i, p := range bought {
		monthly := creditLine(t, p, "credit-monthly", 0)
		for j, u := range users {
			r := send(call{method: "POST", path: "/v1/credits/" + monthly + "/users", token: admin, body: `{"userId":"` + u + `"}`},
				fmt.Sprintf("assign-%d-%d", i, j))
			// 200: a retry after an ambiguous success finds the seat taken.
			if r.Status != http.StatusCreated && r.Status != http.StatusOK {
				t.Fatalf("assign: %d %s", r.Status, r.Body)
			}
			assigns++
		}
		// DELETE takes no Idempotency-Key: a retry after an ambiguous
		// success answers 404, the seat being free already.
		r := send(call{method: "DELETE", path: "/v1/credits/" + monthly + "/users/" + users[0], token: admin}, "")
		if r.Status != http.StatusNoContent && r.Status != http.StatusNotFound {
			t.Fatalf("remove: %d %s", r.Status, r.Body)
		}
		removes++
	}
	cancelled := bought[purchases-1]["id"].(string)
	if r := send(call{method: "POST", path: "/v1/purchases/" + cancelled + "/cancel", token: admin,
		body: `{"reason":"fault test"}`}, "cancel"); r.Status >= 300 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	faults.Enable(false)
	st := faults.Stats()
	t.Logf("%d operations, %d attempts, %d 5xx answers retried; faults: %v", ops, tries, fivexx, st)

	// Clean reads from here on.
	violations := 0
	fail := func(format string, args ...any) { t.Helper(); violations++; t.Errorf(format, args...) }
	byPurchase := map[string][]map[string]any{}
	for _, b := range h.get("/v1/benefits", admin).json(t)["benefits"].([]any) {
		m := b.(map[string]any)
		byPurchase[m["purchaseId"].(string)] = append(byPurchase[m["purchaseId"].(string)], m)
	}
	if len(byPurchase) != purchases {
		fail("%d purchases, want %d (one per Idempotency-Key)", len(byPurchase), purchases)
	}
	for _, p := range bought {
		id := p["id"].(string)
		ls := byPurchase[id]
		if len(ls) != lines {
			fail("purchase %s has %d of its %d lines", id, len(ls), lines)
		}
		for _, l := range ls {
			if (l["status"] == "revoked") != (id == cancelled) {
				fail("purchase %s (cancelled %v): line %s is %v", id, id == cancelled, l["id"], l["status"])
			}
		}
		if id == cancelled {
			continue
		}
		line := h.dashboardLine(admin, creditLine(t, p, "credit-monthly", 0))
		used, holders := line["used"].(float64), len(line["holders"].([]any))
		if int(used) != holders || holders != len(users)-1 || used > line["quantity"].(float64) {
			fail("credit %s: used %v holders %d quantity %v, want %d", line["id"], used, holders, line["quantity"], len(users)-1)
		}
	}
	counts := map[string]int{}
	for cursor, first := "", true; first || cursor != ""; first = false {
		q := "?limit=100"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		actions, _, next := h.auditActions(admin, q)
		for _, a := range actions {
			counts[a]++
		}
		cursor = next
	}
	want := map[string]int{"credit.assigned": assigns, "credit.removed": removes, "purchase.cancelled": 1}
	for a, n := range want {
		if counts[a] != n {
			fail("%d %s events, want %d (all events: %v)", counts[a], a, n, counts)
		}
	}
	t.Logf("checked %d purchases x %d lines, %d assigns, %d removes, 1 cancel, audit %v; violations %d; %v",
		purchases, lines, assigns, removes, counts, violations, time.Since(start).Round(time.Millisecond))
}
