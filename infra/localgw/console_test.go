package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/pbs/benefits/shared/console"
	"github.com/pbs/benefits/shared/testenv"
)

// consoleDir is where `make web` builds the console, seen from this package.
const consoleDir = "../../.build/web"

// newConsoleHarness is a harness whose gateway serves the built console with
// cfg as its config.json. Without a build the test skips, unless make test
// runs it (it builds the console first).
func newConsoleHarness(t *testing.T, cfg console.Config) *harness {
	t.Helper()
	needConsole(t)
	site, err := newConsoleSite(consoleDir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return buildSite(t, false, nil, site)
}

// needConsole skips the test when the console is not built, unless make
// test runs it (it builds the console first, so then it fails).
func needConsole(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(consoleDir, "index.html")); err == nil {
		return
	}
	if os.Getenv(testenv.EnvLocalStack) == "required" {
		t.Fatalf("the console is not built in %s: make test runs make web first", consoleDir)
	}
	t.Skip("the console is not built: run make web (make test does)")
}

// page drives the console in one browser tab; every helper fails the test
// on error. Screenshots go to CONSOLE_SCREENSHOTS (make screenshots: docs/console)
// or to the test's artifact directory.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

func newPage(t *testing.T, ctx context.Context, base string) *page {
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = t.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &page{t: t, ctx: ctx, base: base, dir: dir}
}

func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	// Each step gets 20 s, so a failing one leaves time to report the page.
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\npage: %s", what, err, p.mainText())
	}
}

