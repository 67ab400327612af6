package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
)

// The directory's routes end to end (issue 27): search, change, remove,
// and the two races of docs/domain.md "Users and roles".

func (h *harness) patchUser(token, userID, body string) reply {
	return h.do(call{method: "PATCH", path: "/v1/users/" + userID, token: token, body: body})
}

func (h *harness) removeUser(token, userID string) reply {
	return h.do(call{method: "DELETE", path: "/v1/users/" + userID, token: token})
}

func (h *harness) addNamedUser(token, email, name string, roles string) string {
	h.t.Helper()
	r := h.post("/v1/users", token, `{"email":"`+email+`","displayName":"`+name+`","roles":[`+roles+`]}`)
	if r.Status != http.StatusCreated {
		h.t.Fatalf("add user %s: %d %s", email, r.Status, r.Body)
	}
	return r.json(h.t)["id"].(string)
}

// searchAll pages through GET /v1/users?<query> with limit and returns the
// emails in order.
func (h *harness) searchAll(token, query string, limit int) []string {
	h.t.Helper()
	var out []string
	cursor := ""
	for pages := 0; pages < 100; pages++ {
		path := fmt.Sprintf("/v1/users?%s&limit=%d", query, limit)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := h.get(path, token)
		if r.Status != http.StatusOK {
			h.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		m := r.json(h.t)
		for _, it := range m["items"].([]any) {
			out = append(out, it.(map[string]any)["email"].(string))
		}
		next, _ := m["nextCursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
	h.t.Fatal("more than 100 pages")
	return nil
}

func TestDirectorySearch(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Search", "USD")
	h.addNamedUser(admin, "aiko.tanaka@search.example", "Aiko Tanaka", "")
	h.addNamedUser(admin, "emile@search.example", "Émile Zola", "")
	h.addNamedUser(admin, "aiko.t@search.example", "田中\u3000愛子", "")
	h.addNamedUser(admin, "taro@search.example", "ﾀﾅｶ ﾀﾛｳ", "")
	member := h.token(h.partnerOf(admin), "usr_member", "")
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"tana", []string{"aiko.tanaka@search.example"}},
		{"TANAKA", []string{"aiko.tanaka@search.example"}},
		{"aiko", []string{"aiko.t@search.example", "aiko.tanaka@search.example"}}, // each once, though email and name match
		{"emi", []string{"emile@search.example"}},
		{"ÉMILE Z", []string{"emile@search.example"}},
		{"zol", []string{"emile@search.example"}},
		{"愛子", []string{"aiko.t@search.example"}},
		{"田中", []string{"aiko.t@search.example"}},
		{"タナカ", []string{"taro@search.example"}}, // full-width finds half-width
		{"ﾀﾛ", []string{"taro@search.example"}},
		{"nobody", nil},
	} {
		got := h.searchAll(member, "q="+url.QueryEscape(c.q), 1)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("q=%s: %v, want %v", c.q, got, c.want)
		}
	}
	// Every user once, paging one by one through a search that matches all.
	if got := h.searchAll(member, "q=a", 1); len(got) != 3 {
		t.Errorf("q=a pages: %v", got)
	}
	if got := h.searchAll(member, "role=global-admin", 2); len(got) != 1 || got[0] != "admin@search.example" {
		t.Errorf("role filter: %v", got)
	}
	// A cursor of one search is refused by another.
	r := h.get("/v1/users?q=a&limit=1", member).json(t)
	h.get("/v1/users?q=b&cursor="+url.QueryEscape(r["nextCursor"].(string)), member).problem(t, http.StatusBadRequest, "validation_failed")
	h.get("/v1/users?guest=maybe", member).problem(t, http.StatusBadRequest, "validation_failed")
	h.get("/v1/users?role=owner", member).problem(t, http.StatusBadRequest, "validation_failed")
}

