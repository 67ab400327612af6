package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/partner"
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

// BenchmarkGetKeyRepeat is the common case: the line already has its key.
func BenchmarkGetKeyRepeat(b *testing.B) {
	h := newHarness(b)
	h.importKeys("office-suite-pro", "BENCH-REPEAT-1")
	_, _, admin := h.newPartner("Bench", "USD")
	id := lineOf(b, h.buy(admin, "gold-2026"), "office-suite-pro")
	h.post("/v1/software/"+id+"/key", admin, "")
	h.calls.Reset()
	b.ResetTimer()
	for b.Loop() {
		if r := h.post("/v1/software/"+id+"/key", admin, ""); r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	reportCalls(b, h)
}

// BenchmarkGetKeyFirst allocates a pool key to a new line each iteration.
func BenchmarkGetKeyFirst(b *testing.B) {
	h := newHarness(b)
	_, _, admin := h.newPartner("Bench", "USD")
	var ids []string
	for range b.N {
		ids = append(ids, lineOf(b, h.buy(admin, "action-pack-2026"), "office-suite-pro"))
	}
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = fmt.Sprintf("BENCH-FIRST-%07d", i)
	}
	h.importKeys("office-suite-pro", keys...)
	h.calls.Reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ { // b.N lines were prepared above, so not b.Loop
		if r := h.post("/v1/software/"+ids[i]+"/key", admin, ""); r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	reportCalls(b, h)
}

// BenchmarkImport100kKeys streams 100,000 keys (2.9 MB of CSV) in one request.
func BenchmarkImport100kKeys(b *testing.B) {
	h := newHarness(b)
	var body strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&body, "IMPORT-%06d-ABCDE-FGHIJ\n", i)
	}
	b.ResetTimer()
	for b.Loop() {
		r := h.do(call{method: "POST", path: "/v1/admin/key-pools/bi-pro", token: h.operator(), body: body.String(),
			headers: map[string]string{"Content-Type": "text/csv"}})
		if r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	reportCalls(b, h)
}

// BenchmarkVisualStudioBulk50 assigns 50 users (the most one request
// takes) to a 50-seat Visual Studio line in one bulk request (JSON rows):
// one op is one request.
func BenchmarkVisualStudioBulk50(b *testing.B) {
	const rows = 50
	h := newHarness(b)
	ctx := context.Background()
	// A catalogue with a package of that many seats, published before the first
	// request so no function has the demo catalogue cached.
	var doc map[string]any
	if err := json.Unmarshal(catalog.Demo, &doc); err != nil {
		b.Fatal(err)
	}
	doc["version"] = fmt.Sprintf("bench-vs-%d", rows)
	doc["packages"] = append(doc["packages"].([]any), map[string]any{
		"id": "vs-bulk-bench", "plan": "gold", "name": "VS bulk bench", "price": map[string]any{"USD": 0, "EUR": 0, "JPY": 0, "GBP": 0},
		"benefits": []any{map[string]any{"kind": "visual-studio", "product": "vs-enterprise", "quantity": rows, "benefitType": "core"}},
	})
	raw, _ := json.Marshal(doc)
	cat, err := catalog.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	if err := h.svc.Store.PublishCatalog(ctx, cat, raw, "bench", h.clock.Now()); err != nil {
		b.Fatal(err)
	}
	pid, _, admin := h.newPartner("BulkBench", "USD")
	var body strings.Builder
	body.WriteString(`{"assignments":[`)
	for i := range rows {
		u, err := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_bench%04d", i), PartnerID: pid, Email: fmt.Sprintf("dev%d@bulk.example", i), DisplayName: "Dev", CreatedAt: h.clock.Now()})
		if err != nil {
			b.Fatal(err)
		}
		if err := h.svc.Store.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			body.WriteString(",")
		}
		body.WriteString(`{"userId":"` + u.ID + `"}`)
	}
	body.WriteString("]}")
	total := map[string]int{}
	for b.Loop() {
		b.StopTimer()
		line := lineOf(b, h.buy(admin, "vs-bulk-bench"), "vs-enterprise")
		h.calls.Reset()
		b.StartTimer()
		r := h.post("/v1/visual-studio/"+line+"/assignments:bulk", admin, body.String())
		b.StopTimer()
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), fmt.Sprintf(`"assigned":%d`, rows)) {
			b.Fatalf("%d %.300s", r.Status, r.Body)
		}
		for op, n := range h.calls.Reset() {
			total[op] += n
		}
		b.StartTimer()
	}
	sum := 0
	for op, n := range total {
		b.ReportMetric(float64(n)/float64(b.N), op+"/op")
		sum += n
	}
	b.ReportMetric(float64(sum)/float64(b.N), "ddb-calls/op")
}