// mainText is the visible text of the page's main part, for failure messages.
func (p *page) mainText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("main") || document.body).innerText.slice(0, 3000)`))
	return s
}

func (p *page) wait(sel string) {
	p.t.Helper()
	p.idle()
	p.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// idle waits until no API request is under way (the console marks the page
// data-busy meanwhile), so a step never acts on a view about to be redrawn.
func (p *page) idle() {
	p.t.Helper()
	p.until("the page settles", `!document.documentElement.hasAttribute("data-busy")`)
}

func (p *page) click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// text waits for an element and returns its text. It reads through a
// script, because a re-render after an action moves nodes under DevTools'
// node ids.
func (p *page) text(sel string) string {
	p.t.Helper()
	p.idle()
	p.until("text of "+sel, fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	return p.eval(fmt.Sprintf(`document.querySelector(%q).innerText`, sel))
}

// set gives a form control a value and fires input and change, as typing
// or picking would.
func (p *page) set(sel, value string) {
	p.t.Helper()
	p.wait(sel)
	p.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sel, value))
}

// eval runs a script expression that returns a boolean or a string and returns it as text.
func (p *page) eval(expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return fmt.Sprint(v)
}

// until polls a script expression until it is true. A script error counts
// as false: the page may be between two documents (a sign-in, a reload).
func (p *page) until(what, expr string) {
	p.t.Helper()
	var last error
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		v, err := chromedp.Run(p.ctx, chromedp.Evaluate[any](expr))
		if err == nil && v == true {
			return
		}
		last = err
		if time.Now().After(end) {
			p.t.Fatalf("%s: %s never held (last error %v)\npage: %s", what, expr, last, p.mainText())
		}
	}
}

func (p *page) tab(id string) {
	p.t.Helper()
	p.click(fmt.Sprintf(`[data-tab=%q]`, id))
	p.wait(fmt.Sprintf(`[data-panel=%q]`, id))
}

// expand opens a benefit's details row unless it is open (the console
// remembers open rows while signed in).
func (p *page) expand(benefitID string) {
	p.t.Helper()
	toggle := fmt.Sprintf(`[data-key="toggle:%s"]`, benefitID)
	p.wait(toggle)
	if p.eval(fmt.Sprintf(`document.querySelector('%s').getAttribute("aria-expanded")`, toggle)) != "true" {
		p.click(toggle)
	}
	p.wait("#details-" + benefitID)
}

// submit presses a form's submit button.
func (p *page) submit(form string) {
	p.t.Helper()
	p.click(fmt.Sprintf(`[data-form=%q] button[type=submit]`, form))
}

// disabled reports whether a control is disabled, directly or by its fieldset.
func (p *page) disabled(sel string) bool {
	p.t.Helper()
	p.wait(sel)
	return p.eval(fmt.Sprintf(`document.querySelector(%q).matches(":disabled")`, sel)) == "true"
}

// auditScript lists what keeps the page from being usable with a screen
// reader or a keyboard: controls without a label, buttons and links without
// a name, duplicate ids, and ARIA references to elements that are not there.
const auditScript = `(() => {
  const bad = [];
  for (const e of document.querySelectorAll("input, select, textarea")) {
    if (e.type !== "hidden" && !(e.labels && e.labels.length) && !e.getAttribute("aria-label")) bad.push("unlabelled " + e.outerHTML.slice(0, 100));
  }
  for (const b of document.querySelectorAll("button, a[href]")) {
    if (!(b.textContent.trim() || b.getAttribute("aria-label"))) bad.push("nameless " + b.outerHTML.slice(0, 100));
  }
  const ids = new Map();
  for (const e of document.querySelectorAll("[id]")) ids.set(e.id, (ids.get(e.id) || 0) + 1);
  for (const [id, n] of ids) if (n > 1) bad.push("duplicate id " + id);
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
    for (const e of document.querySelectorAll("[" + attr + "]")) {
      for (const id of e.getAttribute(attr).split(/\s+/)) if (id && !document.getElementById(id)) bad.push(attr + " names missing " + id);
    }
  }
  if (!document.documentElement.lang) bad.push("no lang on html");
  if (document.querySelectorAll("h1").length !== 1) bad.push(document.querySelectorAll("h1").length + " h1 elements");
  return bad.join("\n");
})()`

// audit runs auditScript on the settled page.
func (p *page) audit(name string) {
	p.t.Helper()
	p.idle()
	if bad := p.eval(auditScript); bad != "" {
		p.t.Errorf("accessibility of %s:\n%s", name, bad)
	}
}

// shot audits the page and saves a full-page screenshot.
func (p *page) shot(name string) {
	p.t.Helper()
	p.audit(name)
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s (%d KB)", path, len(png)/1024)
}

// signIn uses the local sign-in form as the demo user at index i.
func (p *page) signIn(i int) {
	p.t.Helper()
	p.do("open the console", chromedp.Navigate(p.base+"/"))
	p.wait(`[data-form="signin"]`)
	p.set("#signin-user", fmt.Sprint(i))
	p.submit("signin")
	p.wait(`[role="tablist"]`)
	p.wait(`[data-panel]`)
}

func (p *page) signOut() {
	p.t.Helper()
	p.click("[data-signout]")
	p.wait(`[data-form="signin"]`)
}

// lineOfKind finds a benefit id in a purchase's lines.
func lineOfKind(t *testing.T, purchase map[string]any, kind, product string) string {
	t.Helper()
	for _, b := range purchase["benefits"].([]any) {
		m := b.(map[string]any)
		if m["kind"] == kind && (product == "" || m["product"] == product) {
			return m["id"].(string)
		}
	}
	t.Fatalf("no %s %s line in %v", kind, product, purchase["id"])
	return ""
}

// TestConsoleWalk signs in to the console in Chromium and walks every tab as
// a global admin doing each tab's actions, meets refused actions and their
// messages, switches to Japanese, then checks which buttons other roles get
// greyed out, with the reason. It takes one screenshot per tab.
func TestConsoleWalk(t *testing.T) {
	ctx := newBrowserWith(t, 5*time.Minute)
	logs := watchConsole(ctx)
	h := newConsoleHarness(t, demoConsole())
	pid, adminID, admin := h.newPartner("Northwind", "USD")
	addUser := func(email, name string, roles ...string) string {
		if roles == nil {
			roles = []string{}
		}
		body, _ := json.Marshal(map[string]any{"email": email, "displayName": name, "roles": roles, "guest": false})
		r := h.post("/v1/users", admin, string(body))
		if r.Status != http.StatusCreated {
			t.Fatalf("add %s: %d %s", email, r.Status, r.Body)
		}
		return r.json(t)["id"].(string)
	}
	mpnID := addUser("mika@northwind.example", "Mika Sato", "mpn-partner-admin")
	memberID := addUser("dev@northwind.example", "Devi Rao")
	umaID := addUser("uma@northwind.example", "Uma Berg", "user-management-admin")
	h.console.setDemo(console.Demo{PartnerID: pid, Users: []console.DemoUser{
		{ID: adminID, Name: "Northwind admin", Roles: []string{"global-admin"}},
		{ID: mpnID, Name: "Mika Sato", Roles: []string{"mpn-partner-admin"}},
		{ID: memberID, Name: "Devi Rao", Roles: []string{}},
		{ID: umaID, Name: "Uma Berg", Roles: []string{"user-management-admin"}},
	}})
	gold := h.buy(admin, "gold-2026")
	h.importKeys("server-os-datacenter", demoKeys("server-os-datacenter", 3)...)
	h.importKeys("office-cloud-e3", demoKeys("office-cloud-e3", 3)...)

	p := newPage(t, ctx, h.url)
	start := time.Now()
	p.signIn(0)
	if lang := p.eval(`document.documentElement.lang`); lang != "en" {
		t.Fatalf("page language %q, want en from the browser", lang)
	}
	if got := p.eval(`location.hash === "" && document.querySelector('[data-tab="software"]').getAttribute("aria-selected")`); got != "true" {
		t.Fatalf("the first tab is not selected: %s", got)
	}

	// Package: buy the Action Pack through the console.
	p.tab("package")
	p.click(`button[data-key="buy:action-pack-2026"]`)
	p.wait(`[data-slot="buy:action-pack-2026"] .msg.ok`)
	p.until("two purchases listed", `document.querySelectorAll("[data-purchase]").length === 2`)
	var pack map[string]any
	for _, x := range h.get("/v1/benefits", admin).json(t)["purchases"].([]any) {
		if m := x.(map[string]any); m["packageId"] == "action-pack-2026" {
			pack = h.get("/v1/purchases/"+m["id"].(string), admin).json(t)
		}
	}
	if pack == nil {
		t.Fatal("the console's purchase is not in the dashboard")
	}

	// Software: the key with its instructions, then a download link.
	sw := lineOfKind(t, gold, "software", "server-os-datacenter")
	p.tab("software")
	if name := p.text(fmt.Sprintf(`tr[data-benefit=%q] th`, sw)); name != "Server OS 2025 Datacenter" {
		t.Fatalf("the line shows %q, not the product's catalogue name", name)
	}
	p.expand(sw)
	p.click(fmt.Sprintf(`button[data-key="key:%s"]`, sw))
	key := p.text(fmt.Sprintf(`[data-slot="key:%s"] code.key`, sw))
	if !regexp.MustCompile(`^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$`).MatchString(key) {
		t.Fatalf("key %q", key)
	}
	if ins := p.text(fmt.Sprintf(`[data-slot="key:%s"] dd:last-child`, sw)); !strings.Contains(ins, "slmgr") {
		t.Fatalf("instructions %q", ins)
	}
	p.until("download options", fmt.Sprintf(`!!document.querySelector('[data-form="download:%s"] option[value=ja]')`, sw))
	p.set(fmt.Sprintf(`[data-form="download:%s"] select[name=language]`, sw), "ja")
	p.set(fmt.Sprintf(`[data-form="download:%s"] select[name=os]`, sw), "windows-x64")
	p.submit("download:" + sw)
	link := fmt.Sprintf(`[data-slot="download:%s"] a[data-download]`, sw)
	p.until("the download link", fmt.Sprintf(`!!document.querySelector('%s')`, link))
	if href := p.eval(fmt.Sprintf(`document.querySelector('%s').href`, link)); !strings.Contains(href, "/ja/windows-x64/") {
		t.Fatalf("download link %q", href)
	}
	p.wait(fmt.Sprintf(`tr[data-benefit=%q] [data-status="activated"]`, sw))
	p.shot("software")

	// Azure & cloud: a monthly credit assigned, its ledger, removed; an
	// annual credit assigned and transferred; a licence redeemed adding seats.
	monthly := lineOfKind(t, pack, "credit-monthly", "")
	annual := lineOfKind(t, gold, "credit-annual", "")
	lic := lineOfKind(t, gold, "license", "office-cloud-e3")
	p.tab("cloud")
	p.expand(monthly)
	p.set(fmt.Sprintf(`[data-form="assign-credit:%s"] select`, monthly), memberID)
	p.submit("assign-credit:" + monthly)
	p.wait(fmt.Sprintf(`[data-key="remove:%s:%s"]`, monthly, memberID))
	p.click(fmt.Sprintf(`button[data-key="ledger:%s"]`, monthly))
	p.wait(fmt.Sprintf(`[data-slot="ledger:%s"] dl`, monthly))
	p.click(fmt.Sprintf(`button[data-key="remove:%s:%s"]`, monthly, memberID))
	p.until("the holder removed", fmt.Sprintf(`!document.querySelector('[data-key="remove:%s:%s"]')`, monthly, memberID))
	p.expand(annual)
	p.set(fmt.Sprintf(`[data-form="assign-credit:%s"] select`, annual), mpnID)
	p.submit("assign-credit:" + annual)
	p.wait(fmt.Sprintf(`[data-form="transfer:%s"]`, annual))
	p.set(fmt.Sprintf(`[data-form="transfer:%s"] select`, annual), memberID)
	p.submit("transfer:" + annual)
	p.until("the annual credit transferred", fmt.Sprintf(`document.getElementById("details-%s").textContent.includes("dev@northwind.example")`, annual))
	p.expand(lic)
	warn := fmt.Sprintf(`[data-form="redeem:%s"] [data-warning="term"]`, lic)
	p.wait(fmt.Sprintf(`[data-form="redeem:%s"]`, lic))
	if p.eval(fmt.Sprintf(`document.querySelector('%s').hidden`, warn)) != "true" {
		t.Fatal("the under-12-months warning shows before add-seats is chosen")
	}
	p.click(fmt.Sprintf(`[data-form="redeem:%s"] input[value="add-seats"]`, lic))
	if !strings.Contains(p.text(warn), "less than 12 months") {
		t.Fatal("choosing add-seats shows no warning about the term")
	}
	p.shot("cloud")
	p.set(fmt.Sprintf(`[data-form="redeem:%s"] input[name=tenantId]`, lic), "northwind.onmicrosoft.com")
	p.submit("redeem:" + lic)
	// Redeemed, the licence shows its redemption in place of the form.
	p.wait(fmt.Sprintf(`#details-%s [data-redeemed]`, lic))
	red := h.get("/v1/licenses/"+lic, admin).json(t)["redemption"].(map[string]any)
	if red["mode"] != "add-seats" || red["tenantId"] != "northwind.onmicrosoft.com" {
		t.Fatalf("redemption %v", red)
	}
	shown := p.eval(fmt.Sprintf(`!!document.querySelector('#details-%s [data-warning="under12"]')`, lic))
	if shown != fmt.Sprint(red["termUnder12Months"]) {
		t.Fatalf("under-12 warning shown %s, server says %v", shown, red["termUnder12Months"])
	}

	// Visual Studio: a seat assigned; moving it at once is refused with the date.
	vs := lineOfKind(t, gold, "visual-studio", "vs-enterprise")
	p.tab("visual-studio")
	p.expand(vs)
	p.set(fmt.Sprintf(`[data-form="assign-vs:%s"] select`, vs), mpnID)
	p.submit("assign-vs:" + vs)
	p.wait(fmt.Sprintf(`[data-form="reassign:%s:%s"]`, vs, mpnID))
	p.set(fmt.Sprintf(`[data-form="reassign:%s:%s"] select`, vs, mpnID), memberID)
	p.submit(fmt.Sprintf("reassign:%s:%s", vs, mpnID))
	refused := fmt.Sprintf(`[data-slot="reassign:%s:%s"] .msg.error[data-code="reassignment_too_soon"]`, vs, mpnID)
	msg := p.text(refused)
	movable := h.clock.Now().Add(90 * 24 * time.Hour).UTC()
	if !strings.Contains(msg, "can move to another user from") || !strings.Contains(msg, fmt.Sprint(movable.Year())) {
		t.Fatalf("refused reassignment says %q", msg)
	}
	if role := p.eval(fmt.Sprintf(`document.querySelector('%s').getAttribute("role")`, refused)); role != "alert" {
		t.Fatalf("the refusal is not announced (role=%s)", role)
	}
	p.shot("visual-studio")

	// Technical: support activated shows the ids; an incident; advisory hours.
	p.tab("technical")
	p.click(`button[data-key="support:activate"]`)
	access := p.text("[data-access-id]")
	sup := h.get("/v1/support", admin).json(t)
	if access != sup["accessId"] || p.text("[data-contract-id]") != sup["contractId"] {
		t.Fatalf("console shows %q, API %v", access, sup)
	}
	p.set(`[data-form="incident"] select[name=category]`, "on-premises")
	p.set(`[data-form="incident"] input[name=product]`, "server-os-datacenter")
	p.set(`[data-form="incident"] input[name=productVersion]`, "2019")
	p.submit("incident")
	p.wait(`[data-slot="incident"] .msg.error[data-code="version_not_supported"]`)
	p.set(`[data-form="incident"] select[name=category]`, "on-premises")
	p.set(`[data-form="incident"] input[name=product]`, "server-os-datacenter")
	p.set(`[data-form="incident"] input[name=productVersion]`, "2025")
	p.submit("incident")
	p.wait(`[data-slot="incident"] .msg.ok`)
	p.set(`[data-form="advisory"] input[name=topic]`, "Landing zone review")
	p.set(`[data-form="advisory"] input[name=hours]`, "2")
	p.submit("advisory")
	p.wait(`[data-slot="advisory"] .msg.ok`)
	p.until("hours left shown", `(document.querySelector("[data-hours-left]") || {}).dataset?.hoursLeft === "53"`)
	p.shot("technical")

	// Go-to-market: the contact's email must differ from the account email;
	// then an offer is activated and waits for the contact.
	offer := lineOfKind(t, gold, "gtm-offer", "gtm-listing-boost")
	p.tab("gtm")
	p.wait(`[data-warning="no-contact"]`)
	p.set(`[data-form="marketing-contact"] select[name=userId]`, adminID)
	p.set(`[data-form="marketing-contact"] input[name=email]`, "admin@northwind.example")
	p.set(`[data-form="marketing-contact"] input[name=phone]`, "+81312345678")
	p.set(`[data-form="marketing-contact"] select[name=language]`, "ja")
	p.submit("marketing-contact")
	p.wait(`[data-slot="marketing-contact"] .msg.error[data-code="email_must_differ"]`)
	p.set(`[data-form="marketing-contact"] input[name=email]`, "marketing@northwind.example")
	p.submit("marketing-contact")
	p.wait(`[data-slot="marketing-contact"] .msg.ok`)
	p.expand(offer)
	p.click(fmt.Sprintf(`button[data-key="offer:%s"]`, offer))
	p.wait(fmt.Sprintf(`tr[data-benefit=%q] [data-status="pending"]`, offer))
	p.shot("gtm")

	// Users: one added through the console.
	p.tab("users")
	p.set(`[data-form="add-user"] input[name=email]`, "new.hire@northwind.example")
	p.set(`[data-form="add-user"] input[name=displayName]`, "New Hire")
	p.click(`[data-form="add-user"] input[value="admin-agent"]`)
	p.submit("add-user")
	p.until("the new user listed", `document.querySelector("[data-users]").textContent.includes("new.hire@northwind.example")`)
	p.shot("users")

	// Package: the Action Pack cancelled; Gold cannot be, a key was taken.
	packID := pack["id"].(string)
	p.tab("package")
	p.set(fmt.Sprintf(`[data-form="cancel:%s"] textarea`, packID), "Bought the wrong package")
	p.submit("cancel:" + packID)
	p.wait(fmt.Sprintf(`[data-purchase=%q] [data-status="cancelled"]`, packID))
	p.wait(fmt.Sprintf(`[data-purchase=%q] [data-service-request]`, packID))
	goldID := gold["id"].(string)
	if !p.disabled(fmt.Sprintf(`[data-form="cancel:%s"] button[type=submit]`, goldID)) {
		t.Fatal("the cancel button of a package whose key was taken is enabled")
	}
	if why := p.text(fmt.Sprintf(`[data-form="cancel:%s"] .reason`, goldID)); !strings.Contains(why, "key") {
		t.Fatalf("reason %q", why)
	}
	p.shot("package")

	// Keyboard: arrows move between tabs.
	p.do("focus the tab", chromedp.Focus(chromedp.CSS(`[data-tab="package"]`)), chromedp.KeyEvent(kb.ArrowLeft))
	p.until("ArrowLeft selects Users", `document.activeElement.dataset.tab === "users" && document.activeElement.getAttribute("aria-selected") === "true"`)
	p.do("End", chromedp.KeyEvent(kb.End))
	p.until("End selects Package", `document.activeElement.dataset.tab === "package"`)

	// Japanese: switch, and a refusal in Japanese.
	p.set("[data-lang-picker]", "ja")
	p.until("Japanese page", `document.documentElement.lang === "ja" && document.querySelector('[data-tab="software"]').textContent === "ソフトウェア"`)
	p.tab("visual-studio")
	p.expand(vs)
	p.wait(fmt.Sprintf(`[data-form="reassign:%s:%s"]`, vs, mpnID))
	p.set(fmt.Sprintf(`[data-form="reassign:%s:%s"] select`, vs, mpnID), memberID)
	p.submit(fmt.Sprintf("reassign:%s:%s", vs, mpnID))
	p.until("the refusal in Japanese", fmt.Sprintf(`(document.querySelector('%s') || {}).textContent?.includes("再割り当てできます")`, refused))
	p.shot("japanese")
	p.set("[data-lang-picker]", "en")
	p.until("English again", `document.documentElement.lang === "en"`)

	// Roles: a member sees the benefits, asks for advisory hours and buys,
	// but every admin action is greyed out with the roles it needs.
	p.signOut()
	p.signIn(2)
	p.tab("software")
	p.expand(sw)
	keyBtn := fmt.Sprintf(`button[data-key="key:%s"]`, sw)
	if !p.disabled(keyBtn) {
		t.Fatal("a member's Get key is enabled")
	}
	reason := p.eval(fmt.Sprintf(`document.getElementById(document.querySelector('%s').getAttribute("aria-describedby")).textContent`, keyBtn))
	if reason != "Needs the role Global admin or MPN partner admin." {
		t.Fatalf("member's reason: %q", reason)
	}
	p.tab("cloud")
	p.expand(monthly)
	if !p.disabled(fmt.Sprintf(`[data-form="assign-credit:%s"] button[type=submit]`, monthly)) {
		t.Fatal("a member may assign credits")
	}
	p.tab("users")
	if !p.disabled(`[data-form="add-user"] button[type=submit]`) || !p.disabled(`[data-form="add-user"] input[name=email]`) {
		t.Fatal("a member may add users")
	}
	p.tab("technical")
	if p.disabled(`[data-form="advisory"] button[type=submit]`) {
		t.Fatal("a member cannot submit an advisory request")
	}
	p.tab("package")
	if p.disabled(`button[data-key="buy:silver-2026"]`) || !p.disabled(fmt.Sprintf(`[data-form="cancel:%s"] button[type=submit]`, goldID)) {
		t.Fatal("a member's buy or cancel buttons are wrong")
	}
	p.shot("member")

	// A user-management admin adds users but takes no keys.
	p.signOut()
	p.signIn(3)
	p.tab("users")
	if p.disabled(`[data-form="add-user"] button[type=submit]`) {
		t.Fatal("a user-management admin cannot add users")
	}
	// ... but only gives the roles it may: the admin roles are greyed out, saying who gives them.
	for role, want := range map[string]bool{"global-admin": true, "mpn-partner-admin": true, "user-management-admin": false, "admin-agent": false} {
		box := fmt.Sprintf(`[data-form="add-user"] input[value="%s"]`, role)
		if p.disabled(box) != want {
			t.Fatalf("a user-management admin's %s box: disabled %v, want %v", role, !want, want)
		}
		if want {
			why := p.eval(fmt.Sprintf(`document.getElementById(document.querySelector('%s').getAttribute("aria-describedby")).textContent`, box))
			if why != "Only Global admin can give this role." {
				t.Fatalf("why %s is greyed out: %q", role, why)
			}
		}
	}
	p.tab("software")
	p.expand(sw)
	if !p.disabled(keyBtn) {
		t.Fatal("a user-management admin may take keys")
	}

	if v := logs.violations(); len(v) != 0 {
		t.Fatalf("script errors or policy violations: %q", v)
	}
	t.Logf("walked 7 tabs, 4 roles and 2 languages in %v", time.Since(start).Round(time.Millisecond))
}

