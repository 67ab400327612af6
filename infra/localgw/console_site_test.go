package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/console"
)

// fakeConsole writes a minimal built console into a temp dir.
func fakeConsole(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"index.html": "<!doctype html><title>c</title>", "main.js": "export {}", "tabs/a.js": "export {}", "styles.css": "body{}"}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestConsoleSite(t *testing.T) {
	site, err := newConsoleSite(fakeConsole(t), demoConsole())
	if err != nil {
		t.Fatal(err)
	}
	get := func(method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		site.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		return w
	}
	cases := []struct {
		method, path string
		status       int
		ctype        string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8"},
		{"GET", "/main.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/tabs/a.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/styles.css", 200, "text/css; charset=utf-8"},
		{"HEAD", "/main.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/config.json", 200, "application/json"},
		{"GET", "/tabs", 404, ""},
		{"GET", "/tabs/", 404, ""},
		{"GET", "/missing.js", 404, ""},
		{"GET", "/../../go.mod", 404, ""},
		{"GET", "/%2e%2e/go.mod", 404, ""},
		{"POST", "/", 405, ""},
	}
	for _, c := range cases {
		w := get(c.method, c.path)
		if w.Code != c.status || (c.ctype != "" && w.Header().Get("Content-Type") != c.ctype) {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, w.Code, w.Header().Get("Content-Type"), c.status, c.ctype)
		}
		// Every answer, errors included, carries the console's headers.
		for k, v := range console.Headers() {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", c.method, c.path, k, got, v)
			}
		}
	}
	var cfg console.Config
	if err := json.Unmarshal(get("GET", "/config.json").Body.Bytes(), &cfg); err != nil || cfg.Auth.Mode != console.ModeLocal || cfg.Auth.Demo.PartnerID != demoPartnerID {
		t.Fatalf("config.json %+v %v", cfg, err)
	}
	if len(cfg.Auth.Demo.Users) != len(demoUsers) || cfg.Auth.Demo.Users[0].ID != demoAdminID {
		t.Fatalf("demo users %+v", cfg.Auth.Demo.Users)
	}
	if _, err := newConsoleSite(t.TempDir(), demoConsole()); err != errNoConsole {
		t.Fatalf("an empty dir: %v, want errNoConsole", err)
	}
	if _, err := newConsoleSite(fakeConsole(t), console.Config{Auth: console.Auth{Mode: "magic"}}); err == nil {
		t.Fatal("an invalid config was accepted")
	}
}

// TestConsoleBesideAPI: with the console served, /v1 is still the API (with
// its own problem documents) and /_local still the local routes.
func TestConsoleBesideAPI(t *testing.T) {
	site, err := newConsoleSite(fakeConsole(t), demoConsole())
	if err != nil {
		t.Fatal(err)
	}
	h := buildSite(t, false, nil, site)
	if r := h.get("/", ""); r.Status != 200 || !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("GET /: %d %v", r.Status, r.Header)
	}
	if r := h.get("/v1/benefits", ""); r.Status != http.StatusUnauthorized || r.Header.Get("Content-Security-Policy") != "" {
		t.Fatalf("GET /v1/benefits without a token: %d %v", r.Status, r.Header)
	}
	if r := h.get("/v1/nowhere", ""); r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), "Not Found") {
		t.Fatalf("GET /v1/nowhere: %d %s", r.Status, r.Body)
	}
	if r := h.post("/_local/token", "", `{"partnerId":"p","userId":"u","roles":[]}`); r.Status != http.StatusOK {
		t.Fatalf("POST /_local/token: %d %s", r.Status, r.Body)
	}
}
