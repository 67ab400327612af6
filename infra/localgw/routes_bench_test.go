package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/store"
)

// BenchmarkRoutes sends N requests (BENCH_ROUTES_N, default 100) to every
// route of routes.All, one at a time, through the local gateway over
// DynamoDB Local, and prints a table: DynamoDB round trips per request by
// operation (the counter is reset around each request) and latency p50/p99
// as the client sees it. State each request needs (fresh lines, seats,
// keys, confirmation tokens, pending service requests) is prepared before
// that route's requests and is not timed. Latency is the emulator's on this
// machine; the round-trip counts are what carries over to AWS.
//
// It runs once whatever b.N is: go test -run '^$' -bench Routes ./infra/localgw
// (with the local stack: go run ./infra/withstack -- ...), or make bench.
func BenchmarkRoutes(b *testing.B) {
	n := envInt(b, "BENCH_ROUTES_N", 100)
	h := newHarness(b)
	f := newRouteFixture(h, n)
	cases := f.cases()

	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.route] = true
	}
	for _, r := range routes.All {
		if !covered[r.Key()] {
			b.Fatalf("route %s has no case in BenchmarkRoutes", r.Key())
		}
	}

	var results []routeResult
	for _, c := range cases {
		if c.prep != nil {
			c.prep()
		}
		res := routeResult{route: c.route, note: c.note, calls: map[string]int{}}
		for i := range n {
			req := c.req(i)
			h.calls.Reset()
			start := time.Now()
			r := h.do(req)
			res.lat = append(res.lat, time.Since(start))
			rcu, wcu := h.calls.Capacity()
			res.rcu, res.wcu = res.rcu+rcu, res.wcu+wcu
			for op, k := range h.calls.Reset() {
				res.calls[op] += k
			}
			if r.Status != c.want {
				b.Fatalf("%s (%s) request %d: status %d, want %d: %.400s", c.route, c.note, i, r.Status, c.want, r.Body)
			}
		}
		res.n = n
		results = append(results, res)
	}
	// Table in routes.All order, variants of a route together.
	order := map[string]int{}
	for i, r := range routes.All {
		order[r.Key()] = i
	}
	sort.SliceStable(results, func(i, j int) bool { return order[results[i].route] < order[results[j].route] })
	printRouteTable(results)
}

type routeCase struct {
	route string // routes.Route.Key()
	note  string // what the request does
	prep  func() // untimed, before the first request
	req   func(i int) call
	want  int
}

type routeResult struct {
	route, note string
	n           int
	calls       map[string]int
	rcu, wcu    float64 // capacity units consumed, summed over the n requests
	lat         []time.Duration
}

// percentile is the nearest-rank percentile of durations.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) }

