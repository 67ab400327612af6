package main

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// auditActions lists the actions of GET /v1/audit, newest first.
func (h *harness) auditActions(token, query string) ([]string, []map[string]any, string) {
	h.t.Helper()
	r := h.get("/v1/audit"+query, token)
	if r.Status != http.StatusOK {
		h.t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	m := r.json(h.t)
	var actions []string
	var items []map[string]any
	for _, it := range m["items"].([]any) {
		e := it.(map[string]any)
		actions = append(actions, e["action"].(string))
		items = append(items, e)
	}
	next, _ := m["nextCursor"].(string)
	return actions, items, next
}

func TestAuditRecordsEveryChangeNewestFirst(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	h.importKeys("office-suite-pro", "AUDIT-00001")
	h.importKeys("office-cloud-e3", "AUDIT-00002")
	pid, adminID, admin := h.newPartner("Audited", "USD")
	pack := h.buy(admin, "action-pack-2026")
	users := h.users(admin, "audited.example", 3)
	monthly := creditLine(t, pack, "credit-monthly", 0)
	vs := lineOf(t, pack, "vs-professional")
	software := lineOf(t, pack, "office-suite-pro")
	lic := lineOf(t, pack, "office-cloud-e3")

	step := func(d time.Duration) { h.clock.Set(h.clock.Now().Add(d)) }
	expect := func(r reply, status int) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%d, want %d: %s", r.Status, status, r.Body)
		}
		step(time.Second)
	}
	expect(h.assign(admin, monthly, users[0]), http.StatusCreated)
	expect(h.do(call{method: "DELETE", path: "/v1/credits/" + monthly + "/users/" + users[0], token: admin}), http.StatusNoContent)
	expect(h.post("/v1/software/"+software+"/key", admin, ""), http.StatusOK)
	expect(h.assignVS(admin, vs, users[1], ""), http.StatusCreated)
	h.clock.Set(start.AddDate(0, 0, 91))
	expect(h.assignVS(admin, vs, users[2], users[1]), http.StatusCreated)
	expect(h.removeVS(admin, vs, users[2]), http.StatusNoContent)
	expect(h.redeem(admin, lic, "audited.example", "add-seats"), http.StatusOK)
	annual := creditLine(t, h.buy(admin, "gold-2026"), "credit-annual", 0)
	expect(h.assign(admin, annual, users[0]), http.StatusCreated)
	expect(h.post("/v1/credits/"+annual+"/transfer", admin, `{"toUserId":"`+users[1]+`"}`), http.StatusOK)
	// Reads and refused changes write nothing.
	h.assignVS(admin, vs, "usr_nobody", "").problem(t, http.StatusUnprocessableEntity, "user_not_found")
	h.get("/v1/benefits", admin)

	got, items, _ := h.auditActions(admin, "")
	want := []string{"credit.transferred", "credit.assigned", "license.redeemed", "license.key-issued", "visual-studio.removed", "visual-studio.reassigned",
		"visual-studio.assigned", "software.key-issued", "credit.removed", "credit.assigned"}
	if len(got) != len(want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("actions %v, want %v", got, want)
		}
	}
	for _, e := range items {
		if e["actor"] != adminID || e["at"] == nil || e["id"] == nil {
			t.Fatalf("event %v", e)
		}
	}
	if d := items[0]["detail"].(map[string]any); d["fromUserId"] != users[0] || items[0]["userId"] != users[1] {
		t.Fatalf("transfer event %v", items[0])
	}
	items = items[2:]
	moved := items[3]
	if moved["userId"] != users[2] || moved["detail"].(map[string]any)["fromUserId"] != users[1] || moved["benefitId"] != vs {
		t.Fatalf("reassignment event %v", moved)
	}
	if d := items[0]["detail"].(map[string]any); d["tenantId"] != "audited.example" || d["mode"] != "add-seats" {
		t.Fatalf("redemption event %v", items[0])
	}

	// One benefit's history, and paging through it.
	got, _, next := h.auditActions(admin, "?benefitId="+vs+"&limit=2")
	if len(got) != 2 || got[0] != "visual-studio.removed" || next == "" {
		t.Fatalf("first page %v next %q", got, next)
	}
	got, _, next = h.auditActions(admin, "?benefitId="+vs+"&limit=2&cursor="+url.QueryEscape(next))
	if len(got) != 1 || got[0] != "visual-studio.assigned" || next != "" {
		t.Fatalf("second page %v next %q", got, next)
	}
	if got, _, _ := h.auditActions(admin, "?benefitId=ben_unknown"); len(got) != 0 {
		t.Fatalf("unknown benefit %v", got)
	}
	h.get("/v1/audit?cursor=!!", admin).problem(t, http.StatusBadRequest, "validation_failed")
	h.get("/v1/audit?limit=0", admin).problem(t, http.StatusBadRequest, "validation_failed")

	// Readers: global and MPN admins; others are refused; partners are apart.
	if got, _, _ := h.auditActions(h.token(pid, users[0], "mpn-partner-admin"), ""); len(got) != len(want) {
		t.Fatalf("mpn admin sees %v", got)
	}
	for _, roles := range [][]string{nil, {"user-management-admin"}, {"admin-agent"}} {
		h.get("/v1/audit", h.token(pid, users[0], roles...)).problem(t, http.StatusForbidden, "forbidden_role")
	}
	_, _, other := h.newPartner("Unaudited", "USD")
	if got, _, _ := h.auditActions(other, ""); len(got) != 0 {
		t.Fatalf("another partner sees %v", got)
	}
	if got, _, _ := h.auditActions(other, "?benefitId="+vs); len(got) != 0 {
		t.Fatalf("another partner sees the benefit's history %v", got)
	}
}
