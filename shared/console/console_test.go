package console

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	oidc := func(f func(*Auth)) Config {
		c := Config{Auth: Auth{Mode: ModeOIDC, AuthorizeURL: "https://id.example/authorize", TokenURL: "https://id.example/token",
			ClientID: "client", TokenField: "id_token"}}
		f(&c.Auth)
		return c
	}
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"oidc", oidc(func(*Auth) {}), true},
		{"oidc access token with logout", oidc(func(a *Auth) { a.TokenField, a.LogoutURL = "access_token", "https://id.example/logout" }), true},
		{"http authorize", oidc(func(a *Auth) { a.AuthorizeURL = "http://id.example/authorize" }), false},
		{"no token url", oidc(func(a *Auth) { a.TokenURL = "" }), false},
		{"http logout", oidc(func(a *Auth) { a.LogoutURL = "http://id.example/logout" }), false},
		{"no client", oidc(func(a *Auth) { a.ClientID = "" }), false},
		{"bad token field", oidc(func(a *Auth) { a.TokenField = "refresh_token" }), false},
		{"local", Config{Auth: Auth{Mode: ModeLocal, Demo: &Demo{PartnerID: "p"}}}, true},
		{"local without demo", Config{Auth: Auth{Mode: ModeLocal}}, false},
		{"no mode", Config{}, false},
	}
	for _, c := range cases {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

func TestConnectOrigins(t *testing.T) {
	c := Config{APIBase: "https://api.example/prod", Auth: Auth{TokenURL: "https://id.example/oauth2/token"}}
	got := strings.Join(c.ConnectOrigins(), " ")
	if got != "https://api.example https://id.example" {
		t.Fatalf("ConnectOrigins = %q", got)
	}
	if o := (Config{Auth: Auth{TokenURL: "https://api.example/t"}, APIBase: "https://api.example"}).ConnectOrigins(); len(o) != 1 {
		t.Fatalf("duplicates kept: %v", o)
	}
	if o := (Config{}).ConnectOrigins(); len(o) != 0 {
		t.Fatalf("same-origin config connects elsewhere: %v", o)
	}
}

// TestCSP pins the directives that make the policy strict: nothing inline or
// evaluated, nothing from elsewhere, no frames, Trusted Types.
func TestCSP(t *testing.T) {
	csp := CSP("https://id.example")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self' https://id.example",
		"frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'", "require-trusted-types-for 'script'", "trusted-types 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "data:", "http:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP allows %q: %s", bad, csp)
		}
	}
	h := Headers()
	if h["X-Content-Type-Options"] != "nosniff" || h["X-Frame-Options"] != "DENY" || h["Referrer-Policy"] != "no-referrer" {
		t.Fatalf("headers %v", h)
	}
}

// TestStylesContrast: every text colour of the console's stylesheet on the
// backgrounds it is used on meets WCAG AA (4.5:1 for normal text).
func TestStylesContrast(t *testing.T) {
	css, err := os.ReadFile("../../web/styles.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	color := func(s string) string {
		if strings.HasPrefix(s, "#") {
			return s
		}
		v, ok := vars[s]
		if !ok {
			t.Fatalf("styles.css has no --%s", s)
		}
		return v
	}
	// Foreground on background, as the stylesheet pairs them.
	pairs := [][2]string{
		{"fg", "bg"}, {"muted", "bg"}, {"muted", "panel"}, {"fg", "panel"},
		{"accent-fg", "accent"}, {"accent", "bg"}, {"accent", "panel"},
		{"danger", "bg"}, {"danger", "#fde7e9"}, {"ok", "bg"}, {"ok", "#e6f4ea"},
		{"warn-fg", "warn-bg"}, {"warn-fg", "bg"},
		{"#5a6470", "#e9ecef"}, // disabled buttons
	}
	for _, p := range pairs {
		fg, bg := color(p[0]), color(p[1])
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("%s on %s (%s on %s): contrast %.2f < 4.5", p[0], p[1], fg, bg, r)
		}
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(0) + 0.7152*ch(1) + 0.0722*ch(2)
}
