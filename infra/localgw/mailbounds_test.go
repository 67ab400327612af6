package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/testenv"
)

// maxOutboxItem bounds an outbox item: far under DynamoDB's 400 KB, whatever
// the size of the partner's directory.
const maxOutboxItem = 16 << 10

// TestMailBoundsWithManyAdmins: a partner with 501 global admins cancels a
// package, has the refund resolved and a line reminded before expiry. Every
// admin receives exactly one copy of each mail, no message SES is given has
// more than mail.MaxRecipients recipients, no outbox item grows with the
// directory, and nothing answers 5xx.
func TestMailBoundsWithManyAdmins(t *testing.T) {
	const admins = 500
	h := newMailHarness(t)
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	name := fmt.Sprintf("Crowd%d", time.Now().UnixNano())
	pid, _, admin := h.newPartner(name, "USD")
	account := "admin@" + strings.ToLower(name) + ".example"

	// The admins, written straight to the store (the API would take 500 requests).
	ctx := context.Background()
	addrs := make([]string, admins)
	var wg sync.WaitGroup
	errs := make(chan error, admins)
	sem := make(chan struct{}, 8)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("crowd-%03d-%d@bounds.example", i, time.Now().UnixNano())
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			u, err := partner.NewUser(partner.User{ID: h.svc.NewID("usr"), PartnerID: pid, Email: addrs[i], DisplayName: "Admin " + strconv.Itoa(i), Roles: []access.Role{access.GlobalAdmin}, CreatedAt: start})
			if err == nil {
				err = h.svc.Store.CreateUser(ctx, u)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	statuses := map[int]int{}
	note := func(r reply) reply {
		statuses[r.Status]++
		if r.Status >= 500 {
			t.Errorf("5xx: %d %s", r.Status, r.Body)
		}
		return r
	}
	cancelled := h.buy(admin, "action-pack-2026")
	kept := h.buy(admin, "action-pack-2026")
	r := note(h.post("/v1/purchases/"+cancelled["id"].(string)+"/cancel", admin, `{"reason":"too many admins"}`))
	if r.Status != http.StatusCreated {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	sr := r.json(t)["serviceRequestId"].(string)
	if r := note(h.post("/v1/admin/service-requests/"+sr+"/resolve", h.operator(), `{"status":"completed"}`)); r.Status != http.StatusOK {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	h.clock.Set(start.AddDate(1, 0, -30))
	job := note(h.do(call{method: "POST", path: "/_local/jobs/expire-benefits"}))
	if job.Status != http.StatusOK {
		t.Fatalf("expire-benefits: %d %s", job.Status, job.Body)
	}
	if sum := job.json(t); sum["reminded30"] != float64(len(kept["benefits"].([]any))) {
		t.Fatalf("reminder summary %v", sum)
	}
	// One more drain, as the next minute's schedule would do.
	note(h.do(call{method: "POST", path: "/_local/jobs/send-mail"}))

	// What SES was given.
	subjects := map[string]string{
		"cancelled": "was cancelled",
		"refund":    "refund for",
		"reminder":  "expire in 30 days",
	}
	got := map[string]map[string]int{} // kind → address → copies
	for k := range subjects {
		got[k] = map[string]int{}
	}
	mine := map[string]bool{account: true}
	for _, a := range addrs {
		mine[a] = true
	}
	largest, messages := 0, 0
	for _, m := range testenv.SentMail(t) {
		ours := false
		for _, to := range append(append(append([]string{}, m.To...), m.CC...), m.BCC...) {
			if mine[to] {
				ours = true
			}
		}
		if !ours {
			continue
		}
		messages++
		n := len(m.To) + len(m.CC) + len(m.BCC)
		largest = max(largest, n)
		if n > mail.MaxRecipients {
			t.Errorf("a %q message has %d recipients (SES takes %d)", m.Subject, n, mail.MaxRecipients)
		}
		for kind, s := range subjects {
			if strings.Contains(m.Subject, s) {
				for _, to := range append(append(append([]string{}, m.To...), m.CC...), m.BCC...) {
					got[kind][to]++
				}
			}
		}
	}
	wrong := 0
	everyone := append([]string{account}, addrs...) // the partner's first admin has the account email
	for kind := range subjects {
		for _, a := range everyone {
			if got[kind][a] != 1 {
				wrong++
				if wrong <= 5 {
					t.Errorf("%s: %s received %d copies, want 1", kind, a, got[kind][a])
				}
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d (mail, admin) pairs without exactly one copy", wrong)
	}

	// The outbox items, read back from the table.
	size, items, undelivered := outboxItems(t, h)
	if size > maxOutboxItem {
		t.Errorf("largest outbox item %d bytes, want at most %d", size, maxOutboxItem)
	}
	if undelivered != 0 {
		t.Errorf("%d outbox items not sent", undelivered)
	}
	t.Logf("%d admins and the account admin: %d messages to them, at most %d recipients each; %d outbox items, the largest %d bytes; statuses %v",
		admins, messages, largest, items, size, statuses)
}

// outboxItems scans the harness's table for outbox items: the largest
// item's size (DynamoDB's rule: attribute names plus values), how many
// there are, and how many are neither sent nor split into parts.
func outboxItems(t *testing.T, h *harness) (largest, items, undelivered int) {
	t.Helper()
	db := testenv.DynamoDB(t)
	in := &dynamodb.ScanInput{TableName: aws.String(h.svc.Store.Table()), FilterExpression: aws.String("#t = :outbox"),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":outbox": &types.AttributeValueMemberS{Value: "outbox"}}}
	for {
		out, err := db.Scan(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			items++
			largest = max(largest, testenv.ItemSize(it))
			if st := it["status"].(*types.AttributeValueMemberS).Value; st != mail.StatusSent && st != "split" {
				undelivered++
			}
		}
		if out.LastEvaluatedKey == nil {
			return largest, items, undelivered
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// TestContactMailIsRateLimited: marketing-contact changes that mail an
// address are bounded per partner and per address; a refused change
// answers 429 rate_limited with Retry-After and writes and queues nothing;
// the end of the window lets it through again. A PUT that changes nothing
// sends nothing and uses no quota.
func TestContactMailIsRateLimited(t *testing.T) {
	h := newMailHarness(t)
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	_, _, admin := h.newPartner("Limited", "USD")
	userID := h.addUser(admin, unique("limited-user"))
	put := func(email string) reply { return h.putContact(admin, userID, email, "+81312345678", "en") }

	// Per address: the same address, across partners, at most 3 a day.
	target := unique("target")
	first := put(target)
	if first.Status != http.StatusOK {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	// A double click changes nothing, sends nothing, uses no quota.
	for range 3 {
		if r := put(target); r.Status != http.StatusOK {
			t.Fatalf("same contact again: %d %s", r.Status, r.Body)
		}
	}
	if n := len(h.mailTo(target)); n != 1 {
		t.Fatalf("%d mails to %s after one change and 3 repeats, want 1", n, target)
	}
	_, _, other := h.newPartner("Other", "USD")
	otherUser := h.addUser(other, unique("other-user"))
	for i := range 2 {
		if r := h.putContact(other, otherUser, target, "+8131234567"+strconv.Itoa(i), "en"); r.Status != http.StatusOK {
			t.Fatalf("other partner %d: %d %s", i, r.Status, r.Body)
		}
	}
	refused := h.putContact(other, otherUser, target, "+81312345679", "ja")
	refused.problem(t, http.StatusTooManyRequests, "rate_limited")
	retry, err := strconv.Atoi(refused.Header.Get("Retry-After"))
	if err != nil || retry <= 0 || retry > 24*3600 {
		t.Fatalf("Retry-After %q", refused.Header.Get("Retry-After"))
	}
	if n := len(h.mailTo(target)); n != 3 {
		t.Fatalf("%d mails to %s, want 3", n, target)
	}
	if got := h.get("/v1/gtm/marketing-contact", other).json(t); got["phone"] != "+81312345671" {
		t.Fatalf("the refused change was written: %v", got)
	}

	// Per partner: at most 5 a day whatever the addresses (1 used above).
	for i := range 4 {
		if r := put(unique(fmt.Sprintf("p%d", i))); r.Status != http.StatusOK {
			t.Fatalf("change %d: %d %s", i+2, r.Status, r.Body)
		}
	}
	last := unique("sixth")
	r := put(last)
	r.problem(t, http.StatusTooManyRequests, "rate_limited")
	if h.mailTo(last) != nil {
		t.Fatal("a refused change queued mail")
	}

	// The window's end lets it through again.
	h.clock.Set(start.Add(time.Duration(retry)*time.Second + time.Second))
	if r := put(last); r.Status != http.StatusOK {
		t.Fatalf("after the window: %d %s", r.Status, r.Body)
	}
	if n := len(h.mailTo(last)); n != 1 {
		t.Fatalf("%d mails to %s after the window, want 1", n, last)
	}
	if r := h.putContact(other, otherUser, target, "+81312345679", "ja"); r.Status != http.StatusOK {
		t.Fatalf("the address after the window: %d %s", r.Status, r.Body)
	}
}

// TestContactMailLimitUnderConcurrency: concurrent contact changes of one
// partner never get past the per-partner limit, and none answers 5xx.
func TestContactMailLimitUnderConcurrency(t *testing.T) {
	h := newMailHarness(t)
	_, _, admin := h.newPartner("Rush", "USD")
	userID := h.addUser(admin, unique("rush-user"))
	addrs := make([]string, 12)
	statuses := make([]int, len(addrs))
	var wg sync.WaitGroup
	for i := range addrs {
		addrs[i] = unique(fmt.Sprintf("rush%02d", i))
		wg.Go(func() { statuses[i] = h.putContact(admin, userID, addrs[i], "+81312345678", "en").Status })
	}
	wg.Wait()
	ok, mails := 0, 0
	for i, st := range statuses {
		switch st {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("change %d: %d", i, st)
		}
		mails += len(h.mailTo(addrs[i]))
	}
	if ok > 5 || mails != ok {
		t.Errorf("%d changes accepted and %d mails sent, want at most 5 and one each: %v", ok, mails, statuses)
	}
	t.Logf("statuses %v", statuses)
}
