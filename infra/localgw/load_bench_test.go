package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/routes"
)

// BenchmarkLoad runs BENCH_LOAD_CLIENTS concurrent clients (default 32)
// against the in-process local gateway on 127.0.0.1 for BENCH_LOAD_DURATION
// (default 20s) or BENCH_LOAD_REQUESTS requests in all (default 100000),
// whichever comes first. Each request is a weighted random pick over every
// route of routes.All (mostly the dashboard and other reads), on the
// partners of the BenchmarkRoutes fixture. It prints per route the count,
// the 2xx, 4xx (business rules: seats run out, links are used, ...) and
// errors (5xx or no response), and latency p50/p99; then the totals and the
// throughput. It runs once whatever b.N is.
func BenchmarkLoad(b *testing.B) {
	clients := envInt(b, "BENCH_LOAD_CLIENTS", 32)
	maxRequests := int64(envInt(b, "BENCH_LOAD_REQUESTS", 100_000))
	duration := 20 * time.Second
	if v := os.Getenv("BENCH_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("BENCH_LOAD_DURATION=%q: want a positive duration such as 20s", v)
		}
		duration = d
	}

	h := newHarness(b)
	const pool = 20
	f := newRouteFixture(h, pool)
	ops := f.loadOps()

	covered := map[string]bool{}
	total := 0
	for _, o := range ops {
		covered[o.route] = true
		total += o.weight
	}
	for _, r := range routes.All {
		if !covered[r.Key()] {
			b.Fatalf("route %s has no load op", r.Key())
		}
	}

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients}}
	type sample struct {
		op     int
		status int // 0: no response
		lat    time.Duration
	}
	var sent, first atomic.Int64
	samples := make([][]sample, clients)
	h.calls.Reset()
	deadline := time.Now().Add(duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for time.Now().Before(deadline) && sent.Add(1) <= maxRequests {
				k := int(first.Add(1) - 1) // every route once first, then by weight
				if k >= len(ops) {
					pick := rng.IntN(total)
					k = 0
					for pick >= ops[k].weight {
						pick -= ops[k].weight
						k++
					}
				}
				c := ops[k].req(int(ops[k].count.Add(1) - 1))
				t0 := time.Now()
				status := send(client, h.url, c)
				samples[w] = append(samples[w], sample{op: k, status: status, lat: time.Since(t0)})
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	calls := h.calls.Reset()

	type agg struct {
		ok, client, errs int
		lat              []time.Duration
	}
	per := make([]agg, len(ops))
	var n, okN, clientN, errN int
	var all []time.Duration
	for _, s := range samples {
		for _, x := range s {
			a := &per[x.op]
			a.lat = append(a.lat, x.lat)
			all = append(all, x.lat)
			n++
			switch {
			case x.status >= 200 && x.status < 300:
				a.ok++
				okN++
			case x.status >= 400 && x.status < 500:
				a.client++
				clientN++
			default:
				a.errs++
				errN++
			}
		}
	}
	order := map[string]int{}
	for i, r := range routes.All {
		order[r.Key()] = i
	}
	idx := make([]int, len(ops))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return order[ops[idx[i]].route] < order[ops[idx[j]].route] })

	var w strings.Builder
	fmt.Fprintf(&w, "\nLoad: %d clients, %s (limit %s or %d requests), 127.0.0.1, DynamoDB Local\n\n", clients,
		elapsed.Round(10*time.Millisecond), duration, maxRequests)
	w.WriteString("| route | request | weight % | requests | 2xx | 4xx | 5xx/err | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, i := range idx {
		o, a := ops[i], per[i]
		fmt.Fprintf(&w, "| `%s` | %s | %s | %d | %d | %d | %d | %s | %s |\n", o.route, o.note,
			strconv.FormatFloat(100*float64(o.weight)/float64(total), 'f', 1, 64), len(a.lat), a.ok, a.client, a.errs,
			ms(percentile(a.lat, 50)), ms(percentile(a.lat, 99)))
	}
	sumCalls := 0
	var callList []string
	for op, k := range calls {
		sumCalls += k
		callList = append(callList, fmt.Sprintf("%s %d", op, k))
	}
	slices.Sort(callList)
	fmt.Fprintf(&w, "| **all** | | 100 | %d | %d | %d | %d | %s | %s |\n\n", n, okN, clientN, errN, ms(percentile(all, 50)), ms(percentile(all, 99)))
	fmt.Fprintf(&w, "Total %d requests in %s: %.1f requests/s; %d errors (5xx or no response), %d 4xx.\n", n,
		elapsed.Round(10*time.Millisecond), float64(n)/elapsed.Seconds(), errN, clientN)
	if n > 0 {
		fmt.Fprintf(&w, "DynamoDB round trips: %d (%.2f per request): %s\n", sumCalls, float64(sumCalls)/float64(n), strings.Join(callList, ", "))
	}
	fmt.Fprint(os.Stdout, w.String())
	if n > 0 {
		b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(errN), "errors")
	}
}

// send makes one request and returns its status, 0 when there was no response.
func send(client *http.Client, base string, c call) int {
	status, _, _ := sendFull(client, base, c)
	return status
}

type loadOp struct {
	route, note string
	weight      int
	req         func(i int) call // i counts this op's requests from 0
	count       atomic.Int64
}