// TestConsoleBrowserLanguage: a browser that prefers Japanese gets the
// Japanese console from the first page, sign-in included.
func TestConsoleBrowserLanguage(t *testing.T) {
	ctx := newBrowserWith(t, browserTimeout, chromedp.Flag("lang", "ja-JP"), chromedp.Flag("accept-lang", "ja-JP,ja"))
	h := newConsoleHarness(t, demoConsole())
	pid, adminID, _ := h.newPartner("Kanto", "JPY")
	h.console.setDemo(console.Demo{PartnerID: pid, Users: []console.DemoUser{{ID: adminID, Name: "Kanto admin", Roles: []string{"global-admin"}}}})
	p := newPage(t, ctx, h.url)
	p.do("open", chromedp.Navigate(h.url+"/"))
	p.wait(`[data-form="signin"]`)
	if got := p.eval(`document.documentElement.lang + " " + document.querySelector("h1").textContent`); got != "ja サインイン" {
		t.Fatalf("sign-in page %q, want Japanese", got)
	}
	p.submit("signin")
	p.wait(`[role="tablist"]`)
	if got := p.text(`[data-tab="technical"]`); got != "技術関連の特典" {
		t.Fatalf("tab %q", got)
	}
	p.tab("technical")
	if got := p.text(`[data-empty="technical"]`); !strings.Contains(got, "まだ特典がないようです") {
		t.Fatalf("no-benefits text %q", got)
	}
}

