package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/access"
)

// plainUser is the grant of no role: adding a member.
const plainUser = ""

// grantRule restates the role-grant table of docs/domain.md (independently
// of shared/access, which it checks): per role a caller holds, what a user it
// adds may be given; plainUser is a user with no role. A caller may add a
// user when some role it holds grants plainUser and each requested role.
var grantRule = map[string][]string{
	member:                             {},
	string(access.GlobalAdmin):         {plainUser, "global-admin", "mpn-partner-admin", "user-management-admin", "admin-agent"},
	string(access.MPNPartnerAdmin):     {},
	string(access.UserManagementAdmin): {plainUser, "user-management-admin", "admin-agent"},
	string(access.AdminAgent):          {},
}

// pairs lists every two-element combination of roles, in order.
func pairs(roles []string) [][]string {
	var out [][]string
	for i := range roles {
		for j := i + 1; j < len(roles); j++ {
			out = append(out, []string{roles[i], roles[j]})
		}
	}
	return out
}

// grantAllowed is the table's answer for a caller holding held (nil =
// member) asking to give a new user the roles asked.
func grantAllowed(held, asked []string) bool {
	if len(held) == 0 {
		held = []string{member}
	}
	for _, r := range append([]string{plainUser}, asked...) {
		if !slices.ContainsFunc(held, func(h string) bool { return slices.Contains(grantRule[h], r) }) {
			return false
		}
	}
	return true
}

// directory lists a partner's users as "email roles" lines, in order.
func (h *harness) directory(token string) []string {
	h.t.Helper()
	var out []string
	for cursor := ""; ; {
		r := h.get("/v1/users?limit=100&cursor="+url.QueryEscape(cursor), token)
		if r.Status != http.StatusOK {
			h.t.Fatalf("list users: %d %s", r.Status, r.Body)
		}
		var page struct {
			Items []struct {
				Email string   `json:"email"`
				Roles []string `json:"roles"`
			} `json:"items"`
			NextCursor string `json:"nextCursor"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil {
			h.t.Fatal(err)
		}
		for _, u := range page.Items {
			out = append(out, u.Email+" "+strings.Join(u.Roles, ","))
		}
		if cursor = page.NextCursor; cursor == "" {
			return out
		}
	}
}

// missing lists the lines of a that b lacks.
func missing(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestRoleGrants: every caller (a member, each partner role, each pair of
// roles in one token) asks POST /v1/users for a user with no role, each
// role, each pair and all four; the answer is grantRule's, 201 or 403
// forbidden_role with the directory unchanged. Callers and requests are
// generated from access.PartnerRoles, so a new role fails here until
// grantRule says what it grants and who grants it.
func TestRoleGrants(t *testing.T) {
	var roles []string
	for _, r := range access.PartnerRoles {
		roles = append(roles, string(r))
	}
	for _, r := range append(slices.Clone(roles), member) {
		if _, ok := grantRule[r]; !ok {
			t.Errorf("role %q has no row in grantRule (docs/domain.md): say what it may grant", r)
		}
	}
	for held, grants := range grantRule {
		for _, g := range grants {
			if g != plainUser && !slices.Contains(roles, g) {
				t.Errorf("grantRule[%s] grants %q, which is not in access.PartnerRoles", held, g)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	callers := [][]string{nil} // a member
	for _, r := range roles {
		callers = append(callers, []string{r})
	}
	callers = append(callers, pairs(roles)...)
	asks := [][]string{{}}
	for _, r := range roles {
		asks = append(asks, []string{r})
	}
	asks = append(asks, pairs(roles)...)
	asks = append(asks, roles)

	h := newHarness(t)
	pid, _, admin := h.newPartner("RoleGrants", "USD")
	// Each caller is a real directory user holding its roles.
	tokens := make([]string, len(callers))
	for i, held := range callers {
		body, _ := json.Marshal(map[string]any{"email": fmt.Sprintf("caller%d@rolegrants.example", i), "displayName": "Caller", "roles": append([]string{}, held...)})
		r := h.post("/v1/users", admin, string(body))
		if r.Status != http.StatusCreated {
			t.Fatalf("add caller %v: %d %s", held, r.Status, r.Body)
		}
		tokens[i] = h.token(pid, r.json(t)["id"].(string), held...)
	}

	dir := h.directory(admin)
	counts := map[int]int{}
	n := 0
	for i, held := range callers {
		for _, asked := range asks {
			n++
			email := fmt.Sprintf("new%d@rolegrants.example", n)
			body, _ := json.Marshal(map[string]any{"email": email, "displayName": "New", "roles": asked})
			r := h.post("/v1/users", tokens[i], string(body))
			counts[r.Status]++
			what := fmt.Sprintf("caller %v grants %v", held, asked)
			if grantAllowed(held, asked) {
				if r.Status != http.StatusCreated {
					t.Errorf("%s: %d %s, want 201", what, r.Status, r.Body)
					continue
				}
				var got struct{ Roles []string }
				_ = json.Unmarshal(r.Body, &got)
				if !slices.Equal(got.Roles, asked) {
					t.Errorf("%s: the new user has roles %v", what, got.Roles)
				}
				dir = append(dir, email+" "+strings.Join(asked, ","))
			} else if !problemIs(r, http.StatusForbidden, "forbidden_role") {
				t.Errorf("%s: %d %s, want 403 forbidden_role", what, r.Status, r.Body)
			} else if role, _ := r.json(t)["role"].(string); grantAllowed(held, nil) && (!slices.Contains(asked, role) || grantAllowed(held, []string{role})) {
				// A caller who adds users is told which role it may not grant.
				t.Errorf("%s: 403 names role %q, want one the caller may not grant", what, role)
			}
			if now := h.directory(admin); !slices.Equal(now, dir) {
				t.Errorf("%s: after %d the directory gained %q and lost %q", what, r.Status, missing(now, dir), missing(dir, now))
				dir = now
			}
		}
	}
	t.Logf("%d callers × %d requests = %d checks; statuses %v", len(callers), len(asks), n, counts)
}
