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

// TestBenefitRoutesAnswer4xxToGarbageOnRealLines sends the same kind of
// garbage to every {benefitId} route with a real line of the partner, so
// the input reaches the rules and the store, not only the id check.
func TestBenefitRoutesAnswer4xxToGarbageOnRealLines(t *testing.T) {
	h := newHarness(t)
	_, adminID, admin := h.newPartner("GarbageLines", "USD")
	pack := h.buy(admin, "action-pack-2026")
	lines := map[string]string{
		"/v1/software/":      lineOf(t, pack, "office-suite-pro"),
		"/v1/credits/":       creditLine(t, pack, "credit-monthly", 0),
		"/v1/licenses/":      lineOf(t, pack, "office-cloud-e3"),
		"/v1/visual-studio/": lineOf(t, pack, "vs-professional"),
	}
	bodies := []string{"", "{", "null", "[]", `{"userId":1}`, `{"userId":"` + strings.Repeat("u", 3000) + `"}`,
		`{"userId":"usr_x","replacesUserId":"` + adminID + `"}`, `{"tenantId":"` + strings.Repeat("a.", 200) + `","mode":"add-seats"}`,
		`{"tenantId":"x","mode":null}`, "userId\n\"unterminated\n", "userId,replacesUserId\n,,,,\n" + adminID + "," + adminID + "\n",
		`{"assignments":[{"userId":"` + adminID + `","replacesUserId":"usr_nobody"},{"userId":""}]}`, `{"assignments":{}}`}
	queries := []string{"", "?limit=101", "?cursor=%FF%FE", "?cursor=" + strings.Repeat("QVVESVQj", 60), "?benefitId=" + strings.Repeat("b", 300)}
	for _, r := range routes.All {
		if !strings.Contains(r.Path, "{benefitId}") && r.Path != "/v1/audit" {
			continue
		}
		for prefix, id := range lines {
			if r.Path != "/v1/audit" && !strings.HasPrefix(r.Path, prefix) {
				continue
			}
			for i, body := range bodies {
				path := strings.ReplaceAll(strings.ReplaceAll(r.Path, "{benefitId}", id), "{userId}", adminID) + queries[i%len(queries)]
				ct := []string{"application/json", "text/csv", "application/problem+json"}[i%3]
				resp := h.do(call{method: r.Method, path: path, token: admin, body: body, headers: map[string]string{"Content-Type": ct}})
				if resp.Status >= 500 {
					t.Errorf("%s %s (%s) %q: %d %s", r.Method, path[:min(len(path), 90)], ct, body[:min(len(body), 40)], resp.Status, resp.Body)
				}
			}
		}
	}
}
