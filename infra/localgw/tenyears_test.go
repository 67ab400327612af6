package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/partner"
)

// TestTenYearPartnerDashboardStaysOnePage ages a partner ten years with
// the injected clock: every year it buys a package with 300 Visual Studio
// seats and a monthly credit for 150 holders, fills them, and the year
// ends (expiry, then the release job). The dashboard, which every
// purchase, support and cancel decision also reads, must stay one Query
// page under 100 read units: the seats of lines that ended are released
// (their history is in the audit trail), so it grows only by the line
// items, not by everyone who ever held a seat.
func TestTenYearPartnerDashboardStaysOnePage(t *testing.T) {
	h := newHarness(t)
	h.publishPackages("ten-years-1", map[string]any{"id": "growth-2026", "plan": "gold", "name": "Growth", "benefits": []any{
		map[string]any{"kind": "visual-studio", "product": "vs-enterprise", "quantity": 300, "benefitType": "core"},
		map[string]any{"kind": "credit-monthly", "product": "cloud-credit-monthly", "quantity": 150, "benefitType": "core",
			"credit": map[string]any{"USD": 10000, "EUR": 9000, "JPY": 1500000, "GBP": 8000}},
	}})
	pid, _, admin := h.newPartner("Decade", "USD")
	ctx := context.Background()
	users := make([]string, 300)
	for i := range users {
		u, err := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_decade%04d", i), PartnerID: pid,
			Email: fmt.Sprintf("u%04d@decade.example", i), DisplayName: "User", CreatedAt: h.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.svc.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users[i] = u.ID
	}
	start := h.clock.Now()
	for year := range 10 {
		h.clock.Set(start.AddDate(year, 0, 0))
		p := h.buy(admin, "growth-2026")
		vs, monthly := lineOf(t, p, "vs-enterprise"), creditLine(t, p, "credit-monthly", 0)
		for chunk := range slices.Chunk(users, 50) {
			rows := make([]string, len(chunk))
			for i, u := range chunk {
				rows[i] = `{"userId":"` + u + `"}`
			}
			if r := h.post("/v1/visual-studio/"+vs+"/assignments:bulk", admin, `{"assignments":[`+strings.Join(rows, ",")+`]}`); r.Status != http.StatusOK ||
				r.json(t)["summary"].(map[string]any)["assigned"] != float64(len(chunk)) {
				t.Fatalf("year %d: bulk: %d %.300s", year, r.Status, r.Body)
			}
		}
		for _, u := range users[:150] {
			if r := h.assign(admin, monthly, u); r.Status != http.StatusCreated {
				t.Fatalf("year %d: credit holder: %d %s", year, r.Status, r.Body)
			}
		}
		// The year ends: the lines expire and their seats are released.
		h.clock.Set(start.AddDate(year+1, 0, 1))
		h.runJob("expire-benefits")
		h.runJob("finish-cancellations")
	}

	h.calls.Reset()
	if r := h.get("/v1/benefits", admin); r.Status != http.StatusOK {
		t.Fatalf("dashboard: %d %s", r.Status, r.Body)
	}
	rcu, _ := h.calls.Capacity()
	calls := h.calls.Reset()
	if calls["Query"] != 1 || rcu >= 100 {
		t.Errorf("ten-year dashboard: %v, %.1f RCU; want one Query page under 100 RCU", calls, rcu)
	}
	t.Logf("ten-year dashboard: %v, %.1f RCU", calls, rcu)
}
