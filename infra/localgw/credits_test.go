package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// addUser adds a directory user through the API and returns its id.
func (h *harness) addUser(token, email string) string {
	h.t.Helper()
	r := h.post("/v1/users", token, `{"email":"`+email+`","displayName":"`+email+`"}`)
	if r.Status != http.StatusCreated {
		h.t.Fatalf("add user %s: %d %s", email, r.Status, r.Body)
	}
	return r.json(h.t)["id"].(string)
}

func (h *harness) assign(token, benefitID, userID string) reply {
	return h.post("/v1/credits/"+benefitID+"/users", token, `{"userId":"`+userID+`"}`)
}

// creditLine returns the id of the n-th line of a kind in a purchase response.
func creditLine(t testing.TB, purchase map[string]any, kind string, n int) string {
	t.Helper()
	for _, b := range purchase["benefits"].([]any) {
		if m := b.(map[string]any); m["kind"] == kind {
			if n == 0 {
				return m["id"].(string)
			}
			n--
		}
	}
	t.Fatalf("no %s line", kind)
	return ""
}

// dashboardLine returns one line of GET /v1/benefits.
func (h *harness) dashboardLine(token, benefitID string) map[string]any {
	h.t.Helper()
	r := h.get("/v1/benefits", token)
	for _, b := range r.json(h.t)["benefits"].([]any) {
		if m := b.(map[string]any); m["id"] == benefitID {
			return m
		}
	}
	h.t.Fatalf("no line %s in the dashboard", benefitID)
	return nil
}

func TestMonthlyCreditSeats(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Seats", "EUR")
	monthly := creditLine(t, h.buy(admin, "action-pack-2026"), "credit-monthly", 0)
	users := make([]string, 6)
	for i := range users {
		users[i] = h.addUser(admin, fmt.Sprintf("u%d@seats.example", i))
	}
	for _, u := range users[:5] {
		if r := h.assign(admin, monthly, u); r.Status != http.StatusCreated {
			t.Fatalf("assign %s: %d %s", u, r.Status, r.Body)
		}
	}
	h.assign(admin, monthly, users[5]).problem(t, http.StatusConflict, "no_seats_left")
	// A user already on the credit: 200, nothing changes.
	if r := h.assign(admin, monthly, users[0]); r.Status != http.StatusOK || r.json(t)["used"] != float64(5) {
		t.Fatalf("repeat assign: %d %s", r.Status, r.Body)
	}
	// A removed user's seat is free again at once.
	if r := h.do(call{method: "DELETE", path: "/v1/credits/" + monthly + "/users/" + users[0], token: admin}); r.Status != http.StatusNoContent {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	if r := h.assign(admin, monthly, users[5]); r.Status != http.StatusCreated {
		t.Fatalf("assign into the freed seat: %d %s", r.Status, r.Body)
	}
	h.do(call{method: "DELETE", path: "/v1/credits/" + monthly + "/users/" + users[0], token: admin}).problem(t, http.StatusNotFound, "not_found")

	line := h.dashboardLine(admin, monthly)
	if line["used"] != float64(5) || len(line["holders"].([]any)) != 5 {
		t.Errorf("dashboard line = %v", line)
	}
	if b := line["balance"].(map[string]any); b["amount"] != float64(0) || b["currency"] != "EUR" {
		t.Errorf("balance before any grant = %v", b)
	}

	// The user must be in this partner's directory.
	h.assign(admin, monthly, "usr_nobody").problem(t, http.StatusUnprocessableEntity, "user_not_found")
	h.post("/v1/credits/"+monthly+"/users", admin, `{}`).problem(t, http.StatusBadRequest, "validation_failed")
	// Only a global admin assigns.
	mpn := h.token(h.partnerOf(admin), users[1], "mpn-partner-admin", "user-management-admin")
	h.assign(mpn, monthly, users[1]).problem(t, http.StatusForbidden, "forbidden_role")
	// Another partner's credit is not found, for seats and the ledger.
	_, otherAdminID, other := h.newPartner("Other", "USD")
	h.assign(other, monthly, otherAdminID).problem(t, http.StatusNotFound, "not_found")
	h.get("/v1/credits/"+monthly+"/ledger", other).problem(t, http.StatusNotFound, "not_found")
	// A benefit that is not a credit is not a credit route's resource.
	software := lineOf(t, h.buy(admin, "action-pack-2026"), "office-suite-pro")
	h.assign(admin, software, users[1]).problem(t, http.StatusNotFound, "not_found")
	h.do(call{method: "DELETE", path: "/v1/credits/" + monthly + "/users/" + users[1], token: mpn}).problem(t, http.StatusForbidden, "forbidden_role")
}

func TestConcurrentAssignmentsNeverExceedQuantity(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Race", "USD")
	monthly := creditLine(t, h.buy(admin, "action-pack-2026"), "credit-monthly", 0) // 5 subscriptions
	users := make([]string, 12)
	for i := range users {
		users[i] = h.addUser(admin, fmt.Sprintf("r%d@race.example", i))
	}
	statuses := make([]int, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() { statuses[i] = h.assign(admin, monthly, u).Status })
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("unexpected status %d", s)
		}
	}
	line := h.dashboardLine(admin, monthly)
	if created != 5 || line["used"] != float64(5) || len(line["holders"].([]any)) != 5 {
		t.Fatalf("%d assignments succeeded, dashboard used %v with %d holders; want 5", created, line["used"], len(line["holders"].([]any)))
	}
}

