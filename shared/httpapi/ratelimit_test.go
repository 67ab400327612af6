package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/pbs/benefits/shared/apperr"
)

// TestTooManyRequests: a rate-limit refusal is 429 with Retry-After from the
// error's retryAfter member, which the document also carries.
func TestTooManyRequests(t *testing.T) {
	e := apperr.New(apperr.TooManyRequests, "rate_limited", "Slow down.").With(apperr.RetryAfter, 3600)
	resp := Problem(e, "/v1/gtm/marketing-contact", "rid")
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || resp.Headers["Retry-After"] != "3600" || m["code"] != "rate_limited" || m["retryAfter"] != float64(3600) ||
		m["title"] != "Too Many Requests" {
		t.Errorf("problem = %d %v %v", resp.StatusCode, resp.Headers, m)
	}
	// Without the member, no header.
	if resp := Problem(apperr.New(apperr.TooManyRequests, "rate_limited", "x"), "", ""); resp.Headers["Retry-After"] != "" {
		t.Errorf("Retry-After %q without retryAfter", resp.Headers["Retry-After"])
	}
}
