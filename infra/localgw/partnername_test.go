package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestPartnerNameLimit: every partner name the validation accepts creates
// its partner and first admin, up to the limit of 256; one past it is a 400
// naming only name, the one field the operator got wrong.
func TestPartnerNameLimit(t *testing.T) {
	h := newHarness(t)
	op := h.operator()
	create := func(i int, name string) reply {
		body, _ := json.Marshal(map[string]string{"name": name, "currency": "USD", "accountEmail": fmt.Sprintf("admin%d@long-name.example", i)})
		return h.post("/v1/admin/partners", op, string(body))
	}
	// 242 is the longest name whose "<name> administrator" fitted before.
	for i, n := range []int{1, 242, 243, 250, 255, 256} {
		name := strings.Repeat("N", n-1) + "Z"
		r := create(i, name)
		if r.Status != http.StatusCreated {
			t.Errorf("name of %d characters: %d %s, want 201", n, r.Status, r.Body)
			continue
		}
		m := r.json(t)
		admin := h.token(m["id"].(string), m["adminUserId"].(string), "global-admin")
		users := h.get("/v1/users", admin).json(t)["items"].([]any)
		if len(users) != 1 {
			t.Fatalf("name of %d characters: directory %v", n, users)
		}
		if dn := users[0].(map[string]any)["displayName"].(string); dn == "" || len(dn) > 256 {
			t.Errorf("name of %d characters: admin display name %q (%d bytes)", n, dn, len(dn))
		}
	}
	for i, name := range []string{strings.Repeat("N", 257), strings.Repeat("N", 300)} {
		p := create(100+i, name).problem(t, http.StatusBadRequest, "validation_failed")
		errs, _ := p["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != "name" {
			t.Errorf("name of %d characters: errors %v, want only name", len(name), errs)
		}
	}
}
