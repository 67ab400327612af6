package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func (h *harness) assignVS(token, benefitID, userID, replaces string) reply {
	body := `{"userId":"` + userID + `"}`
	if replaces != "" {
		body = `{"userId":"` + userID + `","replacesUserId":"` + replaces + `"}`
	}
	return h.post("/v1/visual-studio/"+benefitID+"/assignments", token, body)
}

func (h *harness) removeVS(token, benefitID, userID string) reply {
	return h.do(call{method: "DELETE", path: "/v1/visual-studio/" + benefitID + "/assignments/" + userID, token: token})
}

// vsHolders lists who holds the subscription, through the list route.
func (h *harness) vsHolders(token, benefitID string) []string {
	h.t.Helper()
	r := h.get("/v1/visual-studio/"+benefitID+"/assignments", token)
	if r.Status != http.StatusOK {
		h.t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var ids []string
	for _, it := range r.json(h.t)["items"].([]any) {
		ids = append(ids, it.(map[string]any)["userId"].(string))
	}
	return ids
}

// near reports a JSON time within a few seconds of want: the harness clock,
// once set, runs on from there.
func near(v any, want time.Time) bool {
	s, _ := v.(string)
	got, err := time.Parse(time.RFC3339, s)
	return err == nil && got.Sub(want).Abs() < 5*time.Second
}

func (h *harness) users(admin, domain string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = h.addUser(admin, fmt.Sprintf("u%d@%s", i, domain))
	}
	return out
}

