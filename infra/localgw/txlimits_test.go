package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/catalog"
)

// bigPackage is a package of n software lines and one monthly credit line:
// n + 2 items (catalog.Package.Items), every software line one a cancel
// must fence (revoke only if still without a key).
func bigPackage(id string, n int) map[string]any {
	lines := []any{map[string]any{"kind": "credit-monthly", "product": "cloud-credit-monthly", "quantity": 5, "benefitType": "core",
		"credit": map[string]any{"USD": 10000, "EUR": 9000, "JPY": 1500000, "GBP": 8000}}}
	for range n {
		lines = append(lines, map[string]any{"kind": "software", "product": "office-suite-pro", "quantity": 1, "benefitType": "core"})
	}
	return map[string]any{"id": id, "plan": "gold", "name": "Big " + id, "benefits": lines}
}

// TestPackageAtTheTransactionLimit: the largest package the catalogue
// accepts (catalog.MaxPackageItems items) can be bought and cancelled, each
// in its one transaction, with every line fenced; one item more is refused
// when the catalogue is published, naming the package's benefits, so no
// purchase or cancel of it can ever pass DynamoDB's 100 actions.
func TestPackageAtTheTransactionLimit(t *testing.T) {
	h := newHarness(t)
	h.publishPackages("tx-limit-1", bigPackage("at-limit-2026", catalog.MaxPackageItems-2))
	_, _, admin := h.newPartner("Limits", "USD")
	p := h.buy(admin, "at-limit-2026")
	if n := len(p["benefits"].([]any)); n != catalog.MaxPackageItems-1 {
		t.Fatalf("%d lines bought, want %d", n, catalog.MaxPackageItems-1)
	}
	if r := h.cancel(admin, p["id"].(string)); r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("cancel at the limit: %d %.300s", r.Status, r.Body)
	}
	got := h.get("/v1/purchases/"+p["id"].(string), admin).json(t)
	if got["status"] != "cancelled" {
		t.Fatalf("purchase after cancel: %v", got["status"])
	}
	for _, b := range got["benefits"].([]any) {
		if s := b.(map[string]any)["status"]; s != "revoked" {
			t.Fatalf("line %v after the cancel, want revoked", b)
		}
	}

	var doc map[string]any
	if err := json.Unmarshal(catalog.Demo, &doc); err != nil {
		t.Fatal(err)
	}
	doc["version"] = "tx-limit-2"
	past := bigPackage("past-limit-2026", catalog.MaxPackageItems-1)
	past["price"] = map[string]any{"USD": 1, "EUR": 1, "JPY": 1, "GBP": 1}
	doc["packages"] = append(doc["packages"].([]any), past)
	raw, _ := json.Marshal(doc)
	m := h.post("/v1/admin/catalog", h.operator(), string(raw)).problem(t, http.StatusUnprocessableEntity, "catalog_invalid")
	fields, _ := json.Marshal(m["errors"])
	if want := `benefits`; !strings.Contains(string(fields), want) || !strings.Contains(string(fields), "at most 95 items") {
		t.Errorf("refusal %s does not name the package's benefits and the limit", fields)
	}
}

// TestAdvisoryRequestAtTheTransactionLimit: an advisory request drawing on
// advisory.MaxDrawLines lines (one hour each) is one transaction of the
// lines, the request and its audit event; one more line is refused before
// anything is written, naming the most one request can ask for.
func TestAdvisoryRequestAtTheTransactionLimit(t *testing.T) {
	h := newHarness(t)
	lines := make([]any, advisory.MaxDrawLines)
	for i := range lines {
		lines[i] = map[string]any{"kind": "advisory-hours", "product": "advisory-hours", "quantity": 1, "benefitType": "incremental"}
	}
	h.publishPackages("tx-limit-hours", map[string]any{"id": "hours-2026", "plan": "gold", "name": "Hours", "benefits": lines})
	_, _, admin := h.newPartner("Hours", "USD")
	h.buy(admin, "hours-2026")
	h.buy(admin, "hours-2026")
	m := h.advisory(admin, "Spread thin", advisory.MaxDrawLines+1).problem(t, http.StatusBadRequest, "validation_failed")
	if fields, _ := json.Marshal(m["errors"]); !strings.Contains(string(fields), fmt.Sprintf("at most %d in one request", advisory.MaxDrawLines)) {
		t.Errorf("refusal %s does not name the most one request can ask for", fields)
	}
	// 99 lines would be 101 items: DynamoDB refused it, a 500, before the bound.
	h.advisory(admin, "Past the transaction", advisory.MaxDrawLines+4).problem(t, http.StatusBadRequest, "validation_failed")
	if r := h.advisory(admin, "At the limit", advisory.MaxDrawLines); r.Status != http.StatusCreated {
		t.Fatalf("%d hours over %d lines: %d %.300s", advisory.MaxDrawLines, advisory.MaxDrawLines, r.Status, r.Body)
	}
	if r := h.advisory(admin, "The rest", advisory.MaxDrawLines); r.Status != http.StatusCreated {
		t.Fatalf("the other %d hours: %d %.300s", advisory.MaxDrawLines, r.Status, r.Body)
	}
}
