package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store"
)

func (h *harness) cancel(token, purchaseID string) reply {
	return h.post("/v1/purchases/"+purchaseID+"/cancel", token, `{"reason":"Bought the wrong plan <by mistake>"}`)
}

func purchasedAt(t testing.TB, purchase map[string]any) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, purchase["purchasedAt"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestCancelWindowAndRules(t *testing.T) {
	h := newHarness(t)
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	h.importKeys("office-suite-pro", "CANCEL-00001")
	pid, _, admin := h.newPartner("Cancels", "USD")
	first := h.buy(admin, "action-pack-2026")
	second := h.buy(admin, "action-pack-2026")
	third := h.buy(admin, "action-pack-2026")

	// Day 30: the window closes at purchasedAt + 30 × 24 h exactly.
	h.clock.Set(purchasedAt(t, first).Add(cancel.Window))
	p := h.cancel(admin, first["id"].(string)).problem(t, http.StatusConflict, "cancel_window_closed")
	if !near(p["windowClosedAt"], purchasedAt(t, first).Add(cancel.Window)) {
		t.Fatalf("windowClosedAt %v", p["windowClosedAt"])
	}
	h.clock.Set(purchasedAt(t, second).Add(cancel.Window - time.Second))
	r := h.cancel(admin, second["id"].(string))
	if r.Status != http.StatusCreated {
		t.Fatalf("a second before the window closes: %d %s", r.Status, r.Body)
	}
	sr := r.json(t)
	if sr["status"] != "pending" || sr["refund"].(map[string]any)["amount"] != second["price"].(map[string]any)["amount"] ||
		sr["refund"].(map[string]any)["currency"] != "USD" || !strings.HasPrefix(sr["serviceRequestId"].(string), "sr_") {
		t.Fatalf("service request %v", sr)
	}
	h.cancel(admin, second["id"].(string)).problem(t, http.StatusConflict, "already_cancelled")

	// GET shows the request; every line of the purchase reads revoked.
	got := h.get("/v1/purchases/"+second["id"].(string), admin).json(t)
	if got["status"] != "cancelled" || got["cancellation"].(map[string]any)["serviceRequestId"] != sr["serviceRequestId"] {
		t.Fatalf("purchase %v", got)
	}
	for _, b := range got["benefits"].([]any) {
		if b.(map[string]any)["status"] != "revoked" {
			t.Fatalf("line %v", b)
		}
	}
	if h.get("/v1/purchases/"+third["id"].(string), admin).json(t)["cancellation"] != nil {
		t.Fatal("an uncancelled purchase shows a cancellation")
	}

	// A software key taken: no cancellation.
	h.clock.Set(start.Add(time.Hour))
	if r := h.post("/v1/software/"+lineOf(t, third, "office-suite-pro")+"/key", admin, ""); r.Status != http.StatusOK {
		t.Fatalf("key: %d %s", r.Status, r.Body)
	}
	h.cancel(admin, third["id"].(string)).problem(t, http.StatusConflict, "software_benefit_activated")

	// Roles and partners.
	fourth := h.buy(admin, "action-pack-2026")
	userID := h.addUser(admin, "someone@cancels.example")
	for _, roles := range [][]string{nil, {"user-management-admin"}, {"admin-agent"}} {
		h.cancel(h.token(pid, userID, roles...), fourth["id"].(string)).problem(t, http.StatusForbidden, "forbidden_role")
	}
	_, _, other := h.newPartner("NotCancels", "USD")
	h.cancel(other, fourth["id"].(string)).problem(t, http.StatusNotFound, "not_found")
	h.post("/v1/purchases/"+fourth["id"].(string)+"/cancel", admin, `{"reason":"`+strings.Repeat("x", 1001)+`"}`).
		problem(t, http.StatusBadRequest, "validation_failed")
	if r := h.post("/v1/purchases/"+fourth["id"].(string)+"/cancel", h.token(pid, userID, "mpn-partner-admin"), `{}`); r.Status != http.StatusCreated {
		t.Fatalf("mpn admin, no reason: %d %s", r.Status, r.Body)
	}
}

// Everything a cancelled purchase gave stops working, and its users are free.
func TestCancellationRevokesEverything(t *testing.T) {
	h := newMailHarness(t)
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	h.importKeys("office-cloud-e3", "CANCEL-LIC-1", "CANCEL-LIC-2")
	name := fmt.Sprintf("Revoked%d", time.Now().UnixNano())
	_, _, admin := h.newPartner(name, "USD")
	account := "admin@" + strings.ToLower(name) + ".example"
	gold := h.buy(admin, "gold-2026")
	pack := h.buy(admin, "action-pack-2026")
	users := h.users(admin, strings.ToLower(name)+".example", 4)
	annual := creditLine(t, gold, "credit-annual", 0)
	monthly := creditLine(t, pack, "credit-monthly", 0)
	vs := lineOf(t, gold, "vs-enterprise")
	lic := lineOf(t, gold, "office-cloud-e3")
	offer := lineOf(t, gold, "gtm-case-study")
	must := func(r reply, status int) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%d, want %d: %s", r.Status, status, r.Body)
		}
	}
	// An assigned annual credit is granted at once, which refuses the
	// refund (refund_matrix_test.go): this purchase's stays unassigned.
	must(h.assignVS(admin, vs, users[1], ""), http.StatusCreated)
	must(h.assignVS(admin, vs, users[2], ""), http.StatusCreated)
	must(h.removeVS(admin, vs, users[2]), http.StatusNoContent) // a locked seat
	contact := unique("cancel-contact")
	must(h.putContact(admin, users[3], contact, "+14255550100", "en"), http.StatusOK)
	must(h.activateOffer(admin, offer), http.StatusOK)
	mails := h.mailTo(contact)
	_, token := linkIn(t, mails[len(mails)-1])

	r := h.cancel(admin, gold["id"].(string))
	must(r, http.StatusCreated)
	srID := r.json(t)["serviceRequestId"].(string)

	// Seats released: hidden from the commit on, deleted by the job.
	if holders := h.vsHolders(admin, vs); len(holders) != 0 {
		t.Fatalf("Visual Studio holders after the cancellation: %v", holders)
	}
	if sum := h.runJob("finish-cancellations"); sum["released"] != float64(1) {
		t.Fatalf("release job %v", sum)
	}
	if sub, err := h.svc.Store.VisualStudio(context.Background(), h.partnerOf(admin), vs); err != nil || len(sub.Seats) != 0 || len(sub.Locks) != 0 {
		t.Fatalf("Visual Studio seats and locks after the release: %+v %v", sub, err)
	}
	must(h.assign(admin, monthly, users[0]), http.StatusCreated)
	// Nothing of the purchase can be used any more.
	h.assign(admin, annual, users[1]).problem(t, http.StatusConflict, "benefit_revoked")
	h.assignVS(admin, vs, users[1], "").problem(t, http.StatusConflict, "benefit_revoked")
	h.redeem(admin, lic, "x.example", "add-seats").problem(t, http.StatusConflict, "benefit_revoked")
	h.post("/v1/software/"+lineOf(t, gold, "office-suite-pro")+"/key", admin, "").problem(t, http.StatusConflict, "benefit_revoked")
	h.post("/v1/gtm/confirm", "", `{"token":"`+token+`"}`).problem(t, http.StatusGone, "token_invalid")
	h.activateOffer(admin, offer).problem(t, http.StatusConflict, "benefit_revoked")
	// No grant for a revoked credit: the monthly one of the action pack is
	// granted, gold's annual credit gets nothing more.
	h.clock.Set(time.Date(2027, 1, 1, 0, 5, 0, 0, time.UTC))
	if sum := h.runJob("monthly-credit-grant"); sum["granted"] != float64(1) {
		t.Fatalf("grant run after the cancellation: %v", sum)
	}
	// Support incidents and advisory hours come only from live lines: the
	// action pack's 5 hours, not gold's 50.
	h.advisory(admin, "After the cancellation", 6).problem(t, http.StatusConflict, "insufficient_hours")

	// The global admins were told, and the history has it.
	found := false
	for _, m := range h.mailTo(account) {
		found = found || strings.Contains(m.Text, srID) && strings.Contains(m.HTML, "&lt;by mistake&gt;")
	}
	if !found {
		t.Fatalf("no cancellation mail with %s to %s", srID, account)
	}
	actions, _, _ := h.auditActions(admin, "?limit=100")
	if !strings.Contains(strings.Join(actions, ","), "purchase.cancelled") {
		t.Fatalf("history %v", actions)
	}

	// The operator lists and resolves the refund; the partner is told.
	op := h.operator()
	list := h.get("/v1/admin/service-requests?status=pending", op).json(t)["items"].([]any)
	if len(list) == 0 || list[0].(map[string]any)["serviceRequestId"] != srID {
		t.Fatalf("pending requests %v", list)
	}
	h.get("/v1/admin/service-requests?status=paid", op).problem(t, http.StatusBadRequest, "validation_failed")
	h.get("/v1/admin/service-requests", admin).problem(t, http.StatusForbidden, "forbidden_role")
	h.post("/v1/admin/service-requests/"+srID+"/resolve", op, `{"status":"refunded"}`).problem(t, http.StatusBadRequest, "validation_failed")
	h.post("/v1/admin/service-requests/sr_nothing/resolve", op, `{"status":"completed"}`).problem(t, http.StatusNotFound, "not_found")
	r = h.post("/v1/admin/service-requests/"+srID+"/resolve", op, `{"status":"completed","note":"Refunded to the card on file"}`)
	if r.Status != http.StatusOK || r.json(t)["status"] != "completed" {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	h.post("/v1/admin/service-requests/"+srID+"/resolve", op, `{"status":"rejected"}`).problem(t, http.StatusConflict, "service_request_resolved")
	if c := h.get("/v1/purchases/"+gold["id"].(string), admin).json(t)["cancellation"].(map[string]any); c["status"] != "completed" ||
		c["note"] != "Refunded to the card on file" {
		t.Fatalf("partner view %v", c)
	}
	done := h.get("/v1/admin/service-requests?status=completed", op).json(t)["items"].([]any)
	if len(done) == 0 || done[0].(map[string]any)["serviceRequestId"] != srID {
		t.Fatalf("completed requests %v", done)
	}
	resolved := false
	for _, m := range h.mailTo(account) {
		resolved = resolved || strings.Contains(m.Text, "Refunded to the card on file")
	}
	if !resolved {
		t.Fatal("no outcome mail")
	}
}