// TestConsoleOIDCSignIn runs the AWS sign-in against a stand-in OpenID
// provider: the console sends the browser to /authorize with a PKCE S256
// challenge and a state, and trades the code and its verifier for the ID
// token at /token, which the provider grants only if the verifier hashes to
// the challenge. The token is then the bearer of every API call.
func TestConsoleOIDCSignIn(t *testing.T) {
	ctx := newBrowserWith(t, browserTimeout, chromedp.Flag("ignore-certificate-errors", true))
	idp := &fakeIDP{t: t, codes: map[string]string{}}
	srv := httptest.NewTLSServer(idp)
	t.Cleanup(srv.Close)
	cfg := console.Config{Auth: console.Auth{Mode: console.ModeOIDC, AuthorizeURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token",
		ClientID: "console-client", Scope: "openid email", TokenField: "id_token"}}
	h := newConsoleHarness(t, cfg)
	pid, adminID, _ := h.newPartner("Oidc", "USD")
	idp.token = h.token(pid, adminID, "global-admin")
	idp.origin = h.url

	p := newPage(t, ctx, h.url)
	p.do("open", chromedp.Navigate(h.url+"/#users"))
	p.click(`[data-signin="oidc"]`)
	p.wait(`[data-users]`)
	if got := p.eval(`location.search === "" && location.hash`); got != "#users" {
		t.Fatalf("after sign-in the page is at %q, want the code gone and #users kept", got)
	}
	if !strings.Contains(p.text(`[data-users]`), "admin@oidc.example") {
		t.Fatal("the directory did not load with the provider's token")
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if idp.exchanged != 1 {
		t.Fatalf("%d code exchanges", idp.exchanged)
	}
}

// fakeIDP is the part of an OpenID provider the console uses.
type fakeIDP struct {
	t             *testing.T
	mu            sync.Mutex
	codes         map[string]string // code -> challenge
	token, origin string
	exchanged     int
}

func (f *fakeIDP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/authorize":
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != "console-client" || q.Get("code_challenge_method") != "S256" ||
			len(q.Get("code_challenge")) != 43 || q.Get("state") == "" || q.Get("redirect_uri") != f.origin+"/" || q.Get("scope") != "openid email" {
			f.t.Errorf("authorize request %v", q)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		code := fmt.Sprintf("code-%d", len(f.codes)+1)
		f.codes[code] = q.Get("code_challenge")
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	case "/token":
		w.Header().Set("Access-Control-Allow-Origin", f.origin)
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			return
		}
		_ = r.ParseForm()
		challenge, ok := f.codes[r.PostForm.Get("code")]
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_id") != "console-client" ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			f.t.Errorf("token request %v", r.PostForm)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		delete(f.codes, r.PostForm.Get("code")) // a code works once
		f.exchanged++
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id_token": f.token, "access_token": "opaque", "token_type": "Bearer", "expires_in": 3600})
	default:
		http.NotFound(w, r)
	}
}

