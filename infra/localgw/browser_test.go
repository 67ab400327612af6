package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// confirmLinkRE finds the confirmation link in a go-to-market offer email.
var confirmLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/v1/gtm/confirm\?token=[A-Za-z0-9_-]+`)

// TestGTMConfirmInBrowser follows a go-to-market offer's email the way the
// marketing contact does: an admin names the contact and activates the
// offer, the contact opens the emailed link in a real browser, clicks
// Confirm and sees the offer active; the link then works no more.
func TestGTMConfirmInBrowser(t *testing.T) {
	needChromium(t)
	h := newMailHarness(t)
	_, _, admin := h.newPartner("Browser", "USD")
	line := lineOf(t, h.buy(admin, "silver-2026"), "gtm-listing-boost")

	// The SES store is shared across runs, so the addresses are unique.
	run := time.Now().UnixNano()
	userID := h.addUser(admin, fmt.Sprintf("mkt-%d@browser.example", run))
	contact := fmt.Sprintf("mkt-contact-%d@browser.example", run)
	r := h.do(call{method: http.MethodPut, path: "/v1/gtm/marketing-contact", token: admin,
		body: `{"userId":"` + userID + `","email":"` + contact + `","phone":"+81312345678","language":"en"}`})
	if r.Status != http.StatusOK {
		t.Fatalf("PUT marketing-contact: %d %s", r.Status, r.Body)
	}
	r = h.post("/v1/gtm/offers/"+line+"/activate", admin, "")
	if r.Status != http.StatusOK {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	if s := r.json(t)["status"]; s != "pending" {
		t.Fatalf("activate: status %v, want pending: %s", s, r.Body)
	}
	// The contact also gets a "you are the marketing contact" mail; exactly
	// one mail carries the confirmation link.
	var links, subjects []string
	for _, m := range h.mailTo(contact) {
		subjects = append(subjects, m.Subject)
		if l := confirmLinkRE.FindString(m.Text); l != "" {
			links = append(links, l)
		}
	}
	if len(links) != 1 {
		t.Fatalf("%d mails to the contact with a confirmation link, want 1; subjects %q", len(links), subjects)
	}
	link := links[0]
	if !strings.HasPrefix(link, h.url+"/") {
		t.Fatalf("link %s is not on the gateway %s", link, h.url)
	}

	ctx := newBrowser(t)
	console := watchConsole(ctx)

	// The link shows the offer and a Confirm button; opening it confirms
	// nothing (mail scanners open links too).
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(link))
	if err != nil {
		t.Fatalf("open link: %v", err)
	}
	checkPage(t, "GET link", resp, http.StatusOK)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("confirm"))); err != nil {
		t.Fatalf("confirm button: %v", err)
	}
	if s := h.dashboardLine(admin, line)["status"]; s != "pending" {
		t.Fatalf("after opening the link the line is %v, want still pending", s)
	}

	// Confirm: the form posts and the browser lands on the result page.
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("confirm")))
	if err != nil {
		t.Fatalf("click confirm: %v", err)
	}
	checkPage(t, "POST confirm", resp, http.StatusOK)
	status, text := readStatus(t, ctx)
	if status != "active" {
		t.Fatalf("result page data-status %q, want active; text %q", status, text)
	}
	t.Logf("result page #status: %q", text)
	got := h.dashboardLine(admin, line)
	if got["status"] != "active" {
		t.Fatalf("GET /v1/benefits shows the line %v, want active: %v", got["status"], got)
	}
	expires, err := time.Parse(time.RFC3339, fmt.Sprint(got["expiresAt"]))
	if err != nil {
		t.Fatalf("expiresAt %v: %v", got["expiresAt"], err)
	}
	if !containsDate(text, expires) {
		t.Errorf("result page %q does not show the expiry date %s", text, expires.UTC().Format(time.DateOnly))
	}

	// The link is single-use: a second visit is 410 with a page for people.
	resp, err = chromedp.Run(ctx, chromedp.NavigateResponse(link))
	if err != nil {
		t.Fatalf("open link again: %v", err)
	}
	checkPage(t, "GET used link", resp, http.StatusGone)
	status, text = readStatus(t, ctx)
	if status != "invalid" {
		t.Fatalf("used link page data-status %q, want invalid; text %q", status, text)
	}
	t.Logf("used link page #status: %q", text)
	if trimmed := strings.TrimSpace(text); len(strings.Fields(trimmed)) < 3 || strings.HasPrefix(trimmed, "{") {
		t.Errorf("used link page #status text %q, want a sentence", text)
	}
	if s := h.dashboardLine(admin, line)["status"]; s != "active" {
		t.Errorf("after the second visit the line is %v, want active", s)
	}

	// A strict policy and no external assets: nothing blocked, no script errors.
	time.Sleep(200 * time.Millisecond) // console events trail the actions
	if v := console.violations(); len(v) != 0 {
		t.Errorf("browser console reported: %q", v)
	}
	for _, m := range console.all() {
		t.Logf("console: %s", m)
	}
}

// checkPage asserts a document response: status, HTML and a
// Content-Security-Policy header.
func checkPage(t *testing.T, what string, resp *network.Response, status int) {
	t.Helper()
	if resp.Status != int64(status) {
		t.Fatalf("%s: status %d, want %d (%s)", what, resp.Status, status, resp.URL)
	}
	if resp.MimeType != "text/html" {
		t.Fatalf("%s: MIME type %q, want text/html", what, resp.MimeType)
	}
	if header(resp, "Content-Security-Policy") == "" {
		t.Errorf("%s: no Content-Security-Policy header: %v", what, resp.Headers)
	}
}

// header reads a response header by name, in any case.
func header(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// readStatus waits for the #status element and returns its data-status
// and its text.
func readStatus(t *testing.T, ctx context.Context) (string, string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("status"))); err != nil {
		t.Fatalf("#status: %v", err)
	}
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("status"), "data-status"))
	if err != nil {
		t.Fatalf("#status data-status: %v", err)
	}
	if !attr.Exists {
		t.Fatal("#status has no data-status")
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
	if err != nil {
		t.Fatalf("#status text: %v", err)
	}
	return attr.Value, text
}

// containsDate reports whether text shows the UTC day of d in a usual
// English form.
func containsDate(text string, d time.Time) bool {
	d = d.UTC()
	for _, layout := range []string{time.DateOnly, "2 January 2006", "January 2, 2006", "2 Jan 2006", "Jan 2, 2006"} {
		if strings.Contains(text, d.Format(layout)) {
			return true
		}
	}
	return false
}
