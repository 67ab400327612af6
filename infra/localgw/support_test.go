package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func (h *harness) incident(token, category, product, version string) reply {
	return h.post("/v1/support/incidents", token, fmt.Sprintf(`{"category":%q,"product":%q,"productVersion":%q}`, category, product, version))
}

func TestSupportActivationAndIncidents(t *testing.T) {
	h := newHarness(t)
	pid, _, admin := h.newPartner("Supported", "USD")
	memberID := h.addUser(admin, "member@supported.example")
	member := h.token(pid, memberID)

	// No purchase: nothing to activate; the greyed-out button is a 403.
	h.post("/v1/support/activate", admin, "").problem(t, http.StatusConflict, "no_eligible_plan")
	h.post("/v1/support/activate", member, "").problem(t, http.StatusForbidden, "forbidden_role")
	h.post("/v1/support/activate", h.token(pid, memberID, "user-management-admin"), "").problem(t, http.StatusForbidden, "forbidden_role")
	if got := h.get("/v1/support", member).json(t); got["activated"] != false {
		t.Fatalf("before activation %v", got)
	}

	pack := h.buy(admin, "action-pack-2026") // 5 incidents
	// Before activation: Azure (direct), Dynamics and on-premises need it.
	h.incident(member, "azure", "Virtual Machines", "").problem(t, http.StatusConflict, "support_not_activated")
	h.incident(member, "dynamics", "Sales", "").problem(t, http.StatusConflict, "support_not_activated")
	h.incident(member, "on-premises", "server-os-datacenter", "2025").problem(t, http.StatusConflict, "support_not_activated")
	// Signature cloud support is Gold and Silver only.
	h.incident(member, "cloud", "Office Cloud", "").problem(t, http.StatusConflict, "plan_not_eligible")

	r := h.post("/v1/support/activate", admin, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	ids := r.json(t)
	if !strings.HasPrefix(ids["accessId"].(string), "AID-") || !strings.HasPrefix(ids["contractId"].(string), "CTR-") {
		t.Fatalf("ids %v", ids)
	}
	mpn := h.token(pid, memberID, "mpn-partner-admin")
	for _, tok := range []string{admin, mpn} {
		again := h.post("/v1/support/activate", tok, "")
		if again.Status != http.StatusOK || again.json(t)["accessId"] != ids["accessId"] || again.json(t)["contractId"] != ids["contractId"] {
			t.Fatalf("activate again: %d %s", again.Status, again.Body)
		}
	}
	if got := h.get("/v1/support", member).json(t); got["accessId"] != ids["accessId"] || got["contractId"] != ids["contractId"] {
		t.Fatalf("member reads %v", got)
	}
	if line := h.dashboardLine(admin, lineOf(t, pack, "product-support")); line["status"] != "activated" {
		t.Fatalf("support line %v", line)
	}

	// On-premises: current or previous version only (catalogue data).
	p := h.incident(member, "on-premises", "server-os-datacenter", "2019").problem(t, http.StatusConflict, "version_not_supported")
	if fmt.Sprint(p["supportedVersions"]) != "[2025 2022]" {
		t.Fatalf("supportedVersions %v", p["supportedVersions"])
	}
	h.incident(member, "on-premises", "no-such-product", "1").problem(t, http.StatusBadRequest, "validation_failed")
	h.incident(member, "on-premises", "server-os-datacenter", "").problem(t, http.StatusBadRequest, "validation_failed")
	h.incident(member, "mainframe", "x", "").problem(t, http.StatusBadRequest, "validation_failed")
	for _, in := range [][3]string{{"on-premises", "server-os-datacenter", "2025"}, {"on-premises", "database-server-enterprise", "2019"},
		{"azure", "Virtual Machines", ""}, {"azure-csp", "Storage", ""}, {"dynamics", "Sales", ""}} {
		if r := h.incident(member, in[0], in[1], in[2]); r.Status != http.StatusCreated || r.json(t)["status"] != "open" {
			t.Fatalf("incident %v: %d %s", in, r.Status, r.Body)
		}
	}
	// Five used: the sixth is refused, and the count never goes past.
	h.incident(member, "azure-csp", "Storage", "").problem(t, http.StatusConflict, "no_incidents_left")
	if got := h.get("/v1/support", member).json(t)["incidents"].(map[string]any); got["used"] != float64(5) || got["remaining"] != float64(0) {
		t.Fatalf("incidents %v", got)
	}
	// Silver brings signature cloud support and 10 more incidents.
	h.buy(admin, "silver-2026")
	if r := h.incident(member, "cloud", "Office Cloud", ""); r.Status != http.StatusCreated {
		t.Fatalf("cloud incident with silver: %d %s", r.Status, r.Body)
	}
}

func TestSupportActivatesOnceUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("RaceSupport", "USD")
	h.buy(admin, "gold-2026")
	type result struct {
		status int
		access string
	}
	results := make([]result, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			r := h.post("/v1/support/activate", admin, "")
			results[i] = result{r.Status, fmt.Sprint(r.json(t)["accessId"])}
		})
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		if r.status == http.StatusCreated {
			created++
		}
		if r.access != results[0].access || (r.status != http.StatusCreated && r.status != http.StatusOK) {
			t.Fatalf("results %v", results)
		}
	}
	if created != 1 {
		t.Fatalf("%d activations created ids, want 1: %v", created, results)
	}
}