// TestConsoleOnMakeDev runs the gateway binary the way `make dev` does (its
// own main: the demo partner, its users, the console from .build/web) over
// the test's DynamoDB Local, and goes through every tab in Chromium as the
// demo admin after buying a package, then checks a demo member's greyed-out
// key button.
func TestConsoleOnMakeDev(t *testing.T) {
	ctx := newBrowserWith(t, 2*time.Minute)
	logs := watchConsole(ctx)
	needConsole(t)
	db := testenv.DynamoDB(t)
	testenv.SES(t)
	table := testenv.NewTable(t, db)
	bin := filepath.Join(t.TempDir(), "localgw")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	web, _ := filepath.Abs(consoleDir)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "TABLE_NAME="+table, "WEB_DIR="+web)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if r, err := http.Get(base + "/config.json"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(end) {
			t.Fatalf("the gateway did not come up:\n%s", stderr.String())
		}
	}

	p := newPage(t, ctx, base)
	p.signIn(0) // the demo partner's global admin
	if who := p.text("[data-who]"); !strings.Contains(who, "Contoso administrator") || !strings.Contains(who, demoPartnerID) {
		t.Fatalf("signed in as %q", who)
	}
	p.tab("package")
	p.click(`button[data-key="buy:gold-2026"]`)
	p.wait(`[data-slot="buy:gold-2026"] .msg.ok`)
	for _, tab := range []string{"software", "cloud", "visual-studio", "technical", "gtm", "users", "package"} {
		p.tab(tab)
		p.audit(tab)
		if p.eval(`!!document.querySelector("#panel .msg.error")`) == "true" {
			t.Errorf("%s shows an error: %s", tab, p.mainText())
		}
		if n := p.eval(`document.querySelectorAll("[data-users] tbody tr").length`); tab == "users" && n != fmt.Sprint(len(demoUsers)) {
			t.Errorf("the directory lists %s users, want the %d demo users", n, len(demoUsers))
		}
	}
	p.signOut()
	p.signIn(4) // the demo member
	p.tab("software")
	line := p.eval(`document.querySelector("tr[data-benefit]").dataset.benefit`)
	p.expand(line)
	if !p.disabled(fmt.Sprintf(`button[data-key="key:%s"]`, line)) {
		t.Error("the demo member's Get key is enabled")
	}
	if v := logs.violations(); len(v) != 0 {
		t.Fatalf("script errors or policy violations: %q", v)
	}
}
