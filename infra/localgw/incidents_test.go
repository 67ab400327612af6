package main

import (
	"net/http"
	"testing"
)

// TestIncidentListNewestFirstForEveryUser: GET /v1/support/incidents lists
// the partner's incidents, newest first, to any of its users (a member with
// no role too), a page at a time, and nothing of another partner's.
func TestIncidentListNewestFirstForEveryUser(t *testing.T) {
	h := newHarness(t)
	pid, _, admin := h.newPartner("Incidents", "USD")
	h.buy(admin, "action-pack-2026")
	var opened []string
	for _, product := range []string{"Tenant A", "Tenant B", "Tenant C"} {
		r := h.post("/v1/support/incidents", admin, `{"category":"azure-csp","product":"`+product+`"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("incident: %d %s", r.Status, r.Body)
		}
		opened = append(opened, r.json(t)["id"].(string))
	}
	_, _, other := h.newPartner("Elsewhere", "USD")
	h.buy(other, "action-pack-2026")
	if r := h.post("/v1/support/incidents", other, `{"category":"azure-csp","product":"Not yours"}`); r.Status != http.StatusCreated {
		t.Fatalf("other incident: %d %s", r.Status, r.Body)
	}
	member := h.token(pid, h.addUser(admin, "member@incidents.example"))
	first := h.get("/v1/support/incidents?limit=2", member).json(t)
	items := first["items"].([]any)
	cursor, _ := first["nextCursor"].(string)
	if len(items) != 2 || cursor == "" {
		t.Fatalf("first page: %v", first)
	}
	rest := h.get("/v1/support/incidents?limit=2&cursor="+cursor, member).json(t)
	items = append(items, rest["items"].([]any)...)
	if len(items) != 3 || rest["nextCursor"] != nil {
		t.Fatalf("second page: %v", rest)
	}
	var ids []string
	for _, raw := range items {
		in := raw.(map[string]any)
		if in["status"] != "open" || in["category"] != "azure-csp" || in["benefitId"] == "" {
			t.Errorf("incident %v", in)
		}
		ids = append(ids, in["id"].(string))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] >= ids[i-1] {
			t.Errorf("not newest first: %v", ids)
		}
	}
	for _, id := range opened {
		found := false
		for _, got := range ids {
			found = found || got == id
		}
		if !found {
			t.Errorf("incident %s missing from %v", id, ids)
		}
	}
}

// TestSupportOffersTheOnPremisesPickList: GET /v1/support gives every user
// the products an on-premises incident may name, by name, with the
// versions incidents are taken for, so nobody types a product id or a
// version the API then refuses.
func TestSupportOffersTheOnPremisesPickList(t *testing.T) {
	h := newHarness(t)
	pid, _, admin := h.newPartner("Picks", "USD")
	member := h.token(pid, h.addUser(admin, "member@picks.example"))
	v := h.get("/v1/support", member).json(t)
	picks, _ := v["onPremisesProducts"].([]any)
	if len(picks) == 0 {
		t.Fatalf("no pick list: %v", v)
	}
	prev := ""
	for _, raw := range picks {
		p := raw.(map[string]any)
		versions, _ := p["supportedVersions"].([]any)
		name, _ := p["name"].(string)
		if p["id"] == "" || name == "" || len(versions) == 0 || len(versions) > 2 || name < prev {
			t.Fatalf("pick %v (after %q)", p, prev)
		}
		prev = name
	}
	// What the pick list offers is what the incident takes.
	h.buy(admin, "gold-2026")
	if r := h.post("/v1/support/activate", admin, ""); r.Status != http.StatusCreated {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	first := picks[0].(map[string]any)
	version := first["supportedVersions"].([]any)[0].(string)
	if r := h.post("/v1/support/incidents", member, `{"category":"on-premises","product":"`+first["id"].(string)+`","productVersion":"`+version+`"}`); r.Status != http.StatusCreated {
		t.Fatalf("an incident for the first pick: %d %s", r.Status, r.Body)
	}
}