func TestConcurrentIncidentsNeverExceedTheCount(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("RaceIncidents", "USD")
	h.buy(admin, "action-pack-2026") // 5 incidents
	statuses := make([]int, 12)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() { statuses[i] = h.incident(admin, "azure-csp", "Storage", "").Status })
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	got := h.get("/v1/support", admin).json(t)["incidents"].(map[string]any)
	if counts[http.StatusCreated] != 5 || counts[http.StatusConflict] != 7 || got["used"] != float64(5) {
		t.Fatalf("statuses %v, incidents %v", counts, got)
	}
}

func (h *harness) advisory(token, topic string, hours int) reply {
	return h.post("/v1/advisory/requests", token, fmt.Sprintf(`{"topic":%q,"hours":%d}`, topic, hours))
}

func TestAdvisoryHours(t *testing.T) {
	h := newHarness(t)
	pid, _, admin := h.newPartner("Advised", "USD")
	member := h.token(pid, h.addUser(admin, "m@advised.example"))

	p := h.advisory(member, "Landing zone design", 2).problem(t, http.StatusConflict, "no_benefits")
	if !strings.Contains(p["detail"].(string), "don't have any benefits yet") {
		t.Fatalf("no_benefits detail %v", p["detail"])
	}
	h.buy(admin, "action-pack-2026") // 5 hours
	h.buy(admin, "action-pack-2026") // 5 more
	r := h.advisory(member, "Landing zone design", 8)
	if r.Status != http.StatusCreated || r.json(t)["hoursLeft"] != float64(2) {
		t.Fatalf("8 hours over two lines: %d %s", r.Status, r.Body)
	}
	p = h.advisory(member, "Migration plan", 3).problem(t, http.StatusConflict, "insufficient_hours")
	if p["hoursAvailable"] != float64(2) {
		t.Fatalf("hoursAvailable %v", p["hoursAvailable"])
	}
	if r := h.advisory(admin, "Migration plan", 2); r.Status != http.StatusCreated {
		t.Fatalf("the last 2 hours: %d %s", r.Status, r.Body)
	}
	h.advisory(member, "", 1).problem(t, http.StatusBadRequest, "validation_failed")
	h.advisory(member, "x", 0).problem(t, http.StatusBadRequest, "validation_failed")
	h.post("/v1/advisory/requests", member, `{"topic":"x","hours":1.5}`).problem(t, http.StatusBadRequest, "validation_failed")

	list := h.get("/v1/advisory/requests?limit=1", member).json(t)
	items := list["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["topic"] != "Migration plan" || list["nextCursor"] == nil {
		t.Fatalf("first page %v", list)
	}
	if hours := list["hours"].(map[string]any); hours["total"] != float64(10) || hours["used"] != float64(10) || hours["left"] != float64(0) {
		t.Fatalf("hours %v", hours)
	}
	next := h.get("/v1/advisory/requests?limit=1&cursor="+list["nextCursor"].(string), member).json(t)
	if items := next["items"].([]any); len(items) != 1 || items[0].(map[string]any)["hours"] != float64(8) || next["nextCursor"] != nil {
		t.Fatalf("second page %v", next)
	}
	_, _, other := h.newPartner("NotAdvised", "USD")
	if items := h.get("/v1/advisory/requests", other).json(t)["items"].([]any); len(items) != 0 {
		t.Fatalf("another partner sees %v", items)
	}
}

func TestConcurrentAdvisoryRequestsNeverOverdraw(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("RaceHours", "USD")
	h.buy(admin, "action-pack-2026") // 5 hours
	statuses := make([]int, 10)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() { statuses[i] = h.advisory(admin, "Race", 1).Status })
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		if s == http.StatusCreated {
			created++
		} else if s != http.StatusConflict {
			t.Errorf("status %d", s)
		}
	}
	hours := h.get("/v1/advisory/requests", admin).json(t)["hours"].(map[string]any)
	if created != 5 || hours["used"] != float64(5) || hours["left"] != float64(0) {
		t.Fatalf("%d requests succeeded, hours %v", created, hours)
	}
}