func TestAnnualCreditGrantTransferAndRemoval(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	_, _, admin := h.newPartner("Annual", "JPY")
	gold := h.buy(admin, "gold-2026")
	annual, annual2 := creditLine(t, gold, "credit-annual", 0), creditLine(t, gold, "credit-annual", 1)
	a, b, c := h.addUser(admin, "a@annual.example"), h.addUser(admin, "b@annual.example"), h.addUser(admin, "c@annual.example")

	r := h.assign(admin, annual, a)
	if r.Status != http.StatusCreated {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	if bal := r.json(t)["balance"].(map[string]any); bal["amount"] != float64(1950000) || bal["currency"] != "JPY" {
		t.Errorf("annual amount granted at assignment = %v, want 1950000 JPY", bal)
	}
	end, err := time.Parse(time.RFC3339, r.json(t)["enrolment"].(map[string]any)["endsAt"].(string))
	if err != nil || end.Before(start.AddDate(1, 0, 0)) {
		t.Fatalf("enrolment end %v: %v", end, err)
	}
	h.assign(admin, annual, b).problem(t, http.StatusConflict, "no_seats_left")
	h.do(call{method: "DELETE", path: "/v1/credits/" + annual + "/users/" + a, token: admin}).problem(t, http.StatusConflict, "credit_not_removable")
	// Not combinable, in either order: a holds an annual credit, so no
	// other credit; and b, once holding a monthly credit, no annual one.
	monthly := creditLine(t, h.buy(admin, "action-pack-2026"), "credit-monthly", 0)
	h.assign(admin, monthly, a).problem(t, http.StatusConflict, "offer_not_combinable")
	h.assign(admin, annual2, a).problem(t, http.StatusConflict, "offer_not_combinable")
	if r := h.assign(admin, monthly, b); r.Status != http.StatusCreated {
		t.Fatalf("monthly for b: %d %s", r.Status, r.Body)
	}
	h.assign(admin, annual2, b).problem(t, http.StatusConflict, "offer_not_combinable")
	h.post("/v1/credits/"+annual+"/transfer", admin, `{"toUserId":"`+b+`"}`).problem(t, http.StatusConflict, "offer_not_combinable")
	h.post("/v1/credits/"+monthly+"/transfer", admin, `{"toUserId":"`+c+`"}`).problem(t, http.StatusConflict, "credit_not_transferable")
	h.post("/v1/credits/"+annual2+"/transfer", admin, `{"toUserId":"`+c+`"}`).problem(t, http.StatusConflict, "credit_not_assigned")

	// A transfer moves the holder, not the money; a's offers are free again.
	h.clock.Set(start.AddDate(0, 6, 0))
	r = h.post("/v1/credits/"+annual+"/transfer", admin, `{"toUserId":"`+c+`"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("transfer: %d %s", r.Status, r.Body)
	}
	ledger := h.get("/v1/credits/"+annual+"/ledger", admin).json(t)
	grants := ledger["grants"].([]any)
	if ledger["balance"] != float64(1950000) || len(grants) != 1 || grants[0].(map[string]any)["period"] != "2026-11" || ledger["currency"] != "JPY" {
		t.Errorf("ledger after transfer = %v", ledger)
	}
	holders := ledger["holders"].([]any)
	if len(holders) != 1 || holders[0].(map[string]any)["userId"] != c {
		t.Errorf("holders after transfer = %v", holders)
	}
	if r := h.assign(admin, monthly, a); r.Status != http.StatusCreated {
		t.Errorf("a after the transfer may hold a monthly credit: %d %s", r.Status, r.Body)
	}

	// Transfers are open for the enrolment year: 12 months from the first
	// assignment: a second before its end in, the end out.
	h.clock.Set(end.Add(-time.Second))
	if r := h.post("/v1/credits/"+annual+"/transfer", admin, `{"toUserId":"`+b+`"}`); r.Status != http.StatusConflict {
		t.Fatalf("b holds a monthly credit: %d %s", r.Status, r.Body)
	}
	d := h.addUser(admin, "d@annual.example")
	if r := h.post("/v1/credits/"+annual+"/transfer", admin, `{"toUserId":"`+d+`"}`); r.Status != http.StatusOK {
		t.Fatalf("transfer just inside the enrolment year: %d %s", r.Status, r.Body)
	}
	h.clock.Set(end)
	p := h.post("/v1/credits/"+annual+"/transfer", admin, `{"toUserId":"`+c+`"}`).problem(t, http.StatusConflict, "transfer_window_closed")
	if p["enrolmentEndsAt"] == nil {
		t.Errorf("transfer_window_closed names the end: %v", p)
	}
}

func TestRacingAnnualAndMonthlyNeverBothSucceed(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Combo", "USD")
	annual := creditLine(t, h.buy(admin, "silver-2026"), "credit-annual", 0)
	monthly := creditLine(t, h.buy(admin, "action-pack-2026"), "credit-monthly", 0)
	for i := range 10 {
		u := h.addUser(admin, fmt.Sprintf("combo%d@combo.example", i))
		// Free the annual credit's seat is impossible, so each round uses a
		// fresh line pair: buy again.
		if i > 0 {
			annual = creditLine(t, h.buy(admin, "silver-2026"), "credit-annual", 0)
			monthly = creditLine(t, h.buy(admin, "action-pack-2026"), "credit-monthly", 0)
		}
		var ra, rm reply
		var wg sync.WaitGroup
		wg.Go(func() { ra = h.assign(admin, annual, u) })
		wg.Go(func() { rm = h.assign(admin, monthly, u) })
		wg.Wait()
		okA, okM := ra.Status == http.StatusCreated, rm.Status == http.StatusCreated
		if okA == okM {
			t.Fatalf("round %d: annual %d, monthly %d: exactly one must succeed\n%s\n%s", i, ra.Status, rm.Status, ra.Body, rm.Body)
		}
		loser := ra
		if okA {
			loser = rm
		}
		loser.problem(t, http.StatusConflict, "offer_not_combinable")
	}
}
