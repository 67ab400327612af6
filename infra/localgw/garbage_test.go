package main

import (
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/routes"
)

// TestNoRouteAnswers5xxToGarbage sends malformed input to every route in the
// table as a partner admin and as the operator: bad input is always a 4xx.
func TestNoRouteAnswers5xxToGarbage(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Garbage", "USD")
	bodies := []string{"", "{", "null", "[]", `{"a":1}`, `"str"`, strings.Repeat("x", 5000), `{"packageId":"` + strings.Repeat("é", 600) + `"}`,
		`{"email":1,"displayName":[],"roles":"x","guest":"no"}`, `{"version":"` + strings.Repeat("v", 3000) + `"}`}
	params := []string{"x", strings.Repeat("z", 1500), "%23PK", "..", "ben_%00"}
	queries := []string{"", "?limit=-1", "?cursor=" + strings.Repeat("Zm9v", 500), "?currency=" + strings.Repeat("A", 500), "?language=xx&os=yy"}
	for _, r := range routes.All {
		for _, tok := range []string{admin, h.operator()} {
			for i, body := range bodies {
				path := r.Path
				for _, seg := range []string{"{id}", "{benefitId}", "{product}"} {
					path = strings.ReplaceAll(path, seg, params[i%len(params)])
				}
				path += queries[i%len(queries)]
				ct := []string{"application/json", "text/csv", "application/x-ndjson", "text/plain"}[i%4]
				resp := h.do(call{method: r.Method, path: path, token: tok, body: body, headers: map[string]string{"Content-Type": ct}})
				if resp.Status >= 500 {
					t.Errorf("%s %s (%s) %q: %d %s", r.Method, path[:min(len(path), 80)], ct, body[:min(len(body), 40)], resp.Status, resp.Body)
				}
			}
		}
	}
}
