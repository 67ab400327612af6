package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/mail/sesmail"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

var confirmLink = regexp.MustCompile(`https?://[^\s"<>]+/v1/gtm/confirm\?token=([A-Za-z0-9_-]+)`)

// unique makes addresses no other test run uses (the SES store is shared).
func unique(name string) string { return fmt.Sprintf("%s-%d@gtm.example", name, time.Now().UnixNano()) }

func (h *harness) putContact(token, userID, email, phone, lang string) reply {
	return h.do(call{method: "PUT", path: "/v1/gtm/marketing-contact", token: token,
		body: fmt.Sprintf(`{"userId":%q,"email":%q,"phone":%q,"language":%q}`, userID, email, phone, lang)})
}

func (h *harness) activateOffer(token, benefitID string) reply {
	return h.post("/v1/gtm/offers/"+benefitID+"/activate", token, "")
}

// linkIn returns the confirmation link and token of a mail.
func linkIn(t testing.TB, m testenv.Mail) (string, string) {
	t.Helper()
	got := confirmLink.FindStringSubmatch(m.Text)
	if got == nil {
		t.Fatalf("no confirmation link in %q", m.Text)
	}
	return got[0], got[1]
}

func TestGTMContactAndOfferConfirmation(t *testing.T) {
	h := newMailHarness(t)
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	pid, adminID, admin := h.newPartner("Marketing", "USD")
	silver := h.buy(admin, "silver-2026")
	offer := lineOf(t, silver, "gtm-listing-boost")
	userEmail := unique("user")
	userID := h.addUser(admin, userEmail)
	contact := unique("contact")

	// Activation needs a contact first.
	h.activateOffer(admin, offer).problem(t, http.StatusConflict, "marketing_contact_required")

	// The contact's validation.
	h.putContact(admin, "usr_nobody", contact, "+81312345678", "en").problem(t, http.StatusUnprocessableEntity, "user_not_found")
	h.putContact(admin, userID, strings.ToUpper(userEmail), "+81312345678", "en").problem(t, http.StatusUnprocessableEntity, "email_must_differ")
	for _, bad := range [][3]string{{contact, "03-1234-5678", "en"}, {contact, "+81312345678", "not a tag!"}, {"nope", "+81312345678", "en"}} {
		h.putContact(admin, userID, bad[0], bad[1], bad[2]).problem(t, http.StatusBadRequest, "validation_failed")
	}
	member := h.token(pid, userID)
	h.putContact(member, userID, contact, "+81312345678", "en").problem(t, http.StatusForbidden, "forbidden_role")
	h.get("/v1/gtm/marketing-contact", member).problem(t, http.StatusNotFound, "not_found")
	r := h.putContact(admin, userID, contact, "+81312345678", "en-GB")
	if r.Status != http.StatusOK || r.json(t)["language"] != "en-GB" {
		t.Fatalf("put contact: %d %s", r.Status, r.Body)
	}
	if got := h.get("/v1/gtm/marketing-contact", member).json(t); got["email"] != contact || got["userId"] != userID {
		t.Fatalf("contact %v", got)
	}
	if mails := h.mailTo(contact); len(mails) != 1 || !strings.Contains(mails[0].Text, "Marketing") {
		t.Fatalf("instructions mail: %+v", mails)
	}

	// Activate: pending, one mail with a link; repeating sends nothing new.
	r = h.activateOffer(admin, offer)
	if r.Status != http.StatusOK || r.json(t)["status"] != "pending" || !near(r.json(t)["linkExpiresAt"], start.Add(14*24*time.Hour)) {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	if r := h.activateOffer(admin, offer); r.Status != http.StatusOK || r.json(t)["status"] != "pending" {
		t.Fatalf("repeat: %d %s", r.Status, r.Body)
	}
	mails := h.mailTo(contact)
	if len(mails) != 2 {
		t.Fatalf("%d mails to the contact, want the instructions and one link", len(mails))
	}
	link, token := linkIn(t, mails[1])
	if !strings.Contains(mails[1].HTML, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`) {
		t.Errorf("the HTML part lacks the link")
	}
	if h.dashboardLine(admin, offer)["status"] != "pending" {
		t.Fatal("offer is not pending")
	}

	// The page: the offer with a confirm button, under a strict CSP.
	page := h.get(strings.TrimPrefix(link, h.url), "")
	body := string(page.Body)
	if page.Status != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `id="confirm"`) || !strings.Contains(body, "Marketplace listing boost") || !strings.Contains(body, "ISV co-sell ready") {
		t.Fatalf("page: %d %s", page.Status, body)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP %q", csp)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "src=") {
		t.Fatal("the page loads something")
	}

	// Confirming (JSON) makes the offer active for 12 months; only once.
	h.clock.Set(start.AddDate(0, 0, 3))
	r = h.post("/v1/gtm/confirm", "", `{"token":"`+token+`"}`)
	if r.Status != http.StatusOK || r.json(t)["status"] != "active" || !near(r.json(t)["expiresAt"], start.AddDate(1, 0, 3)) {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	line := h.dashboardLine(admin, offer)
	if line["status"] != "active" || !near(line["expiresAt"], start.AddDate(1, 0, 3)) {
		t.Fatalf("dashboard after confirm: %v", line)
	}
	h.post("/v1/gtm/confirm", "", `{"token":"`+token+`"}`).problem(t, http.StatusGone, "token_invalid")
	again := h.get(strings.TrimPrefix(link, h.url), "")
	if again.Status != http.StatusGone || !strings.Contains(string(again.Body), `data-status="invalid"`) {
		t.Fatalf("second visit: %d %s", again.Status, again.Body)
	}
	if r := h.activateOffer(admin, offer); r.Status != http.StatusOK || r.json(t)["status"] != "active" {
		t.Fatalf("activating an active offer: %d %s", r.Status, r.Body)
	}
	if n := len(h.mailTo(contact)); n != 2 {
		t.Fatalf("%d mails after confirming, want still 2", n)
	}

	// Garbage tokens are the same invalid link, never a 5xx.
	for _, tok := range []string{"", "x", strings.Repeat("A", 43), strings.Repeat("é", 30)} {
		h.post("/v1/gtm/confirm", "", fmt.Sprintf(`{"token":%q}`, tok)).problem(t, http.StatusGone, "token_invalid")
	}

	// Other partners, other kinds, other roles.
	_, _, other := h.newPartner("NotMarketing", "USD")
	h.activateOffer(other, offer).problem(t, http.StatusNotFound, "not_found")
	h.activateOffer(admin, lineOf(t, silver, "vs-professional")).problem(t, http.StatusNotFound, "not_found")
	h.activateOffer(member, offer).problem(t, http.StatusForbidden, "forbidden_role")
	_ = adminID
}

func TestGTMExpiredLinkIsReplacedOnActivation(t *testing.T) {
	h := newMailHarness(t)
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	_, _, admin := h.newPartner("Expiring", "JPY")
	offer := lineOf(t, h.buy(admin, "gold-2026"), "gtm-case-study") // 6 active months
	userID := h.addUser(admin, unique("u"))
	contact := unique("kontakt")
	if r := h.putContact(admin, userID, contact, "+81312345678", "ja"); r.Status != http.StatusOK {
		t.Fatalf("contact: %d %s", r.Status, r.Body)
	}
	h.activateOffer(admin, offer)
	mails := h.mailTo(contact)
	link, token := linkIn(t, mails[len(mails)-1])

	// The settable clock runs on from what it was set to, so the link was
	// made a little after start (seconds on a loaded machine): go a minute
	// past its 14 days, not a second.
	expired := start.Add(14*24*time.Hour + time.Minute)
	h.clock.Set(expired)
	page := h.get(strings.TrimPrefix(link, h.url), "")
	if page.Status != http.StatusGone || !strings.Contains(string(page.Body), "有効期限") {
		t.Fatalf("expired link page (Japanese): %d %s", page.Status, page.Body)
	}
	h.post("/v1/gtm/confirm", "", `{"token":"`+token+`"}`).problem(t, http.StatusGone, "token_invalid")

	// Activating again sends a new link, which works.
	if r := h.activateOffer(admin, offer); r.Status != http.StatusOK || r.json(t)["status"] != "pending" {
		t.Fatalf("re-activate: %d %s", r.Status, r.Body)
	}
	mails = h.mailTo(contact)
	_, fresh := linkIn(t, mails[len(mails)-1])
	if fresh == token || len(mails) != 3 {
		t.Fatalf("%d mails; new token %v", len(mails), fresh != token)
	}
	if r := h.post("/v1/gtm/confirm", "", `{"token":"`+fresh+`"}`); r.Status != http.StatusOK ||
		!near(r.json(t)["expiresAt"], expired.AddDate(0, 6, 0)) {
		t.Fatalf("confirm the new link: %d %s", r.Status, r.Body)
	}
}

func TestGTMConcurrentConfirmationsUseTheLinkOnce(t *testing.T) {
	h := newMailHarness(t)
	_, _, admin := h.newPartner("Racing", "USD")
	offer := lineOf(t, h.buy(admin, "silver-2026"), "gtm-campaign-kit")
	contact := unique("race")
	h.putContact(admin, h.addUser(admin, unique("ru")), contact, "+14255550100", "en")
	statuses := make([]int, 6)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() { statuses[i] = h.activateOffer(admin, offer).Status })
	}
	wg.Wait()
	mails := h.mailTo(contact)
	if len(mails) != 2 { // the instructions and one link
		t.Fatalf("%d mails after 6 concurrent activations (%v), want 2", len(mails), statuses)
	}
	_, token := linkIn(t, mails[1])
	var ok int
	var mu sync.Mutex
	for range 6 {
		wg.Go(func() {
			r := h.post("/v1/gtm/confirm", "", `{"token":"`+token+`"}`)
			mu.Lock()
			defer mu.Unlock()
			switch r.Status {
			case http.StatusOK:
				ok++
			case http.StatusGone:
			default:
				t.Errorf("confirm: %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d confirmations succeeded, want 1", ok)
	}
}

// flaky fails its first n sends, then passes them on.
type flaky struct {
	next mail.Transport
	n    int
}

func (f *flaky) Send(ctx context.Context, m mail.Message, r mail.Rendered) error {
	if f.n > 0 {
		f.n--
		return errors.New("SES is unavailable")
	}
	return f.next.Send(ctx, m, r)
}

// A link mail whose first send fails is retried and delivered once.
func TestOfferMailIsRetriedAndDeliveredOnce(t *testing.T) {
	h := newHarness(t) // no automatic drain: this test drains
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	h.svc.PublicURL = h.url
	_, _, admin := h.newPartner("Flaky", "USD")
	offer := lineOf(t, h.buy(admin, "silver-2026"), "gtm-listing-boost")
	contact := unique("flaky")
	h.putContact(admin, h.addUser(admin, unique("fu")), contact, "+14255550100", "en")
	if r := h.activateOffer(admin, offer); r.Status != http.StatusOK {
		t.Fatal(r.Status)
	}
	sender := &mail.Sender{Outbox: store.New(h.calls, h.svc.Store.Table()),
		Transport: &flaky{next: sesmail.New(testenv.SES(t), mail.DefaultFrom), n: 100}}
	ctx := context.Background()
	first, err := sender.Drain(ctx, start.Add(time.Second))
	if err != nil || first.Failed < 2 || first.Sent != 0 { // the receipt, the instructions and the link
		t.Fatalf("first drain %+v %v", first, err)
	}
	if n := len(h.mailTo(contact)); n != 0 {
		t.Fatalf("%d mails delivered by a failing transport", n)
	}
	sender.Transport.(*flaky).n = 0
	if sum, err := sender.Drain(ctx, start.Add(time.Second)); err != nil || sum != (mail.Summary{}) {
		t.Fatalf("drain during the backoff: %+v %v", sum, err)
	}
	if sum, err := sender.Drain(ctx, start.Add(time.Hour)); err != nil || sum.Sent != first.Failed {
		t.Fatalf("retry: %+v %v", sum, err)
	}
	if sum, err := sender.Drain(ctx, start.Add(2*time.Hour)); err != nil || sum != (mail.Summary{}) {
		t.Fatalf("a third drain: %+v %v", sum, err)
	}
	mails := h.mailTo(contact)
	if len(mails) != 2 {
		t.Fatalf("%d mails, want each once", len(mails))
	}
	links := 0
	for _, m := range mails {
		links += len(confirmLink.FindAllString(m.Text, -1))
	}
	if links != 1 {
		t.Fatalf("%d links in the mail, want 1", links)
	}
}
