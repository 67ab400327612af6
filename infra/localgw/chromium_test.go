package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserTimeout bounds the browser actions of one test. The browser itself
// is killed at twice that, so a hung launch cannot hold the test either.
const browserTimeout = 60 * time.Second

// chromiumPath finds the Chromium binary (Debian's chromium package), or "".
func chromiumPath() string {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// needChromium returns Chromium's path, or skips the test without it.
func needChromium(t testing.TB) string {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("chromium not installed: make test installs it as root; apt-get install chromium")
	}
	return path
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// chromedp context for chromedp.Do and chromedp.Run, bounded by
// browserTimeout. The browser and its profile are gone when the test ends.
// Without Chromium the test skips.
//
// The flags suit a closed network and root: no sandbox, no GPU, no QUIC and
// nothing that phones home (component updates, sync, background networking).
func newBrowser(t testing.TB) context.Context { return newBrowserWith(t, browserTimeout) }

// newBrowserWith is newBrowser with another bound on the actions and more
// Chromium options (a language, a certificate policy).
func newBrowserWith(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := needChromium(t)
	dir, err := os.MkdirTemp("", "localgw-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900),
	)
	opts = append(opts, extra...)
	// The first Run binds the browser's life to its context, so that context
	// gets the hard limit and the actions get a shorter one below.
	life, cancelLife := context.WithTimeout(context.Background(), 2*timeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser() // closes the tab and the browser
		cancelAlloc()   // waits for the process to exit
		cancelLife()
		_ = os.RemoveAll(dir) // best effort once Chromium is gone
	})
	start := time.Now()
	if err := chromedp.Do(browser); err != nil { // launches now, so a broken install fails here
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	t.Logf("chromium %s started in %v", path, time.Since(start).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(browser, timeout)
	t.Cleanup(cancel)
	return ctx
}

// consoleLog collects what the page writes to the console and the browser
// log (script errors, Content-Security-Policy violations, failed loads)
// while a test runs.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

// watchConsole starts collecting the console of the browser context.
func watchConsole(ctx context.Context) *consoleLog {
	c := &consoleLog{}
	messages := chromedp.Console(ctx) // subscribed from here on
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	return c
}

// all returns the messages so far.
func (c *consoleLog) all() []chromedp.ConsoleMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), c.msgs...)
}

// violations returns the script exceptions and the Content-Security-Policy
// reports so far: a page that needs an inline script, an external asset or a
// blocked form target shows up here.
func (c *consoleLog) violations() []string {
	var out []string
	for _, m := range c.all() {
		if m.IsException() || m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, m.String())
		}
	}
	return out
}

// waitFor polls the console until f holds or d passes (console events arrive
// asynchronously to the actions).
func (c *consoleLog) waitFor(d time.Duration, f func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if f() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// TestBrowserSmoke checks the browser plumbing without the gateway: a page
// with a form whose button POSTs, the result page it lands on, and that a
// Content-Security-Policy violation reaches the console watcher.
func TestBrowserSmoke(t *testing.T) {
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<!doctype html><html><head><meta charset=utf-8><title>smoke</title></head><body>" + body + "</body></html>"))
	}
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		page(w, http.StatusOK, `<form method="post" action="/form"><input type="hidden" name="token" value="abc">`+
			`<button id="confirm" type="submit">Confirm</button></form>`)
	})
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("token") != "abc" {
			page(w, http.StatusBadRequest, `<p id="status" data-status="invalid">Bad token.</p>`)
			return
		}
		// The inline script must be blocked by the policy and reported.
		page(w, http.StatusOK, `<p id="status" data-status="active">Done for `+r.FormValue("token")+`.</p>`+
			`<script>document.getElementById("status").dataset.status = "scripted"</script>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := newBrowser(t)
	console := watchConsole(ctx)
	start := time.Now()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+"/form"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || resp.MimeType != "text/html" {
		t.Fatalf("GET /form: %d %s", resp.Status, resp.MimeType)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("confirm"))); err != nil {
		t.Fatal(err)
	}
	if v := console.violations(); len(v) != 0 {
		t.Fatalf("form page console: %q", v)
	}
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("confirm")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("POST /form: %d", resp.Status)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("status"))); err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("status"), "data-status"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
	if err != nil {
		t.Fatal(err)
	}
	if !status.Exists || status.Value != "active" || !strings.Contains(text, "Done for abc") {
		t.Fatalf("data-status=%+v, text %q", status, text)
	}
	if !console.waitFor(5*time.Second, func() bool { return len(console.violations()) > 0 }) {
		t.Fatalf("the blocked inline script was not reported; console: %v", console.all())
	}
	t.Logf("navigate, click, result in %v; reported: %q", time.Since(start).Round(time.Millisecond), console.violations())
}
