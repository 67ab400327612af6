package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestExpireBenefitsRemindsTwiceThenExpiresOnce(t *testing.T) {
	h := newMailHarness(t)
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	name := fmt.Sprintf("Lapse%d", time.Now().UnixNano())
	_, _, admin := h.newPartner(name, "USD")
	account := "admin@" + strings.ToLower(name) + ".example"
	second := unique("second-admin")
	r := h.post("/v1/users", admin, `{"email":"`+second+`","displayName":"Second","roles":["global-admin"]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("second admin: %d %s", r.Status, r.Body)
	}
	member := unique("member")
	h.addUser(admin, member)
	pack := h.buy(admin, "action-pack-2026")
	lines := len(pack["benefits"].([]any))
	expires := start.AddDate(1, 0, 0)
	run := func(at time.Time) map[string]any {
		t.Helper()
		h.clock.Set(at)
		return h.runJob("expire-benefits")
	}
	reminders := func(addr string) int {
		n := 0
		for _, m := range h.mailTo(addr) {
			if strings.Contains(m.Subject, "expire") {
				n++
			}
		}
		return n
	}

	if sum := run(expires.AddDate(0, 0, -31)); sum["reminded30"] != float64(0) || sum["emails"] != float64(0) {
		t.Fatalf("31 days before: %v", sum)
	}
	sum := run(expires.AddDate(0, 0, -30))
	if sum["reminded30"] != float64(lines) || sum["emails"] != float64(1) {
		t.Fatalf("30 days before: %v", sum)
	}
	// However often it runs, each reminder goes once.
	if sum := run(expires.AddDate(0, 0, -30).Add(time.Hour)); sum["reminded30"] != float64(0) || sum["emails"] != float64(0) {
		t.Fatalf("30 days before, again: %v", sum)
	}
	if sum := run(expires.AddDate(0, 0, -20)); sum["emails"] != float64(0) {
		t.Fatalf("20 days before: %v", sum)
	}
	if sum := run(expires.AddDate(0, 0, -7)); sum["reminded7"] != float64(lines) || sum["emails"] != float64(1) {
		t.Fatalf("7 days before: %v", sum)
	}
	if sum := run(expires.AddDate(0, 0, -6)); sum["reminded7"] != float64(0) || sum["emails"] != float64(0) {
		t.Fatalf("6 days before: %v", sum)
	}
	for _, addr := range []string{account, second} {
		if n := reminders(addr); n != 2 {
			t.Fatalf("%d reminders to %s, want 2", n, addr)
		}
	}
	if n := reminders(member); n != 0 {
		t.Fatalf("a member got %d reminders", n)
	}
	mails := h.mailTo(second)
	last := mails[len(mails)-1]
	if !strings.Contains(last.Subject, "7 days") || !strings.Contains(last.Text, expires.Format(time.DateOnly)) ||
		!strings.Contains(last.Text, "Office Suite") {
		t.Fatalf("7-day reminder %q\n%s", last.Subject, last.Text)
	}

	// Before the expiry instant nothing expires; after it, everything, once.
	if sum := run(expires.Add(-time.Minute)); sum["expired"] != float64(0) {
		t.Fatalf("a minute before: %v", sum)
	}
	if sum := run(expires.Add(time.Hour)); sum["expired"] != float64(lines) {
		t.Fatalf("after expiry: %v", sum)
	}
	if sum := run(expires.Add(2 * time.Hour)); sum["expired"] != float64(0) {
		t.Fatalf("again: %v", sum)
	}
	// A run that missed days catches up.
	for _, b := range h.get("/v1/benefits", admin).json(t)["benefits"].([]any) {
		if st := b.(map[string]any)["status"]; st != "expired" {
			t.Fatalf("line %v", b)
		}
	}
	got, _, _ := h.auditActions(admin, "?limit=100")
	expired := 0
	for _, a := range got {
		if a == "benefit.expired" {
			expired++
		}
	}
	if expired != lines {
		t.Fatalf("%d benefit.expired events, want %d", expired, lines)
	}
}

func TestExpireBenefitsCatchesUpMissedDays(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	_, _, admin := h.newPartner("CatchUp", "USD")
	lines := len(h.buy(admin, "action-pack-2026")["benefits"].([]any))
	// The job did not run for 20 days after the expiry.
	h.clock.Set(start.AddDate(1, 0, 20))
	if sum := h.runJob("expire-benefits"); sum["expired"] != float64(lines) {
		t.Fatalf("catch-up run: %v", sum)
	}
}