func TestVisualStudioSeats(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	pid, _, admin := h.newPartner("Devs", "USD")
	vs := lineOf(t, h.buy(admin, "action-pack-2026"), "vs-professional") // 3 subscriptions
	users := h.users(admin, "devs.example", 5)

	for _, u := range users[:3] {
		r := h.assignVS(admin, vs, u, "")
		if r.Status != http.StatusCreated {
			t.Fatalf("assign %s: %d %s", u, r.Status, r.Body)
		}
		if m := r.json(t); !near(m["reassignableAt"], start.Add(90*24*time.Hour)) || m["email"] == "" {
			t.Fatalf("assignment view %v", m)
		}
	}
	h.assignVS(admin, vs, users[3], "").problem(t, http.StatusConflict, "no_seats_left")
	// A user holds at most one seat: assigning again changes nothing.
	if r := h.assignVS(admin, vs, users[0], ""); r.Status != http.StatusOK {
		t.Fatalf("repeat: %d %s", r.Status, r.Body)
	}
	h.assignVS(admin, vs, "usr_nobody", "").problem(t, http.StatusUnprocessableEntity, "user_not_found")
	h.post("/v1/visual-studio/"+vs+"/assignments", admin, `{}`).problem(t, http.StatusBadRequest, "validation_failed")

	// An assigned user sees the subscription as theirs in the dashboard.
	member := h.token(pid, users[1])
	line := h.dashboardLine(member, vs)
	if line["used"] != float64(3) || len(line["holders"].([]any)) != 3 || line["assignedToCaller"] != true {
		t.Fatalf("dashboard as a holder: %v", line)
	}
	if other := h.dashboardLine(h.token(pid, users[4]), vs); other["assignedToCaller"] != false {
		t.Fatalf("dashboard as a non-holder: %v", other)
	}

	// The 90-day rule, moved with the injected clock.
	h.clock.Set(start.AddDate(0, 0, 89))
	p := h.assignVS(admin, vs, users[3], users[0]).problem(t, http.StatusConflict, "reassignment_too_soon")
	if !near(p["earliestReassignmentAt"], start.AddDate(0, 0, 90)) {
		t.Fatalf("earliestReassignmentAt = %v", p["earliestReassignmentAt"])
	}
	h.clock.Set(start.AddDate(0, 0, 90).Add(time.Second)) // day 90 (the set clock runs on)
	r := h.assignVS(admin, vs, users[3], users[0])
	if r.Status != http.StatusCreated || r.json(t)["replacedUserId"] != users[0] {
		t.Fatalf("move on day 90: %d %s", r.Status, r.Body)
	}
	if got := h.vsHolders(admin, vs); len(got) != 3 || strings.Contains(strings.Join(got, ","), users[0]) {
		t.Fatalf("holders after the move: %v", got)
	}
	h.assignVS(admin, vs, users[4], "usr_nobody").problem(t, http.StatusUnprocessableEntity, "user_not_assigned")
	h.assignVS(admin, vs, users[1], users[2]).problem(t, http.StatusConflict, "already_assigned")

	// Removal: a seat under 90 days old stays locked, for anyone else.
	if r := h.removeVS(admin, vs, users[1]); r.Status != http.StatusNoContent {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	h.removeVS(admin, vs, users[1]).problem(t, http.StatusNotFound, "not_found")
	if r := h.assignVS(admin, vs, users[0], ""); r.Status != http.StatusCreated {
		t.Fatalf("users[1]'s seat was 90 days old, so it is free: %d %s", r.Status, r.Body)
	}
	// users[3] got their seat today: removing it locks it until day 180.
	if r := h.removeVS(admin, vs, users[3]); r.Status != http.StatusNoContent {
		t.Fatalf("remove users[3]: %d %s", r.Status, r.Body)
	}
	h.assignVS(admin, vs, users[1], "").problem(t, http.StatusConflict, "no_seats_left")
	// The same user may have it back, keeping its clock.
	if r := h.assignVS(admin, vs, users[3], ""); r.Status != http.StatusCreated ||
		!near(r.json(t)["assignedAt"], start.AddDate(0, 0, 90)) {
		t.Fatalf("reclaim: %d %s", r.Status, r.Body)
	}

	// Roles and partners.
	mpn := h.token(pid, users[1], "mpn-partner-admin")
	h.assignVS(mpn, vs, users[1], "").problem(t, http.StatusForbidden, "forbidden_role")
	h.removeVS(mpn, vs, users[3]).problem(t, http.StatusForbidden, "forbidden_role")
	_, otherAdminID, other := h.newPartner("Elsewhere", "USD")
	h.assignVS(other, vs, otherAdminID, "").problem(t, http.StatusNotFound, "not_found")
	h.removeVS(other, vs, users[3]).problem(t, http.StatusNotFound, "not_found")
	h.get("/v1/visual-studio/"+vs+"/assignments", other).problem(t, http.StatusNotFound, "not_found")
	credit := creditLine(t, h.buy(admin, "action-pack-2026"), "credit-monthly", 0)
	h.assignVS(admin, credit, users[1], "").problem(t, http.StatusNotFound, "not_found")
}

// Removing a seat before its 90 days keeps it from everyone else until
// day 90 of its assignment; at day 90 the next user takes it.
func TestVisualStudioLockedSeatFreesOnDay90(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	_, _, admin := h.newPartner("Locks", "USD")
	vs := lineOf(t, h.buy(admin, "action-pack-2026"), "vs-professional")
	users := h.users(admin, "locks.example", 4)
	for _, u := range users[:3] {
		if r := h.assignVS(admin, vs, u, ""); r.Status != http.StatusCreated {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
	}
	h.clock.Set(start.AddDate(0, 0, 5))
	if r := h.removeVS(admin, vs, users[0]); r.Status != http.StatusNoContent {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	if line := h.dashboardLine(admin, vs); line["used"] != float64(3) || len(line["holders"].([]any)) != 2 {
		t.Fatalf("a locked seat is used but held by nobody: %v", line)
	}
	h.clock.Set(start.AddDate(0, 0, 89))
	p := h.assignVS(admin, vs, users[3], "").problem(t, http.StatusConflict, "no_seats_left")
	if !near(p["nextSeatFreeAt"], start.AddDate(0, 0, 90)) {
		t.Fatalf("nextSeatFreeAt = %v", p["nextSeatFreeAt"])
	}
	h.clock.Set(start.AddDate(0, 0, 90).Add(time.Second)) // day 90 (the set clock runs on)
	if r := h.assignVS(admin, vs, users[3], ""); r.Status != http.StatusCreated {
		t.Fatalf("day 90: %d %s", r.Status, r.Body)
	}
	if line := h.dashboardLine(admin, vs); line["used"] != float64(3) || len(line["holders"].([]any)) != 3 {
		t.Fatalf("after the lock was reused: %v", line)
	}
}

func TestConcurrentVisualStudioAssignmentsNeverExceedQuantity(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("VSRace", "USD")
	vs := lineOf(t, h.buy(admin, "action-pack-2026"), "vs-professional") // 3 subscriptions
	users := h.users(admin, "vsrace.example", 10)
	statuses := make([]int, len(users)+4)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() { statuses[i] = h.assignVS(admin, vs, u, "").Status })
	}
	// The same user four more times at once: one seat at most.
	for i := range 4 {
		wg.Go(func() { statuses[len(users)+i] = h.assignVS(admin, vs, users[0], "").Status })
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	holders := h.vsHolders(admin, vs)
	line := h.dashboardLine(admin, vs)
	if counts[http.StatusCreated] > 3 || len(holders) != 3 || line["used"] != float64(3) ||
		counts[http.StatusCreated]+counts[http.StatusOK]+counts[http.StatusConflict] != len(statuses) {
		t.Fatalf("statuses %v, holders %v, used %v", counts, holders, line["used"])
	}
}

func TestConcurrentMovesOfOneSeatMoveItOnce(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	_, _, admin := h.newPartner("Movers", "USD")
	vs := lineOf(t, h.buy(admin, "action-pack-2026"), "vs-professional")
	users := h.users(admin, "movers.example", 7)
	if r := h.assignVS(admin, vs, users[0], ""); r.Status != http.StatusCreated {
		t.Fatal(r.Status)
	}
	h.clock.Set(start.AddDate(0, 0, 91))
	statuses := make([]int, 6)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() { statuses[i] = h.assignVS(admin, vs, users[i+1], users[0]).Status })
	}
	wg.Wait()
	moved := 0
	for _, s := range statuses {
		if s == http.StatusCreated {
			moved++
		} else if s != http.StatusUnprocessableEntity && s != http.StatusConflict {
			t.Errorf("status %d", s)
		}
	}
	if holders := h.vsHolders(admin, vs); moved != 1 || len(holders) != 1 {
		t.Fatalf("%d moves succeeded, holders %v", moved, holders)
	}
}