// A get-key racing a cancel: never both succeed, and the state always
// says which one won.
func TestCancelRacingGetKey(t *testing.T) {
	h := newHarness(t)
	const rounds = 50
	keys := make([]string, rounds)
	for i := range keys {
		keys[i] = fmt.Sprintf("RACE-%05d", i)
	}
	h.importKeys("office-suite-pro", keys...)
	_, _, admin := h.newPartner("Racers", "USD")
	wins := map[string]int{}
	for i := range rounds {
		purchase := h.buy(admin, "action-pack-2026")
		id := purchase["id"].(string)
		line := lineOf(t, purchase, "office-suite-pro")
		var cancelled, keyed reply
		var wg sync.WaitGroup
		wg.Go(func() { cancelled = h.cancel(admin, id) })
		// The cancel reads more before it commits: stagger the key request
		// by 0–18 ms so that both orders, and the photo finish, all occur.
		wg.Go(func() {
			time.Sleep(time.Duration(i%10) * 2 * time.Millisecond)
			keyed = h.post("/v1/software/"+line+"/key", admin, "")
		})
		wg.Wait()
		after := h.get("/v1/purchases/"+id, admin).json(t)
		status := h.dashboardLine(admin, line)["status"]
		switch {
		case cancelled.Status == http.StatusCreated && keyed.Status == http.StatusOK:
			t.Fatalf("round %d: both succeeded", i)
		case cancelled.Status == http.StatusCreated:
			if keyed.Status != http.StatusConflict || after["status"] != "cancelled" || status != "revoked" {
				t.Fatalf("round %d: cancel won, key %d %s, purchase %v, line %v", i, keyed.Status, keyed.Body, after["status"], status)
			}
			wins["cancel"]++
		case keyed.Status == http.StatusOK:
			if cancelled.Status != http.StatusConflict || after["status"] != "active" || status != "activated" {
				t.Fatalf("round %d: key won, cancel %d %s, purchase %v, line %v", i, cancelled.Status, cancelled.Body, after["status"], status)
			}
			wins["key"]++
		default:
			t.Fatalf("round %d: neither: cancel %d %s, key %d %s", i, cancelled.Status, cancelled.Body, keyed.Status, keyed.Body)
		}
	}
	// Keys the cancel won over went back... never left the pool: the free
	// count equals rounds minus the keys handed out.
	left := 0
	for range rounds {
		p := h.buy(admin, "action-pack-2026")
		if h.post("/v1/software/"+lineOf(t, p, "office-suite-pro")+"/key", admin, "").Status == http.StatusOK {
			left++
		}
	}
	if left != wins["cancel"] {
		t.Fatalf("%d keys left in the pool, want %d (one per round the cancel won)", left, wins["cancel"])
	}
	t.Logf("%d rounds: cancel won %d, get-key won %d", rounds, wins["cancel"], wins["key"])
}

