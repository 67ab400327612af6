package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// newThrottledHarness is a harness whose service talks to DynamoDB Local
// through the capacity simulator (testenv.Capacity) with limits, off until
// the test turns it on (so fixtures are built at full speed). Its jobs and
// h.calls use the plain client.
func newThrottledHarness(t testing.TB, limits testenv.CapacityLimits) (*harness, *testenv.Capacity) {
	client, capacity := testenv.ThrottledDynamoDB(t, limits)
	capacity.Enable(false)
	h := newHarnessWith(t, func(store.API) store.API { return client })
	return h, capacity
}

// tightLimits are AWS's limits with one simulated second lasting 60 s
// here: DynamoDB Local on this machine serves a few hundred requests a
// second, so the simulator's partitions and table are reached at the load
// a test can make (a documented scale factor, docs/performance.md).
func tightLimits() testenv.CapacityLimits {
	l := testenv.AWSLimits
	l.Window = 60 * time.Second
	// A third of AWS's read limits, so that a slower machine's load still
	// reaches them within the run.
	l.PartitionRCU, l.TableRCU = 1000, 4000
	return l
}

// TestLoadUnderThrottlingAnswersOnly2xx4xx503: the load run's request mix
// (every route, weighted as BenchmarkLoad's) from 8 clients for 7
// seconds against the capacity simulator at AWS's limits, scaled so that
// they are reached: DynamoDB throttles, and every answer is still a 2xx, a
// 4xx (business rules) or a 503 with Retry-After — never a 500, never a
// throttle read as a refusal.
func TestLoadUnderThrottlingAnswersOnly2xx4xx503(t *testing.T) {
	h, capacity := newThrottledHarness(t, tightLimits())
	f := newRouteFixture(h, 20)
	ops := f.loadOps()
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	capacity.Enable(true)
	client := &http.Client{Timeout: 30 * time.Second}
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		codes    = map[string]int{} // the 4xx by code
		bad      []string
		first    atomic.Int64
	)
	deadline := time.Now().Add(7 * time.Second)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Now().Before(deadline) {
				k := int(first.Add(1) - 1)
				if k >= len(ops) {
					pick := rng.IntN(total)
					for k = 0; pick >= ops[k].weight; k++ {
						pick -= ops[k].weight
					}
				}
				c := ops[k].req(int(ops[k].count.Add(1) - 1))
				status, retryAfter, body := sendFull(client, h.url, c)
				mu.Lock()
				statuses[status]++
				if status >= 400 && status < 500 {
					codes[problemCode(body)]++
				}
				switch {
				case status >= 200 && status < 300, status >= 400 && status < 500:
				case status == http.StatusServiceUnavailable && retryAfter != "":
				default:
					bad = append(bad, ops[k].route+": "+http.StatusText(status)+" "+body)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	st := capacity.Stats()
	t.Logf("statuses %v, 4xx codes %v; simulator %+v; hottest %v", statuses, codes, st, capacity.Peaks()[:min(6, len(capacity.Peaks()))])
	for _, busy := range []string{"seats_busy", "benefit_busy", "purchase_busy", "already_resolved"} {
		if codes[busy] > 0 {
			t.Errorf("%d answers %s under throttling: a throttle read as a lost race or a refusal", codes[busy], busy)
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d answers outside 2xx, 4xx and 503 with Retry-After, e.g. %.400s", len(bad), bad[0])
	}
	if st.Throttled == 0 {
		t.Errorf("DynamoDB was never throttled (%+v): the limits were not reached, the test proves nothing", st)
	}
}

// sendFull makes one request and returns its status (0: no response), its
// Retry-After and the start of its body (a body that cannot be read to
// its end is no response: 0).
func sendFull(client *http.Client, base string, c call) (int, string, string) {
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		return 0, "", err.Error()
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	// The start of the body, then the rest drained so the connection is
	// reused (load runs measure with keep-alive).
	head := make([]byte, 300)
	n, _ := io.ReadFull(resp.Body, head)
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, "", err.Error()
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(head[:n])
}

// TestThousandRowBulkCompletesUnderThrottling: a partner assigns 1,000
// Visual Studio seats as the console would, 20 bulk requests of 50 rows
// one after another, against the capacity simulator (the partner's
// partition held to 400 WCU a second, AWS's 1,000 scaled so that any
// machine meets it as AWS's faster requests would). The
// seats all go to one partition, which throttles; a request that runs out
// of its throttle budget answers 503 with Retry-After, the client waits and
// sends it again with the same Idempotency-Key, and the bulk completes:
// every seat assigned once, no answer but 200 and 503, no partition past
// its limit (the simulator refuses what would pass it).
func TestThousandRowBulkCompletesUnderThrottling(t *testing.T) {
	// The partner's partition held to 400 WCU a second (AWS: 1,000), so
	// that a machine slower than AWS still meets it.
	limits := testenv.AWSLimits
	limits.PartitionWCU = 400
	h, capacity := newThrottledHarness(t, limits)
	h.publishPackages("bulk-1000", map[string]any{"id": "vs-1000-2026", "plan": "gold", "name": "A thousand seats", "benefits": []any{
		map[string]any{"kind": "visual-studio", "product": "vs-enterprise", "quantity": 1000, "benefitType": "core"}}})
	pid, _, admin := h.newPartner("Thousand", "USD")
	vs := lineOf(t, h.buy(admin, "vs-1000-2026"), "vs-enterprise")
	users := make([]string, 1000)
	for i := range users {
		u, err := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_k%04d", i), PartnerID: pid,
			Email: fmt.Sprintf("k%04d@thousand.example", i), DisplayName: "User", CreatedAt: h.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.svc.Store.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		users[i] = u.ID
	}
	capacity.Enable(true)
	start := time.Now()
	retries := 0
	for n, chunk := range slices.Collect(slices.Chunk(users, 50)) {
		rows := make([]string, len(chunk))
		for i, u := range chunk {
			rows[i] = `{"userId":"` + u + `"}`
		}
		c := call{method: "POST", path: "/v1/visual-studio/" + vs + "/assignments:bulk", token: admin,
			body: `{"assignments":[` + strings.Join(rows, ",") + `]}`, headers: map[string]string{"Idempotency-Key": fmt.Sprintf("bulk-%02d", n)}}
		for attempt := 0; ; attempt++ {
			r := h.do(c)
			if r.Status == http.StatusOK {
				break
			}
			if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || attempt == 20 {
				t.Fatalf("request %d attempt %d: %d %.300s", n, attempt, r.Status, r.Body)
			}
			retries++
			secs, _ := strconv.Atoi(r.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(secs, 1)) * time.Second)
		}
	}
	took := time.Since(start)
	capacity.Enable(false)
	got := h.get("/v1/visual-studio/"+vs+"/assignments?limit=1", admin).json(t)
	st := capacity.Stats()
	peaks := capacity.Peaks()
	t.Logf("1,000 rows in %s: %d 503s retried; simulator %+v; hottest %v", took.Round(time.Millisecond), retries, st, peaks[:min(3, len(peaks))])
	b, err := h.svc.Store.Benefit(context.Background(), pid, vs)
	if err != nil || b.Used != 1000 {
		t.Fatalf("seats used %d (%v), want 1000; list %v", b.Used, err, got)
	}
	if st.Throttled == 0 {
		t.Errorf("the partition was never throttled (%+v): the test proves nothing", st)
	}
}

// problemCode is the code of a problem+json body ("" if none).
func problemCode(body string) string {
	if m := codeField.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

var codeField = regexp.MustCompile(`"code":"([a-z_]+)"`)

// TestSeatRacesHoldUnderThrottling: the seat races of the credit and
// Visual Studio tests, with the partner's partition throttled hard (25 WCU
// a simulated second): some requests answer 503, but the invariants hold —
// never more holders than seats, the line's used count equal to the
// holders, each user at most one seat — and every answer is a 201, a 409
// or a 503 with Retry-After.
func TestSeatRacesHoldUnderThrottling(t *testing.T) {
	h, capacity := newThrottledHarness(t, testenv.CapacityLimits{PartitionWCU: 25, PartitionRCU: 3000, TableWCU: 4000, TableRCU: 12000, Window: time.Second})
	_, _, admin := h.newPartner("ThrottledRace", "USD")
	p := h.buy(admin, "action-pack-2026")
	monthly, vs := creditLine(t, p, "credit-monthly", 0), lineOf(t, p, "vs-professional") // 5 and 3 seats
	users := h.users(admin, "throttledrace.example", 12)
	capacity.Enable(true)
	type answer struct {
		status     int
		retryAfter string
	}
	answers := make([]answer, 2*len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			r := h.assign(admin, monthly, u)
			answers[i] = answer{r.Status, r.Header.Get("Retry-After")}
		})
		wg.Go(func() {
			r := h.assignVS(admin, vs, u, "")
			answers[len(users)+i] = answer{r.Status, r.Header.Get("Retry-After")}
		})
	}
	wg.Wait()
	capacity.Enable(false)
	counts := map[int]int{}
	for _, a := range answers {
		counts[a.status]++
		if a.status != http.StatusCreated && a.status != http.StatusConflict && (a.status != http.StatusServiceUnavailable || a.retryAfter == "") {
			t.Errorf("answer %d (Retry-After %q): want 201, 409 or 503 with Retry-After", a.status, a.retryAfter)
		}
	}
	credit := h.dashboardLine(admin, monthly)
	holders := h.vsHolders(admin, vs)
	vsLine := h.dashboardLine(admin, vs)
	creditHolders := len(credit["holders"].([]any))
	if creditHolders > 5 || credit["used"] != float64(creditHolders) || len(holders) > 3 || vsLine["used"] != float64(len(holders)) {
		t.Fatalf("credit: used %v, %d holders (5 seats); Visual Studio: used %v, %d holders (3 seats)", credit["used"], creditHolders, vsLine["used"], len(holders))
	}
	t.Logf("answers %v; credit holders %d, Visual Studio holders %d; simulator %+v", counts, creditHolders, len(holders), capacity.Stats())
	if capacity.Stats().Throttled == 0 {
		t.Errorf("nothing was throttled: the test proves nothing")
	}
}