func TestDirectoryChangesAndRemovals(t *testing.T) {
	h := newHarness(t)
	partnerID, adminID, admin := h.newPartner("Roles", "USD")
	uma := h.addNamedUser(admin, "uma@roles.example", "Uma Admin", `"user-management-admin"`)
	umaToken := h.token(partnerID, uma, "user-management-admin")
	plain := h.addNamedUser(admin, "plain@roles.example", "Plain User", "")

	// Rename: the index follows.
	if r := h.patchUser(umaToken, plain, `{"displayName":"Renée Plain"}`); r.Status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.Status, r.Body)
	}
	if got := h.searchAll(admin, "q=renee", 10); !slices.Equal(got, []string{"plain@roles.example"}) {
		t.Errorf("after rename: %v", got)
	}
	// Role rules.
	h.patchUser(umaToken, plain, `{"roles":["global-admin"]}`).problem(t, http.StatusForbidden, "forbidden_role")
	h.patchUser(umaToken, adminID, `{"displayName":"x"}`).problem(t, http.StatusForbidden, "forbidden_role")
	h.removeUser(umaToken, adminID).problem(t, http.StatusForbidden, "forbidden_role")
	h.patchUser(h.token(partnerID, plain), uma, `{"roles":[]}`).problem(t, http.StatusForbidden, "forbidden_role")
	if r := h.patchUser(umaToken, plain, `{"roles":["admin-agent"]}`); r.Status != http.StatusOK {
		t.Fatalf("uma grants admin-agent: %d %s", r.Status, r.Body)
	}
	h.patchUser(admin, adminID, `{"roles":[]}`).problem(t, http.StatusConflict, "last_global_admin")
	h.removeUser(admin, adminID).problem(t, http.StatusConflict, "last_global_admin")
	h.patchUser(admin, plain, `{"displayName":""}`).problem(t, http.StatusBadRequest, "validation_failed")
	// Another partner's id is not found.
	_, _, other := h.newPartner("Others", "USD")
	h.get("/v1/users/"+plain, other).problem(t, http.StatusNotFound, "not_found")
	h.patchUser(other, plain, `{"displayName":"x"}`).problem(t, http.StatusNotFound, "not_found")
	h.removeUser(other, plain).problem(t, http.StatusNotFound, "not_found")

	// A holder of a credit seat is not removed until released; then the email is free.
	monthly := creditLine(t, h.buy(admin, "action-pack-2026"), "credit-monthly", 0)
	if r := h.assign(admin, monthly, plain); r.Status != http.StatusCreated {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	p := h.removeUser(umaToken, plain).problem(t, http.StatusConflict, "user_holds_benefits")
	if hs, _ := p["holdings"].([]any); len(hs) != 1 || hs[0].(map[string]any)["benefitId"] != monthly {
		t.Fatalf("holdings %v", p["holdings"])
	}
	h.do(call{method: "DELETE", path: "/v1/credits/" + monthly + "/users/" + plain, token: admin})
	if r := h.removeUser(umaToken, plain); r.Status != http.StatusNoContent {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	h.get("/v1/users/"+plain, admin).problem(t, http.StatusNotFound, "not_found")
	if got := h.searchAll(admin, "q=renee", 10); len(got) != 0 {
		t.Errorf("removed user still found: %v", got)
	}
	h.addNamedUser(admin, "plain@roles.example", "Plain Again", "")

	// Audit: before and after.
	events := h.get("/v1/audit?limit=20", admin).json(t)["items"].([]any)
	seen := map[string]bool{}
	for _, e := range events {
		m := e.(map[string]any)
		seen[m["action"].(string)] = true
	}
	for _, a := range []string{"user.renamed", "user.roles_changed", "user.removed"} {
		if !seen[a] {
			t.Errorf("no %s event in %v", a, events)
		}
	}
}

// Two global admins demote each other at the same instant: exactly one
// succeeds, and the partner keeps a global admin.
func TestDirectoryDemoteRace(t *testing.T) {
	h := newHarness(t)
	partnerID, adminID, admin := h.newPartner("Race", "USD")
	for round := 0; round < 8; round++ {
		second := h.addNamedUser(admin, fmt.Sprintf("ga%d@race.example", round), "Second Admin", `"global-admin"`)
		secondToken := h.token(partnerID, second, "global-admin")
		var wg sync.WaitGroup
		res := make([]reply, 2)
		wg.Add(2)
		go func() { defer wg.Done(); res[0] = h.patchUser(admin, second, `{"roles":[]}`) }()
		go func() { defer wg.Done(); res[1] = h.patchUser(secondToken, adminID, `{"roles":[]}`) }()
		wg.Wait()
		ok := 0
		for _, r := range res {
			switch r.Status {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				r.problem(t, http.StatusConflict, "last_global_admin")
			default:
				t.Fatalf("round %d: %d %s", round, r.Status, r.Body)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d demotions succeeded: %s / %s", round, ok, res[0].Body, res[1].Body)
		}
		admins := h.searchAll(admin, "role=global-admin", 100)
		if len(admins) != 1 {
			t.Fatalf("round %d: global admins %v", round, admins)
		}
		// The survivor is the admin for the next round.
		if res[0].Status != http.StatusOK {
			adminID, admin = second, secondToken
		}
	}
}

// A user removed while a seat is assigned to them at the same instant:
// never a removed user holding a seat.
func TestDirectoryRemoveAssignRace(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Holds", "USD")
	for round := 0; round < 6; round++ {
		// A removed Visual Studio seat stays locked 90 days: a package a round.
		pack := h.buy(admin, "action-pack-2026")
		monthly := creditLine(t, pack, "credit-monthly", 0)
		vs := lineOf(t, pack, "vs-professional")
		for _, kind := range []string{"credit", "vs"} {
			u := h.addUser(admin, fmt.Sprintf("r%d-%s@holds.example", round, kind))
			var wg sync.WaitGroup
			var removed, assigned reply
			wg.Add(2)
			go func() { defer wg.Done(); removed = h.removeUser(admin, u) }()
			go func() {
				defer wg.Done()
				if kind == "credit" {
					assigned = h.assign(admin, monthly, u)
				} else {
					assigned = h.assignVS(admin, vs, u, "")
				}
			}()
			wg.Wait()
			switch {
			case removed.Status == http.StatusNoContent && assigned.Status == http.StatusUnprocessableEntity:
				assigned.problem(t, http.StatusUnprocessableEntity, "user_not_found")
			case removed.Status == http.StatusConflict && assigned.Status == http.StatusCreated:
				removed.problem(t, http.StatusConflict, "user_holds_benefits")
				// Release the seat so the line has room for the next round.
				if kind == "credit" {
					h.do(call{method: "DELETE", path: "/v1/credits/" + monthly + "/users/" + u, token: admin})
				} else {
					h.removeVS(admin, vs, u)
				}
			default:
				t.Fatalf("round %d %s: remove %d %s, assign %d %s", round, kind, removed.Status, removed.Body, assigned.Status, assigned.Body)
			}
		}
	}
}