// A purchase whose cancellation needs more than one transaction's 100
// items: 94 lines, 150 credit holders and 300 Visual Studio seats.
func TestCancelLargePurchaseAllOrNothing(t *testing.T) {
	h := newHarness(t)
	lines := []any{
		map[string]any{"kind": "software", "product": "office-suite-pro", "quantity": 1, "benefitType": "core"},
		map[string]any{"kind": "credit-monthly", "product": "cloud-credit-monthly", "quantity": 200, "benefitType": "core",
			"credit": map[string]any{"USD": 10000, "EUR": 9000, "JPY": 1500000, "GBP": 8000}},
		map[string]any{"kind": "visual-studio", "product": "vs-enterprise", "quantity": 300, "benefitType": "core"},
	}
	for range 91 {
		lines = append(lines, map[string]any{"kind": "support", "product": "product-support", "quantity": 1, "benefitType": "incremental"})
	}
	h.publishPackages("big-test", map[string]any{"id": "big-2026", "plan": "gold", "name": "Big", "benefits": lines})
	pid, _, admin := h.newPartner("Big", "USD")
	big := h.buy(admin, "big-2026")
	ctx := context.Background()
	var rows []string
	var userIDs []string
	for i := range 300 {
		r := h.post("/v1/users", admin, fmt.Sprintf(`{"email":"u%d@big.example","displayName":"U"}`, i))
		if r.Status != http.StatusCreated {
			t.Fatalf("user: %d %s", r.Status, r.Body)
		}
		u := r.json(t)["id"].(string)
		userIDs = append(userIDs, u)
		rows = append(rows, `{"userId":"`+u+`"}`)
	}
	vs := lineOf(t, big, "vs-enterprise")
	for chunk := range slices.Chunk(rows, 50) { // a bulk request takes at most 50 rows
		if r := h.post("/v1/visual-studio/"+vs+"/assignments:bulk", admin, `{"assignments":[`+strings.Join(chunk, ",")+`]}`); r.Status != http.StatusOK ||
			r.json(t)["summary"].(map[string]any)["assigned"] != float64(len(chunk)) {
			t.Fatalf("bulk: %d %.300s", r.Status, r.Body)
		}
	}
	monthly := creditLine(t, big, "credit-monthly", 0)
	for _, u := range userIDs[:150] {
		if r := h.assign(admin, monthly, u); r.Status != http.StatusCreated {
			t.Fatalf("credit seat: %d %s", r.Status, r.Body)
		}
	}

	// The commit, without the release that normally follows in the same
	// request: as if the function died right after it.
	st := h.svc.Store
	p, o, err := st.Purchase(ctx, pid, big["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	now := h.clock.Now()
	sr, err := cancel.Decide(p, o.Lines, o.Credits, "too big", "usr_admin", "sr_big", now)
	if err != nil {
		t.Fatal(err)
	}
	err = st.CancelPurchase(ctx, store.Cancellation{Purchase: p, Overview: o, Request: sr, At: now,
		Mail:  mail.Message{ID: ids.New("msg"), To: []string{"a@big.example"}, Template: "purchase-cancelled", Language: "en", CreatedAt: now, Data: map[string]string{}},
		Event: audit.New(ids.New, pid, "usr_admin", audit.PurchaseCancelled, "", now)})
	if err != nil {
		t.Fatal(err)
	}
	// Committed: the purchase and every line read as cancelled and revoked.
	after := h.get("/v1/purchases/"+p.ID, admin).json(t)
	if after["status"] != "cancelled" || len(after["benefits"].([]any)) != 94 {
		t.Fatalf("after the commit %v", after["status"])
	}
	for _, b := range after["benefits"].([]any) {
		if b.(map[string]any)["status"] != "revoked" {
			t.Fatalf("line %v", b)
		}
	}
	// The daily job finishes what the request did not.
	if sum := h.runJob("expire-benefits"); sum["released"] != float64(1) {
		t.Fatalf("job %v", sum)
	}
	if sum := h.runJob("expire-benefits"); sum["released"] != float64(0) {
		t.Fatalf("second job run %v", sum)
	}
	if holders := h.vsHolders(admin, vs); len(holders) != 0 {
		t.Fatalf("%d Visual Studio holders left", len(holders))
	}
	c, err := st.Credit(ctx, pid, monthly)
	if err != nil || len(c.Holders) != 0 || !c.Revoked {
		t.Fatalf("credit after release: %d holders, revoked %v, %v", len(c.Holders), c.Revoked, err)
	}
	// Every released credit holder may take another credit again.
	other := creditLine(t, h.buy(admin, "silver-2026"), "credit-annual", 0)
	if r := h.assign(admin, other, userIDs[149]); r.Status != http.StatusCreated {
		t.Fatalf("a released holder takes an annual credit: %d %s", r.Status, r.Body)
	}
	pending, err := st.PendingReleases(ctx)
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending releases %v %v", pending, err)
	}
}