// loadOps are the weighted requests of BenchmarkLoad. The line-changing
// ones cycle over the fixture's fresh lines, so after the first round they
// meet the business rules (seat limits, used links, cancelled purchases):
// those 4xx are expected and counted apart from errors.
func (f *routeFixture) loadOps() []*loadOp {
	h, t, n := f.h, f.h.t, f.n
	// Offers activated and their links read, half the cancel pool
	// cancelled so the operator has service requests to resolve.
	for _, offer := range f.gtmOffers {
		if r := h.post("/v1/gtm/offers/"+offer+"/activate", f.gtmAdmin, ""); r.Status != http.StatusOK {
			t.Fatalf("activate: %d %s", r.Status, r.Body)
		}
	}
	f.gtmTokens = f.drainTokens()
	for _, p := range f.toCancel[:n/2] {
		r := h.post("/v1/purchases/"+p+"/cancel", f.work, `{"reason":"setup"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		f.serviceRequests = append(f.serviceRequests, r.json(t)["serviceRequestId"].(string))
	}
	later := f.toCancel[n/2:]

	byNote := map[string]routeCase{}
	for _, c := range f.cases() {
		byNote[c.route+"|"+c.note] = c
	}
	from := func(route, note string, weight int) *loadOp {
		c, ok := byNote[route+"|"+note]
		if !ok {
			t.Fatalf("no route case %s (%s)", route, note)
		}
		return &loadOp{route: route, note: note, weight: weight, req: c.req}
	}
	wrap := func(op *loadOp, mod int) *loadOp { // cycle over the fixture's n fresh items
		req := op.req
		op.req = func(i int) call { return req(i % mod) }
		return op
	}
	var version atomic.Int64
	return append([]*loadOp{
		from("GET /v1/benefits", "gold + silver + action pack (~45 lines), admin", 250),
		from("GET /v1/benefits", "same, a member", 100),
		from("GET /v1/catalog/packages", "partner admin", 80),
		from("GET /v1/purchases/{id}", "gold", 40),
		from("GET /v1/users", "21 users", 40),
		from("POST /v1/software/{benefitId}/key", "repeat (key already taken)", 40),
		from("GET /v1/software/{benefitId}/downloads", "options", 30),
		from("GET /v1/software/signing-key", "public", 20),
		from("GET /v1/credits/{benefitId}/ledger", "annual credit", 30),
		from("GET /v1/licenses/{benefitId}", "key already taken", 30),
		from("GET /v1/visual-studio/{benefitId}/assignments", "2 holders", 30),
		from("GET /v1/audit", "first page", 30),
		from("GET /v1/support", "", 30),
		from("GET /v1/advisory/requests", "3 requests", 30),
		from("GET /v1/support/incidents", "first page", 10),
		from("GET /v1/gtm/marketing-contact", "", 20),
		from("GET /v1/admin/catalog", "demo catalogue", 5),
		from("GET /v1/admin/service-requests", "pending, first page", 5),

		from("POST /v1/purchases", "action pack, with Idempotency-Key", 20),
		from("POST /v1/users", "new user", 15),
		wrap(from("POST /v1/software/{benefitId}/key", "first (takes a pool key)", 10), n),
		wrap(from("POST /v1/credits/{benefitId}/users", "monthly credit, free seat", 10), n),
		wrap(from("DELETE /v1/credits/{benefitId}/users/{userId}", "monthly credit holder", 10), n),
		from("POST /v1/credits/{benefitId}/transfer", "annual credit, back and forth", 5),
		wrap(from("POST /v1/licenses/{benefitId}/redeem", "first redemption (takes a pool key)", 5), n),
		wrap(from("POST /v1/visual-studio/{benefitId}/assignments", "free seat", 10), n),
		wrap(from("POST /v1/visual-studio/{benefitId}/assignments:bulk", "2 rows", 5), n),
		wrap(from("DELETE /v1/visual-studio/{benefitId}/assignments/{userId}", "a holder", 10), n),
		from("POST /v1/support/activate", "already activated", 5),
		from("POST /v1/support/incidents", "on-premises", 5),
		from("POST /v1/advisory/requests", "1 hour", 5),
		from("PUT /v1/gtm/marketing-contact", "same contact again", 5),
		wrap(from("POST /v1/gtm/offers/{benefitId}/activate", "first activation (link mail queued)", 5), n),
		{route: "GET /v1/gtm/confirm", note: "a link's page", weight: 5, req: func(i int) call {
			return call{method: "GET", path: "/v1/gtm/confirm?token=" + f.gtmTokens[i%len(f.gtmTokens)]}
		}},
		wrap(from("POST /v1/gtm/confirm", "confirm a pending link", 5), len(f.gtmTokens)),
		{route: "POST /v1/purchases/{id}/cancel", note: "action pack within 30 days", weight: 5, req: func(i int) call {
			return call{method: "POST", path: "/v1/purchases/" + later[i%len(later)] + "/cancel", token: f.work, body: `{"reason":"Wrong plan"}`}
		}},
		wrap(from("POST /v1/admin/service-requests/{id}/resolve", "complete", 5), len(f.serviceRequests)),
		from("POST /v1/admin/partners", "new partner", 3),
		from("GET /v1/users", "search q=r1, 21 users", 5),
		from("GET /v1/users/{id}", "", 5),
		wrap(from("PATCH /v1/users/{id}", "rename", 5), n),
		wrap(from("DELETE /v1/users/{id}", "a plain user", 3), n),
		{route: "POST /v1/admin/key-pools/{product}", note: "20 keys (CSV)", weight: 3, req: func(i int) call {
			var body bytes.Buffer
			for k := range 20 {
				fmt.Fprintf(&body, "LOAD-%06d-%02d-ABCDE\n", i, k)
			}
			return call{method: "POST", path: "/v1/admin/key-pools/bi-pro", token: f.op, body: body.String(), headers: map[string]string{"Content-Type": "text/csv"}}
		}},
		{route: "POST /v1/admin/catalog", note: "demo catalogue, new version", weight: 1, req: func(int) call {
			return byNote["POST /v1/admin/catalog|demo catalogue, new version"].req(int(1_000_000 + version.Add(1)))
		}},
	}, f.adminRequestLoadOps()...)
}
