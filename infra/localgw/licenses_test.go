package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

func (h *harness) redeem(token, benefitID, tenant, mode string) reply {
	return h.post("/v1/licenses/"+benefitID+"/redeem", token, `{"tenantId":"`+tenant+`","mode":"`+mode+`"}`)
}

func licenseKeys(product string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("LIC%02d-%s", i, product)
	}
	return keys
}

func TestLicenseKeyAndRedemption(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	h.importKeys("office-cloud-e3", licenseKeys("office-cloud-e3", 5)...)
	pid, adminID, admin := h.newPartner("Tenants", "USD")
	first := lineOf(t, h.buy(admin, "action-pack-2026"), "office-cloud-e3") // 5 licences
	path := "/v1/licenses/" + first

	// A member reads the instructions and portal link, never the key.
	memberID := h.addUser(admin, "member@tenants.example")
	member := h.token(pid, memberID)
	m := h.get(path, member).json(t)
	if _, has := m["key"]; has || m["portalUrl"] == "" || m["instructions"] == "" || m["status"] != "available" ||
		m["quantity"] != float64(5) || m["plan"] != "action-pack" || m["redemption"] != nil {
		t.Fatalf("member view %v", m)
	}
	// An admin's first read takes the key; every later read shows the same.
	key := h.get(path, admin).json(t)["key"]
	if key == nil || key == "" {
		t.Fatal("no key for the admin")
	}
	mpn := h.token(pid, memberID, "mpn-partner-admin")
	if again := h.get(path, mpn); again.json(t)["key"] != key || again.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("second read: %s", again.Body)
	}

	// Redeem once, on a tenant that has no subscription yet: a full term.
	r := h.redeem(admin, first, "Contoso.onmicrosoft.com", "add-seats")
	if r.Status != http.StatusOK {
		t.Fatalf("redeem: %d %s", r.Status, r.Body)
	}
	m = r.json(t)
	if m["seats"] != float64(5) || !near(m["endDate"], start.AddDate(1, 0, 0)) || m["termUnder12Months"] != false ||
		m["tenantId"] != "contoso.onmicrosoft.com" || m["redeemedBy"] != adminID {
		t.Fatalf("redemption %v", m)
	}
	h.redeem(admin, first, "contoso.onmicrosoft.com", "add-seats").problem(t, http.StatusConflict, "key_already_redeemed")
	h.redeem(admin, first, "fabrikam.example", "extend-term").problem(t, http.StatusConflict, "key_already_redeemed")
	shown := h.get(path, member).json(t)
	red, _ := shown["redemption"].(map[string]any)
	if shown["status"] != "activated" || red["tenantId"] != "contoso.onmicrosoft.com" || red["redeemedBy"] != adminID || !near(red["redeemedAt"], start) {
		t.Fatalf("after redemption %v", shown)
	}
	if line := h.dashboardLine(admin, first); line["status"] != "activated" || line["redemption"] == nil {
		t.Fatalf("dashboard %v", line)
	}

	// Three months on, add-seats keeps the tenant's end date: under 12 months left.
	h.clock.Set(start.AddDate(0, 3, 0))
	second := lineOf(t, h.buy(admin, "action-pack-2026"), "office-cloud-e3")
	m = h.redeem(admin, second, "contoso.onmicrosoft.com", "add-seats").json(t)
	if m["seats"] != float64(10) || !near(m["endDate"], start.AddDate(1, 0, 0)) || m["termUnder12Months"] != true {
		t.Fatalf("add-seats %v", m)
	}
	// extend-term moves the end date 12 months on and keeps the seats.
	third := lineOf(t, h.buy(admin, "action-pack-2026"), "office-cloud-e3")
	m = h.redeem(admin, third, "contoso.onmicrosoft.com", "extend-term").json(t)
	if m["seats"] != float64(10) || !near(m["endDate"], start.AddDate(2, 0, 0)) || m["termUnder12Months"] != false {
		t.Fatalf("extend-term %v", m)
	}

	// Bad input is a 400 naming the field; the key stays unredeemed.
	fourth := lineOf(t, h.buy(admin, "action-pack-2026"), "office-cloud-e3")
	p := h.redeem(admin, fourth, "contoso.onmicrosoft.com", "renew").problem(t, http.StatusBadRequest, "validation_failed")
	if p["errors"].([]any)[0].(map[string]any)["field"] != "mode" {
		t.Fatalf("mode error %v", p)
	}
	h.redeem(admin, fourth, "not a tenant", "add-seats").problem(t, http.StatusBadRequest, "validation_failed")
	h.post("/v1/licenses/"+fourth+"/redeem", admin, `{}`).problem(t, http.StatusBadRequest, "validation_failed")
	if h.dashboardLine(admin, fourth)["status"] != "available" {
		t.Fatal("a refused redemption changed the line")
	}

	// Roles, partners and kinds.
	h.redeem(member, fourth, "contoso.onmicrosoft.com", "add-seats").problem(t, http.StatusForbidden, "forbidden_role")
	h.redeem(h.token(pid, memberID, "user-management-admin"), fourth, "x.example", "add-seats").problem(t, http.StatusForbidden, "forbidden_role")
	_, _, other := h.newPartner("NotTenants", "USD")
	h.get(path, other).problem(t, http.StatusNotFound, "not_found")
	h.redeem(other, fourth, "x.example", "add-seats").problem(t, http.StatusNotFound, "not_found")
	software := lineOf(t, h.buy(admin, "action-pack-2026"), "office-suite-pro")
	h.get("/v1/licenses/"+software, admin).problem(t, http.StatusNotFound, "not_found")
	h.redeem(admin, software, "x.example", "add-seats").problem(t, http.StatusNotFound, "not_found")
}

func TestConcurrentRedeemsRedeemOnce(t *testing.T) {
	h := newHarness(t)
	h.importKeys("directory-basic", licenseKeys("directory-basic", 2)...)
	_, _, admin := h.newPartner("Racers", "USD")
	line := lineOf(t, h.buy(admin, "action-pack-2026"), "directory-basic")
	statuses := make([]int, 8)
	var wg sync.WaitGroup
	for i := range statuses {
		// Different tenants and modes: the key still redeems once.
		mode := []string{"add-seats", "extend-term"}[i%2]
		wg.Go(func() { statuses[i] = h.redeem(admin, line, fmt.Sprintf("tenant%d.example", i%3), mode).Status })
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusConflict] != len(statuses)-1 {
		t.Fatalf("statuses %v", counts)
	}
	// One key left the pool for the line, whoever won.
	if key := h.get("/v1/licenses/"+line, admin).json(t)["key"]; key == nil {
		t.Fatal("no key on the redeemed line")
	}
	second := lineOf(t, h.buy(admin, "action-pack-2026"), "directory-basic")
	third := lineOf(t, h.buy(admin, "action-pack-2026"), "directory-basic")
	if h.get("/v1/licenses/"+second, admin).Status != http.StatusOK {
		t.Fatal("the pool lost more than one key to the race")
	}
	h.get("/v1/licenses/"+third, admin).problem(t, http.StatusConflict, "key_pool_exhausted")
}
