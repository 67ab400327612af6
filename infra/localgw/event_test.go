package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/routes"
)

// TestFunctionFixturesRunOnTheirHandlers feeds each functions/<name>/event.json
// (the real payload 2.0 shape, claims as the JWT authorizer writes them) to
// the handler that function's main starts, as Lambda would.
func TestFunctionFixturesRunOnTheirHandlers(t *testing.T) {
	h := newHarness(t)
	if _, err := seed(context.Background(), h.svc.Store, h.clock.Now); err != nil {
		t.Fatal(err)
	}
	// Fixtures that name a benefit get a real line of the demo partner.
	gold := h.buy(h.token(demoPartnerID, demoAdminID, "global-admin"), "gold-2026")
	office := lineOf(t, gold, "office-suite-pro")
	annual := lineOf(t, gold, "cloud-credit-annual")
	// A purchase of its own for the cancellation fixture.
	spare := h.buy(h.token(demoPartnerID, demoAdminID, "global-admin"), "action-pack-2026")["id"].(string)
	for _, fn := range routes.Functions() {
		t.Run(fn, func(t *testing.T) {
			ev := loadFixture(t, fn)
			if id, ok := ev.PathParameters["id"]; ok && strings.HasPrefix(ev.RawPath, "/v1/purchases/") {
				ev.PathParameters["id"] = spare
				ev.RawPath = strings.Replace(ev.RawPath, id, spare, 1)
			}
			if id, ok := ev.PathParameters["benefitId"]; ok {
				line := office
				if strings.HasPrefix(ev.RawPath, "/v1/credits/") {
					line = annual
				}
				ev.PathParameters["benefitId"] = line
				ev.RawPath = strings.Replace(ev.RawPath, id, line, 1)
			}
			handler, err := h.svc.Handler(fn)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := handler(context.Background(), ev)
			if err != nil || resp.StatusCode >= 300 {
				t.Fatalf("%s: %d %v %s", ev.RouteKey, resp.StatusCode, err, resp.Body)
			}
			if resp.Headers["X-Request-Id"] != ev.RequestContext.RequestID {
				t.Errorf("X-Request-Id %q, want the API Gateway request id", resp.Headers["X-Request-Id"])
			}
		})
	}
}

func loadFixture(t *testing.T, fn string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "functions", fn, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestGatewayEventHasTheFixtureShape compares the JSON field paths of the
// event the local gateway builds with a fixture of the real shape.
func TestGatewayEventHasTheFixtureShape(t *testing.T) {
	fixture := loadFixture(t, "purchases")
	req := httptest.NewRequest("POST", "/v1/purchases?x=1&x=2", strings.NewReader(`{"packageId":"gold-2026"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k")
	req.Header.Add("Cookie", "a=1; b=2")
	rt, params, ok := newMatcher(routes.All).match("POST", "/v1/purchases")
	if !ok {
		t.Fatal("no route")
	}
	claims := map[string]string{"sub": "u", "partner_id": "p", "roles": "[global-admin mpn-partner-admin]"}
	ev, err := buildEvent(req, rt, params, claims, "rid", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want, got := paths(t, fixture), paths(t, ev)
	for _, p := range want {
		if !slices.Contains(got, p) && !strings.HasPrefix(p, "requestContext.authorizer.jwt.claims.") && !strings.HasPrefix(p, "headers.") {
			t.Errorf("gateway event lacks %s", p)
		}
	}
	if ev.Version != "2.0" || ev.RouteKey != "POST /v1/purchases" || ev.RequestContext.RouteKey != ev.RouteKey || ev.RequestContext.Stage != "$default" {
		t.Errorf("event header fields: %+v", ev)
	}
	if ev.QueryStringParameters["x"] != "1,2" || ev.RawQueryString != "x=1&x=2" {
		t.Errorf("repeated query parameters are joined with commas: %v", ev.QueryStringParameters)
	}
	if !slices.Equal(ev.Cookies, []string{"a=1", "b=2"}) || ev.Headers["cookie"] != "" {
		t.Errorf("cookies %v", ev.Cookies)
	}
	if ev.Headers["idempotency-key"] != "k" {
		t.Errorf("header names must be lowercased: %v", ev.Headers)
	}
	if ev.IsBase64Encoded || ev.Body != `{"packageId":"gold-2026"}` {
		t.Errorf("JSON bodies travel as text: %q", ev.Body)
	}
}

func TestMatcherPrefersLiteralSegments(t *testing.T) {
	m := newMatcher([]routes.Route{
		{Method: "GET", Path: "/v1/x/{id}", Function: "a"},
		{Method: "GET", Path: "/v1/x/special", Function: "b"},
	})
	if r, _, _ := m.match("GET", "/v1/x/special"); r.Function != "b" {
		t.Errorf("literal route should win, got %s", r.Function)
	}
	if r, p, _ := m.match("GET", "/v1/x/pur%2F1"); r.Function != "a" || p["id"] != "pur/1" {
		t.Errorf("parameter route: %s %v", r.Function, p)
	}
	if _, _, ok := m.match("POST", "/v1/x/1"); ok {
		t.Error("method must match")
	}
}

// paths lists the dotted JSON paths of v's non-null fields.
func paths(t *testing.T, v any) []string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	var out []string
	var walk func(prefix string, x any)
	walk = func(prefix string, x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				walk(prefix+k+".", v)
			}
		case nil:
		default:
			out = append(out, strings.TrimSuffix(prefix, "."))
		}
	}
	walk("", m)
	return out
}