func TestVisualStudioBulk(t *testing.T) {
	h := newHarness(t)
	pid, _, admin := h.newPartner("Bulk", "USD")
	vs := lineOf(t, h.buy(admin, "silver-2026"), "vs-professional") // 10 subscriptions
	users := h.users(admin, "bulk.example", 11)
	path := "/v1/visual-studio/" + vs + "/assignments:bulk"

	csv := "userId\n" + strings.Join(users[:4], "\n") + "\nusr_nobody\n" + users[0] + "\n"
	r := h.do(call{method: "POST", path: path, token: admin, body: csv,
		headers: map[string]string{"Content-Type": "text/csv", "Idempotency-Key": "bulk-1"}})
	if r.Status != http.StatusOK {
		t.Fatalf("csv bulk: %d %s", r.Status, r.Body)
	}
	rep := r.json(t)
	sum := rep["summary"].(map[string]any)
	if sum["rows"] != float64(6) || sum["assigned"] != float64(4) || sum["failed"] != float64(1) || sum["unchanged"] != float64(1) {
		t.Fatalf("summary %v", sum)
	}
	bad := rep["rows"].([]any)[4].(map[string]any)
	if bad["row"] != float64(5) || bad["result"] != "failed" || bad["error"].(map[string]any)["code"] != "user_not_found" {
		t.Fatalf("row 5: %v", bad)
	}
	// The same key replays the report; the seats were taken once.
	again := h.do(call{method: "POST", path: path, token: admin, body: csv,
		headers: map[string]string{"Content-Type": "text/csv", "Idempotency-Key": "bulk-1"}})
	if again.Status != http.StatusOK || string(again.Body) != string(r.Body) {
		t.Fatalf("replay: %d %s", again.Status, again.Body)
	}
	if n := len(h.vsHolders(admin, vs)); n != 4 {
		t.Fatalf("%d holders after a replay", n)
	}

	// JSON rows; more rows than free seats: the rest fail with no_seats_left.
	var rows []string
	for _, u := range users[4:] {
		rows = append(rows, `{"userId":"`+u+`"}`)
	}
	r = h.post(path, admin, `{"assignments":[`+strings.Join(rows, ",")+`]}`)
	if r.Status != http.StatusOK {
		t.Fatalf("json bulk: %d %s", r.Status, r.Body)
	}
	sum = r.json(t)["summary"].(map[string]any)
	if sum["assigned"] != float64(6) || sum["failed"] != float64(1) {
		t.Fatalf("json summary %v", sum)
	}
	last := r.json(t)["rows"].([]any)[6].(map[string]any)
	if last["error"].(map[string]any)["code"] != "no_seats_left" {
		t.Fatalf("last row %v", last)
	}
	if line := h.dashboardLine(admin, vs); line["used"] != float64(10) {
		t.Fatalf("used %v", line["used"])
	}

	// Bad requests.
	h.do(call{method: "POST", path: path, token: admin, body: "email\nx@y\n",
		headers: map[string]string{"Content-Type": "text/csv"}}).problem(t, http.StatusBadRequest, "validation_failed")
	h.post(path, admin, `{"assignments":[]}`).problem(t, http.StatusBadRequest, "validation_failed")
	tooMany := strings.Repeat(`{"userId":"`+users[0]+`"},`, 10) + `{"userId":"` + users[0] + `"}`
	h.post(path, admin, `{"assignments":[`+tooMany+`]}`).problem(t, http.StatusBadRequest, "validation_failed")
	h.do(call{method: "POST", path: path, token: admin, body: "x",
		headers: map[string]string{"Content-Type": "text/plain"}}).problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
	h.post(path, h.token(pid, users[0], "mpn-partner-admin"), `{"assignments":[{"userId":"x"}]}`).problem(t, http.StatusForbidden, "forbidden_role")
	_, _, other := h.newPartner("NotBulk", "USD")
	h.post(path, other, `{"assignments":[{"userId":"`+users[0]+`"}]}`).problem(t, http.StatusNotFound, "not_found")
}