func printRouteTable(results []routeResult) {
	var w strings.Builder
	fmt.Fprintf(&w, "\nPer-route DynamoDB round trips and latency (%d requests each, sequential, DynamoDB Local)\n\n", results[0].n)
	w.WriteString("| route | request | DynamoDB calls/request by operation | total | RCU | WCU | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		ops := make([]string, 0, len(r.calls))
		total := 0
		for op, k := range r.calls {
			ops = append(ops, op+" "+strconv.FormatFloat(float64(k)/float64(r.n), 'g', 3, 64))
			total += k
		}
		slices.Sort(ops)
		if len(ops) == 0 {
			ops = []string{"none"}
		}
		per := func(v float64) string { return strconv.FormatFloat(v/float64(r.n), 'g', 3, 64) }
		fmt.Fprintf(&w, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", r.route, r.note, strings.Join(ops, ", "),
			per(float64(total)), per(r.rcu), per(r.wcu), ms(percentile(r.lat, 50)), ms(percentile(r.lat, 99)))
	}
	fmt.Fprint(os.Stdout, w.String())
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// routeFixture holds the partners, lines and users the route cases use.
type routeFixture struct {
	h  *harness
	n  int
	op string

	// reader: a partner with one gold, one silver and one action pack,
	// a few users, assignments and requests: the dashboard-sized partner
	// every read uses.
	readerID, reader, member string
	gold                     map[string]any
	readerUsers              []string
	annualFrom, annualTo     string // the two users an annual credit moves between
	annual                   string

	// work: N fresh action packs (one per request of the line-changing
	// routes) and N more to cancel.
	workID, work string
	packs        []map[string]any
	toCancel     []string
	workUsers    []string // 3 per pack
	goneUsers    []string // 1 per request of DELETE /v1/users/{id}: plain users

	hoursAdmin string // N/5 action packs: enough support incidents and advisory hours

	gtmAdmin  string
	gtmOffers []string
	gtmTokens []string

	buyer string // POST /v1/purchases

	serviceRequests []string
}

func newRouteFixture(h *harness, n int) *routeFixture {
	t := h.t
	t.Helper()
	f := &routeFixture{h: h, n: n, op: h.operator()}
	ctx := context.Background()
	keys := func(prefix string, k int) []string {
		out := make([]string, k)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%06d-ABCDE", prefix, i)
		}
		return out
	}
	// Sixteen times what the rows take, so no pool shard runs dry during
	// the run: the rows show a pool's steady state (a nearly dry pool walks
	// its empty shards, see docs/performance.md).
	h.importKeys("office-suite-pro", keys("OSP", 16*(n+10))...)
	h.importKeys("office-cloud-e3", keys("OCE", 16*(n+10))...)
	h.importKeys("server-os-datacenter", keys("SOD", 10)...)

	var readerAdminID string
	f.readerID, readerAdminID, f.reader = h.newPartner("Reader", "USD")
	f.gold = h.buy(f.reader, "gold-2026")
	h.buy(f.reader, "silver-2026")
	pack := h.buy(f.reader, "action-pack-2026")
	for i := range 20 {
		f.readerUsers = append(f.readerUsers, h.addUser(f.reader, fmt.Sprintf("r%02d@reader.example", i)))
	}
	f.member = h.token(f.readerID, f.readerUsers[0])
	_ = readerAdminID
	// Seats held, a key taken, a licence read, requests made: the reads show something.
	monthly := creditLine(t, pack, "credit-monthly", 0)
	for _, u := range f.readerUsers[:3] {
		if r := h.assign(f.reader, monthly, u); r.Status != http.StatusCreated {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
	}
	f.annual = creditLine(t, f.gold, "credit-annual", 0)
	f.annualFrom, f.annualTo = f.readerUsers[3], f.readerUsers[4]
	if r := h.assign(f.reader, f.annual, f.annualFrom); r.Status != http.StatusCreated {
		t.Fatalf("assign annual: %d %s", r.Status, r.Body)
	}
	vs := lineOf(t, f.gold, "vs-enterprise")
	for _, u := range f.readerUsers[5:7] {
		if r := h.assignVS(f.reader, vs, u, ""); r.Status != http.StatusCreated {
			t.Fatalf("assign VS: %d %s", r.Status, r.Body)
		}
	}
	if r := h.post("/v1/software/"+lineOf(t, f.gold, "office-suite-pro")+"/key", f.reader, ""); r.Status != http.StatusOK {
		t.Fatalf("key: %d %s", r.Status, r.Body)
	}
	if r := h.get("/v1/licenses/"+lineOf(t, f.gold, "office-cloud-e3"), f.reader); r.Status != http.StatusOK {
		t.Fatalf("licence: %d %s", r.Status, r.Body)
	}
	if r := h.post("/v1/support/activate", f.reader, ""); r.Status != http.StatusCreated {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	for range 3 {
		if r := h.advisory(f.reader, "Landing zone", 1); r.Status != http.StatusCreated {
			t.Fatalf("advisory: %d %s", r.Status, r.Body)
		}
	}

	// work: users straight into the store (POST /v1/users is measured on its own).
	f.workID, _, f.work = h.newPartner("Work", "USD")
	for range n {
		f.packs = append(f.packs, h.buy(f.work, "action-pack-2026"))
		f.toCancel = append(f.toCancel, h.buy(f.work, "action-pack-2026")["id"].(string))
	}
	for i := range 3 * n {
		u, err := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_work%05d", i), PartnerID: f.workID, Email: fmt.Sprintf("w%05d@work.example", i), DisplayName: "Worker", CreatedAt: h.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.svc.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		f.workUsers = append(f.workUsers, u.ID)
	}
	for i := range n {
		u, err := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_gone%05d", i), PartnerID: f.workID, Email: fmt.Sprintf("g%05d@work.example", i), DisplayName: "Leaver", CreatedAt: h.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.svc.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		f.goneUsers = append(f.goneUsers, u.ID)
	}

	_, _, f.hoursAdmin = h.newPartner("Hours", "USD")
	for range (n + 4) / 5 {
		h.buy(f.hoursAdmin, "action-pack-2026")
	}
	if r := h.post("/v1/support/activate", f.hoursAdmin, ""); r.Status != http.StatusCreated {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}

	_, _, f.gtmAdmin = h.newPartner("Marketer", "USD")
	for range (n + 2) / 3 {
		for _, b := range h.buy(f.gtmAdmin, "gold-2026")["benefits"].([]any) {
			if m := b.(map[string]any); strings.HasPrefix(m["product"].(string), "gtm-") {
				f.gtmOffers = append(f.gtmOffers, m["id"].(string))
			}
		}
	}
	f.gtmOffers = f.gtmOffers[:n]
	contactUser := h.addUser(f.gtmAdmin, "owner@marketer.example")
	if r := h.putContact(f.gtmAdmin, contactUser, "contact@marketer.example", "+14255550100", "en"); r.Status != http.StatusOK {
		t.Fatalf("contact: %d %s", r.Status, r.Body)
	}

	_, _, f.buyer = h.newPartner("Buyer", "USD")
	h.buy(f.buyer, "gold-2026") // the catalogue cache is warm, as in a warm Lambda
	return f
}

// captured is a mail transport that keeps the confirmation tokens it sees.
type captured struct {
	mu     sync.Mutex
	tokens []string
}

func (c *captured) Send(_ context.Context, _ mail.Message, r mail.Rendered) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := confirmLink.FindStringSubmatch(r.Text); m != nil {
		c.tokens = append(c.tokens, m[1])
	}
	return nil
}

// drainTokens delivers the outbox to a capturing transport and returns the
// confirmation tokens of the link mails, in no particular order.
func (f *routeFixture) drainTokens() []string {
	f.h.t.Helper()
	c := &captured{}
	st := store.New(f.h.calls, f.h.svc.Store.Table())
	sender := &mail.Sender{Outbox: st, Directory: st, Transport: c}
	for range 10 {
		sum, err := sender.Drain(context.Background(), f.h.clock.Now().Add(time.Second))
		if err != nil {
			f.h.t.Fatal(err)
		}
		if sum.Sent == 0 && sum.Failed == 0 {
			break
		}
	}
	return c.tokens
}

func (f *routeFixture) cases() []routeCase {
	h, t, n := f.h, f.h.t, f.n
	get := func(path, token string) call { return call{method: "GET", path: path, token: token} }
	post := func(path, token, body string) call { return call{method: "POST", path: path, token: token, body: body} }
	del := func(path, token string) call { return call{method: "DELETE", path: path, token: token} }
	pack := func(i int, product string) string { return lineOf(t, f.packs[i], product) }
	gold := func(product string) string { return lineOf(t, f.gold, product) }
	same := func(c call) func(int) call { return func(int) call { return c } }
	var catalogBody map[string]any
	if err := json.Unmarshal(catalog.Demo, &catalogBody); err != nil {
		t.Fatal(err)
	}

	return append([]routeCase{
		{route: "GET /v1/catalog/packages", note: "partner admin", req: same(get("/v1/catalog/packages", f.reader)), want: 200},
		{route: "GET /v1/benefits", note: "gold + silver + action pack (~45 lines), admin", req: same(get("/v1/benefits", f.reader)), want: 200},
		{route: "GET /v1/benefits", note: "same, a member", req: same(get("/v1/benefits", f.member)), want: 200},
		{route: "POST /v1/purchases", note: "gold (~20 lines)", req: same(post("/v1/purchases", f.buyer, `{"packageId":"gold-2026"}`)), want: 201},
		{route: "POST /v1/purchases", note: "action pack, with Idempotency-Key", req: func(i int) call {
			c := post("/v1/purchases", f.buyer, `{"packageId":"action-pack-2026"}`)
			c.headers = map[string]string{"Idempotency-Key": fmt.Sprintf("routes-%d", i)}
			return c
		}, want: 201},
		{route: "GET /v1/purchases/{id}", note: "gold", req: same(get("/v1/purchases/"+f.gold["id"].(string), f.reader)), want: 200},
		{route: "GET /v1/users", note: "21 users", req: same(get("/v1/users", f.reader)), want: 200},
		{route: "POST /v1/users", note: "new user", req: func(i int) call {
			return post("/v1/users", f.work, fmt.Sprintf(`{"email":"new%05d@work.example","displayName":"New"}`, i))
		}, want: 201},
		{route: "POST /v1/software/{benefitId}/key", note: "repeat (key already taken)", req: same(post("/v1/software/"+gold("office-suite-pro")+"/key", f.reader, "")), want: 200},
		{route: "POST /v1/software/{benefitId}/key", note: "first (takes a pool key)", req: func(i int) call {
			return post("/v1/software/"+pack(i, "office-suite-pro")+"/key", f.work, "")
		}, want: 200},
		{route: "POST /v1/software/{benefitId}/key", note: "first (signed key)", req: func(i int) call {
			return post("/v1/software/"+pack(i, "dev-tools-suite")+"/key", f.work, "")
		}, want: 200},
		{route: "GET /v1/software/{benefitId}/downloads", note: "options", req: same(get("/v1/software/"+gold("office-suite-pro")+"/downloads", f.reader)), want: 200},
		{route: "GET /v1/software/{benefitId}/downloads", note: "one language and OS", req: same(get("/v1/software/"+gold("office-suite-pro")+"/downloads?language=en&os=windows-x64", f.reader)), want: 200},
		{route: "GET /v1/software/signing-key", note: "public", req: same(get("/v1/software/signing-key", "")), want: 200},
		{route: "POST /v1/credits/{benefitId}/users", note: "monthly credit, free seat", req: func(i int) call {
			return post("/v1/credits/"+pack(i, "cloud-credit-monthly")+"/users", f.work, `{"userId":"`+f.workUsers[i]+`"}`)
		}, want: 201},
		{route: "DELETE /v1/credits/{benefitId}/users/{userId}", note: "monthly credit holder", req: func(i int) call {
			return del("/v1/credits/"+pack(i, "cloud-credit-monthly")+"/users/"+f.workUsers[i], f.work)
		}, want: 204},
		{route: "POST /v1/credits/{benefitId}/transfer", note: "annual credit, back and forth", req: func(i int) call {
			to := f.annualTo
			if i%2 == 1 {
				to = f.annualFrom
			}
			return post("/v1/credits/"+f.annual+"/transfer", f.reader, `{"toUserId":"`+to+`"}`)
		}, want: 200},
		{route: "GET /v1/credits/{benefitId}/ledger", note: "annual credit", req: same(get("/v1/credits/"+f.annual+"/ledger", f.reader)), want: 200},
		{route: "GET /v1/licenses/{benefitId}", note: "key already taken", req: same(get("/v1/licenses/"+gold("office-cloud-e3"), f.reader)), want: 200},
		{route: "POST /v1/licenses/{benefitId}/redeem", note: "first redemption (takes a pool key)", req: func(i int) call {
			return post("/v1/licenses/"+pack(i, "office-cloud-e3")+"/redeem", f.work, fmt.Sprintf(`{"tenantId":"t%d.example","mode":"add-seats"}`, i))
		}, want: 200},
		{route: "POST /v1/visual-studio/{benefitId}/assignments", note: "free seat", req: func(i int) call {
			return post("/v1/visual-studio/"+pack(i, "vs-professional")+"/assignments", f.work, `{"userId":"`+f.workUsers[i]+`"}`)
		}, want: 201},
		{route: "POST /v1/visual-studio/{benefitId}/assignments:bulk", note: "2 rows", req: func(i int) call {
			return post("/v1/visual-studio/"+pack(i, "vs-professional")+"/assignments:bulk", f.work,
				`{"assignments":[{"userId":"`+f.workUsers[n+i]+`"},{"userId":"`+f.workUsers[2*n+i]+`"}]}`)
		}, want: 200},
		{route: "DELETE /v1/visual-studio/{benefitId}/assignments/{userId}", note: "a holder", req: func(i int) call {
			return del("/v1/visual-studio/"+pack(i, "vs-professional")+"/assignments/"+f.workUsers[i], f.work)
		}, want: 204},
		{route: "GET /v1/visual-studio/{benefitId}/assignments", note: "2 holders", req: same(get("/v1/visual-studio/"+gold("vs-enterprise")+"/assignments", f.reader)), want: 200},
		{route: "GET /v1/audit", note: "first page", req: same(get("/v1/audit", f.reader)), want: 200},
		{route: "POST /v1/support/activate", note: "already activated", req: same(post("/v1/support/activate", f.reader, "")), want: 200},
		{route: "GET /v1/support", note: "", req: same(get("/v1/support", f.reader)), want: 200},
		{route: "POST /v1/support/incidents", note: "on-premises", req: same(post("/v1/support/incidents", f.hoursAdmin,
			`{"category":"on-premises","product":"server-os-datacenter","productVersion":"2025"}`)), want: 201},
		{route: "POST /v1/advisory/requests", note: "1 hour", req: same(post("/v1/advisory/requests", f.hoursAdmin, `{"topic":"Migration","hours":1}`)), want: 201},
		{route: "GET /v1/advisory/requests", note: "3 requests", req: same(get("/v1/advisory/requests", f.reader)), want: 200},
		{route: "GET /v1/support/incidents", note: "first page", req: same(get("/v1/support/incidents", f.hoursAdmin)), want: 200},
		{route: "PUT /v1/gtm/marketing-contact", note: "same contact again", req: func(int) call {
			return call{method: "PUT", path: "/v1/gtm/marketing-contact", token: f.reader,
				body: `{"userId":"` + f.readerUsers[1] + `","email":"contact@reader.example","phone":"+14255550100","language":"en"}`}
		}, want: 200},
		{route: "GET /v1/gtm/marketing-contact", note: "", req: same(get("/v1/gtm/marketing-contact", f.reader)), want: 200},
		{route: "POST /v1/gtm/offers/{benefitId}/activate", note: "first activation (link mail queued)", req: func(i int) call {
			return post("/v1/gtm/offers/"+f.gtmOffers[i]+"/activate", f.gtmAdmin, "")
		}, want: 200},
		{route: "GET /v1/gtm/confirm", note: "the page of a pending link", prep: func() {
			f.gtmTokens = f.drainTokens()
			if len(f.gtmTokens) < n {
				t.Fatalf("%d confirmation tokens, want %d", len(f.gtmTokens), n)
			}
		}, req: func(i int) call { return get("/v1/gtm/confirm?token="+f.gtmTokens[i], "") }, want: 200},
		{route: "POST /v1/gtm/confirm", note: "confirm a pending link", req: func(i int) call {
			return post("/v1/gtm/confirm", "", `{"token":"`+f.gtmTokens[i]+`"}`)
		}, want: 200},
		{route: "POST /v1/purchases/{id}/cancel", note: "action pack within 30 days", req: func(i int) call {
			return post("/v1/purchases/"+f.toCancel[i]+"/cancel", f.work, `{"reason":"Bought the wrong plan"}`)
		}, want: 201},
		{route: "GET /v1/admin/service-requests", note: "pending, first page", prep: func() {
			cursor := ""
			for {
				r := h.get("/v1/admin/service-requests?status=pending&limit=100"+cursor, f.op)
				m := r.json(t)
				for _, it := range m["items"].([]any) {
					f.serviceRequests = append(f.serviceRequests, it.(map[string]any)["serviceRequestId"].(string))
				}
				next, _ := m["nextCursor"].(string)
				if next == "" {
					break
				}
				cursor = "&cursor=" + url.QueryEscape(next)
			}
			if len(f.serviceRequests) < n {
				t.Fatalf("%d pending service requests, want %d", len(f.serviceRequests), n)
			}
		}, req: same(get("/v1/admin/service-requests?status=pending", f.op)), want: 200},
		{route: "POST /v1/admin/service-requests/{id}/resolve", note: "complete", req: func(i int) call {
			return post("/v1/admin/service-requests/"+f.serviceRequests[i]+"/resolve", f.op, `{"status":"completed","note":"Refunded"}`)
		}, want: 200},
		{route: "POST /v1/admin/partners", note: "new partner", req: func(i int) call {
			return post("/v1/admin/partners", f.op, fmt.Sprintf(`{"name":"New %d","currency":"EUR","accountEmail":"admin%d@new.example"}`, i, i))
		}, want: 201},
		{route: "POST /v1/admin/key-pools/{product}", note: "100 keys (CSV)", req: func(i int) call {
			var body strings.Builder
			for k := range 100 {
				fmt.Fprintf(&body, "POOL-%05d-%03d-ABCDE\n", i, k)
			}
			return call{method: "POST", path: "/v1/admin/key-pools/bi-pro", token: f.op, body: body.String(), headers: map[string]string{"Content-Type": "text/csv"}}
		}, want: 200},
		{route: "GET /v1/admin/catalog", note: "demo catalogue", req: same(get("/v1/admin/catalog", f.op)), want: 200},
		{route: "POST /v1/admin/catalog", note: "demo catalogue, new version", req: func(i int) call {
			doc := maps.Clone(catalogBody) // shallow: safe for concurrent use in BenchmarkLoad
			doc["version"] = fmt.Sprintf("routes-bench-%d", i)
			raw, _ := json.Marshal(doc)
			return post("/v1/admin/catalog", f.op, string(raw))
		}, want: 201},

		// The directory (issue 27).
		{route: "GET /v1/users", note: "search q=r1, 21 users", req: same(get("/v1/users?q=r1", f.reader)), want: 200},
		{route: "GET /v1/users/{id}", note: "", req: same(get("/v1/users/"+f.readerUsers[0], f.reader)), want: 200},
		{route: "PATCH /v1/users/{id}", note: "rename", req: func(i int) call {
			return call{method: "PATCH", path: "/v1/users/" + f.workUsers[i], token: f.work, body: fmt.Sprintf(`{"displayName":"Worker %d"}`, i)}
		}, want: 200},
		{route: "DELETE /v1/users/{id}", note: "a plain user", req: func(i int) call { return del("/v1/users/"+f.goneUsers[i], f.work) }, want: 204},
	}, f.adminRequestCases()...)
}
