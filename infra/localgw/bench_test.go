package main

import (
	"fmt"
	"net/http"
	"testing"
)

// Benchmarks run the whole local path (HTTP → gateway → payload 2.0 event →
// handler → DynamoDB Local) and report DynamoDB round trips per request next
// to latency. Latency here is the emulator's, not DynamoDB's; the round-trip
// counts are what carries over to AWS. Run: make bench.

func reportCalls(b *testing.B, h *harness) {
	calls := h.calls.Reset()
	total := 0
	for op, n := range calls {
		b.ReportMetric(float64(n)/float64(b.N), op+"/op")
		total += n
	}
	b.ReportMetric(float64(total)/float64(b.N), "ddb-calls/op")
}

func BenchmarkDashboard(b *testing.B) {
	h := newHarness(b)
	_, _, admin := h.newPartner("Bench", "USD")
	for _, pkg := range []string{"gold-2026", "silver-2026", "action-pack-2026"} {
		h.buy(admin, pkg)
	}
	h.calls.Reset()
	b.ResetTimer()
	for b.Loop() {
		if r := h.get("/v1/benefits", admin); r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	reportCalls(b, h)
}

func BenchmarkCreatePurchase(b *testing.B) {
	h := newHarness(b)
	_, _, admin := h.newPartner("Bench", "USD")
	h.buy(admin, "gold-2026") // warm the catalogue cache as a warm Lambda has it
	h.calls.Reset()
	b.ResetTimer()
	for b.Loop() {
		h.buy(admin, "gold-2026")
	}
	reportCalls(b, h)
}

func BenchmarkCreatePurchaseIdempotent(b *testing.B) {
	h := newHarness(b)
	_, _, admin := h.newPartner("Bench", "USD")
	h.buy(admin, "gold-2026")
	h.calls.Reset()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		r := h.do(call{method: "POST", path: "/v1/purchases", token: admin, body: `{"packageId":"gold-2026"}`,
			headers: map[string]string{"Idempotency-Key": fmt.Sprintf("bench-%d", i)}})
		if r.Status != http.StatusCreated {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	reportCalls(b, h)
}

func BenchmarkCataloguePackages(b *testing.B) {
	h := newHarness(b)
	_, _, admin := h.newPartner("Bench", "USD")
	h.get("/v1/catalog/packages", admin)
	h.calls.Reset()
	b.ResetTimer()
	for b.Loop() {
		if r := h.get("/v1/catalog/packages", admin); r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	reportCalls(b, h)
}
