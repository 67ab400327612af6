package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/partner"
)

// Becoming a global admin, end to end: the admins' mail in English and
// Japanese, one decision under racing admins, one open request under
// racing asks, and the operator's path for a partner with no global admin.

func init() {
	// The route-table nets' requests (authz_test.go's routeRequest, the id
	// exactness net's codes): the ids are the fixture's (adminRequests).
	ask := func(*authzPartner, int) call {
		return call{method: "POST", path: "/v1/global-admin-requests", body: `{"reason":"authz test"}`}
	}
	routeRequest["POST /v1/global-admin-requests"] = ask
	routeRequest["GET /v1/global-admin-requests"] = func(*authzPartner, int) call {
		return call{method: "GET", path: "/v1/global-admin-requests"}
	}
	decide := func(prefix, verb string, id func(p *authzPartner) string) func(*authzPartner, int) call {
		return func(p *authzPartner, _ int) call {
			return call{method: "POST", path: prefix + id(p) + "/" + verb}
		}
	}
	routeRequest["POST /v1/global-admin-requests/{id}/approve"] = decide("/v1/global-admin-requests/", "approve", func(p *authzPartner) string { return p.gar })
	routeRequest["POST /v1/global-admin-requests/{id}/decline"] = decide("/v1/global-admin-requests/", "decline", func(p *authzPartner) string { return p.gar2 })
	routeRequest["GET /v1/admin/global-admin-requests"] = func(*authzPartner, int) call {
		return call{method: "GET", path: "/v1/admin/global-admin-requests"}
	}
	routeRequest["POST /v1/admin/global-admin-requests/{id}/approve"] = decide("/v1/admin/global-admin-requests/", "approve", func(p *authzPartner) string { return p.opGar })
	routeRequest["POST /v1/admin/global-admin-requests/{id}/decline"] = decide("/v1/admin/global-admin-requests/", "decline", func(p *authzPartner) string { return p.opGar2 })
	for _, key := range []string{"POST /v1/global-admin-requests/{id}/approve", "POST /v1/global-admin-requests/{id}/decline",
		"POST /v1/admin/global-admin-requests/{id}/approve", "POST /v1/admin/global-admin-requests/{id}/decline"} {
		idExactCode[key] = "not_found"
	}
}

// adminRequests gives each fixture partner two open requests (its member's
// and its admin agent's) and partner A the two ids of requests that went
// to the operator, from a partner with no global admin.
func (f *authzFixture) adminRequests() {
	h := f.h
	for _, p := range []*authzPartner{f.a, f.b} {
		p.gar = h.askAdmin(p.tokens[member], "authz fixture")
		p.gar2 = h.askAdmin(p.tokens[string(access.AdminAgent)], "authz fixture")
	}
	pid, users := h.noAdminPartner("AuthzNoAdmin", 2)
	f.a.opGar = h.askAdmin(h.token(pid, users[0]), "operator fixture")
	f.a.opGar2 = h.askAdmin(h.token(pid, users[1]), "operator fixture")
	f.b.opGar, f.b.opGar2 = f.a.opGar, f.a.opGar2
}

// askAdmin opens a request as the token's user and returns its id.
func (h *harness) askAdmin(token, reason string) string {
	h.t.Helper()
	r := h.post("/v1/global-admin-requests", token, `{"reason":"`+reason+`"}`)
	if r.Status != http.StatusCreated {
		h.t.Fatalf("ask: %d %s", r.Status, r.Body)
	}
	return r.json(h.t)["id"].(string)
}

// noAdminPartner writes, straight into the store, a partner whose users
// (n of them, the first a user-management-admin) hold no global-admin role:
// the API cannot make one today; a partner whose last global admin left
// would look the same.
func (h *harness) noAdminPartner(name string, n int) (partnerID string, users []string) {
	h.t.Helper()
	ctx := context.Background()
	domain := strings.ToLower(name) + ".example"
	partnerID = "ptn_" + strings.ToLower(name) + fmt.Sprint(h.clock.Now().UnixNano())
	p, err := partner.NewPartner(partner.Partner{ID: partnerID, Name: name, Currency: "USD", AccountEmail: "owner@" + domain, CreatedAt: h.clock.Now()})
	if err != nil {
		h.t.Fatal(err)
	}
	for i := range n {
		var roles []access.Role
		if i == 0 {
			roles = []access.Role{access.UserManagementAdmin}
		}
		u, err := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_%s%04d", strings.ToLower(name), i), PartnerID: partnerID,
			Email: fmt.Sprintf("u%04d@%s", i, domain), DisplayName: fmt.Sprintf("User %d", i), Roles: roles, CreatedAt: h.clock.Now()})
		if err != nil {
			h.t.Fatal(err)
		}
		if i == 0 {
			err = h.svc.Store.CreatePartner(ctx, p, u)
		} else {
			err = h.svc.Store.CreateUser(ctx, u)
		}
		if err != nil {
			h.t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	return partnerID, users
}

// TestGlobalAdminRequestMailsTheAdmins: each global admin gets the request
// in the partner's language with a link to the console's Users tab; the
// requester gets the outcome.
func TestGlobalAdminRequestMailsTheAdmins(t *testing.T) {
	h := newMailHarness(t)
	for _, c := range []struct{ lang, subject, outcome string }{
		{"en", "asks to become a global admin of", "You are now a global admin of"},
		{"ja", "【グローバル管理者の申請】", "【申請承認】"},
	} {
		name := "Garmail" + c.lang
		domain := strings.ToLower(name) + ".example"
		r := h.post("/v1/admin/partners", h.operator(), `{"name":"`+name+`","currency":"USD","accountEmail":"admin@`+domain+`","language":"`+c.lang+`"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("partner: %d %s", r.Status, r.Body)
		}
		pid, adminID := r.json(t)["id"].(string), r.json(t)["adminUserId"].(string)
		admin := h.token(pid, adminID, "global-admin")
		r = h.post("/v1/users", admin, `{"email":"second@`+domain+`","displayName":"Second","roles":["global-admin"]}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("second admin: %d %s", r.Status, r.Body)
		}
		asker := h.addUser(admin, "asker@"+domain)
		id := h.askAdmin(h.token(pid, asker), "I run the <Azure> team")
		for _, to := range []string{"admin@" + domain, "second@" + domain} {
			ms := h.mailTo(to)
			if len(ms) != 1 || !strings.Contains(ms[0].Subject, c.subject) || !strings.Contains(ms[0].Text, h.url+"/#users") ||
				!strings.Contains(ms[0].Text, "I run the <Azure> team") || !strings.Contains(ms[0].Text, id) {
				t.Fatalf("%s: mail to %s: %+v", c.lang, to, ms)
			}
		}
		if r := h.post("/v1/global-admin-requests/"+id+"/approve", admin, ""); r.Status != http.StatusOK || r.json(t)["status"] != "approved" {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		if ms := h.mailTo("asker@" + domain); len(ms) != 1 || !strings.Contains(ms[0].Subject, c.outcome) {
			t.Fatalf("%s: outcome mail %+v", c.lang, ms)
		}
		users := h.get("/v1/users?limit=100", admin).json(t)["items"].([]any)
		for _, u := range users {
			if m := u.(map[string]any); m["id"] == asker && !slices.Contains(m["roles"].([]any), any("global-admin")) {
				t.Fatalf("%s: the approved user's roles %v", c.lang, m["roles"])
			}
		}
	}
}

// TestGlobalAdminRequestDecidedOnceUnderRace: two global admins approve
// and decline the same request at the same instant, ten rounds: exactly
// one wins each time, the other is 409 request_closed, and the role
// follows the winner.
func TestGlobalAdminRequestDecidedOnceUnderRace(t *testing.T) {
	h := newHarness(t)
	pid, _, admin := h.newPartner("Garrace", "USD")
	second := h.token(pid, h.post("/v1/users", admin, `{"email":"second@garrace.example","displayName":"Second","roles":["global-admin"]}`).json(t)["id"].(string), "global-admin")
	approvals := 0
	for round := range 10 {
		user := h.addUser(admin, fmt.Sprintf("asker%d@garrace.example", round))
		id := h.askAdmin(h.token(pid, user), "race")
		var wg sync.WaitGroup
		replies := make([]reply, 2)
		for i, c := range []call{{method: "POST", path: "/v1/global-admin-requests/" + id + "/approve", token: admin},
			{method: "POST", path: "/v1/global-admin-requests/" + id + "/decline", token: second}} {
			wg.Go(func() { replies[i] = h.do(c) })
		}
		wg.Wait()
		won := -1
		for i, r := range replies {
			switch {
			case r.Status == http.StatusOK && won < 0:
				won = i
			case r.Status == http.StatusOK:
				t.Fatalf("round %d: both won", round)
			default:
				r.problem(t, http.StatusConflict, "request_closed")
			}
		}
		if won < 0 {
			t.Fatalf("round %d: no winner", round)
		}
		if won == 0 {
			approvals++
		}
		var roles []any
		for _, u := range h.get("/v1/users?limit=100", admin).json(t)["items"].([]any) {
			if m := u.(map[string]any); m["id"] == user {
				roles = m["roles"].([]any)
			}
		}
		if slices.Contains(roles, any("global-admin")) != (won == 0) {
			t.Fatalf("round %d: winner %d, roles %v", round, won, roles)
		}
	}
	t.Logf("10 rounds: %d approvals won, %d declines", approvals, 10-approvals)
}

// TestOneOpenGlobalAdminRequestUnderRace: a user asks twice at the same
// instant, ten rounds: one 201, one 409 request_pending, one request.
func TestOneOpenGlobalAdminRequestUnderRace(t *testing.T) {
	h := newHarness(t)
	pid, _, admin := h.newPartner("Garpending", "USD")
	for round := range 10 {
		tok := h.token(pid, h.addUser(admin, fmt.Sprintf("u%d@garpending.example", round)))
		var wg sync.WaitGroup
		replies := make([]reply, 2)
		for i := range replies {
			wg.Go(func() { replies[i] = h.post("/v1/global-admin-requests", tok, `{"reason":"twice"}`) })
		}
		wg.Wait()
		statuses := []int{replies[0].Status, replies[1].Status}
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusCreated, http.StatusConflict}) {
			t.Fatalf("round %d: %d %s / %d %s", round, replies[0].Status, replies[0].Body, replies[1].Status, replies[1].Body)
		}
		for _, r := range replies {
			if r.Status == http.StatusConflict {
				r.problem(t, http.StatusConflict, "request_pending")
			}
		}
		if mine := h.get("/v1/global-admin-requests", tok).json(t)["items"].([]any); len(mine) != 1 {
			t.Fatalf("round %d: %d requests", round, len(mine))
		}
	}
}

// TestGlobalAdminRequestGoesToTheOperatorWithNoAdmin: a partner with no
// global admin sends the request to the operator's queue; a partner's
// user cannot decide it; the operator approves it once, and then the
// partner's next request goes to its new admin.
func TestGlobalAdminRequestGoesToTheOperatorWithNoAdmin(t *testing.T) {
	h := newHarness(t)
	op := h.operator()
	pid, users := h.noAdminPartner("Garlonely", 3)
	uma := h.token(pid, users[0], "user-management-admin")
	r := h.post("/v1/global-admin-requests", uma, `{"reason":"our admin left"}`)
	if r.Status != http.StatusCreated || r.json(t)["via"] != "operator" {
		t.Fatalf("ask: %d %s", r.Status, r.Body)
	}
	id := r.json(t)["id"].(string)
	queue := h.get("/v1/admin/global-admin-requests?status=open", op).json(t)["items"].([]any)
	if len(queue) != 1 || queue[0].(map[string]any)["id"] != id || queue[0].(map[string]any)["partnerId"] != pid {
		t.Fatalf("operator queue %v", queue)
	}
	h.post("/v1/global-admin-requests/"+id+"/approve", uma, "").problem(t, http.StatusForbidden, "forbidden_role")
	if r := h.post("/v1/admin/global-admin-requests/"+id+"/approve", op, ""); r.Status != http.StatusOK || r.json(t)["decidedBy"] != "operator:op_1" {
		t.Fatalf("operator approves: %d %s", r.Status, r.Body)
	}
	h.post("/v1/admin/global-admin-requests/"+id+"/decline", op, "").problem(t, http.StatusConflict, "request_closed")
	// The new admin now decides the partner's requests; the operator no longer sees them.
	newAdmin := h.token(pid, users[0], "user-management-admin", "global-admin")
	next := h.post("/v1/global-admin-requests", h.token(pid, users[1]), `{"reason":"me too"}`)
	if next.Status != http.StatusCreated || next.json(t)["via"] != "global-admins" {
		t.Fatalf("second ask: %d %s", next.Status, next.Body)
	}
	nid := next.json(t)["id"].(string)
	h.post("/v1/admin/global-admin-requests/"+nid+"/approve", op, "").problem(t, http.StatusNotFound, "not_found")
	if r := h.post("/v1/global-admin-requests/"+nid+"/decline", newAdmin, ""); r.Status != http.StatusOK || r.json(t)["status"] != "declined" {
		t.Fatalf("the new admin declines: %d %s", r.Status, r.Body)
	}
}

// adminRequestCases are BenchmarkRoutes' (and TestRoundTripBudget's) cases
// of the global-admin request routes. Each prep makes, untimed, the open
// requests its route's n requests decide.
func (f *routeFixture) adminRequestCases() []routeCase {
	h, t, n := f.h, f.h.t, f.n
	post := func(path, token, body string) call { return call{method: "POST", path: path, token: token, body: body} }
	work := func(i int) string { return h.token(f.workID, f.workUsers[i]) }
	var approve, decline, opIDs []string
	return []routeCase{
		{route: "GET /v1/global-admin-requests", note: "global admin, 3 requests", prep: func() {
			for _, u := range f.readerUsers[7:10] {
				h.askAdmin(h.token(f.readerID, u), "bench")
			}
		}, req: func(int) call { return call{method: "GET", path: "/v1/global-admin-requests", token: f.reader} }, want: 200},
		{route: "POST /v1/global-admin-requests", note: "to the partner's admins (mail queued)", req: func(i int) call {
			return post("/v1/global-admin-requests", work(i), `{"reason":"I manage our Azure subscriptions"}`)
		}, want: 201},
		{route: "POST /v1/global-admin-requests/{id}/approve", note: "an open request", prep: func() {
			for i := range n {
				approve = append(approve, h.askAdmin(work(n+i), "bench"))
			}
		}, req: func(i int) call { return post("/v1/global-admin-requests/"+approve[i]+"/approve", f.work, "") }, want: 200},
		{route: "POST /v1/global-admin-requests/{id}/decline", note: "an open request", prep: func() {
			for i := range n {
				decline = append(decline, h.askAdmin(work(2*n+i), "bench"))
			}
		}, req: func(i int) call { return post("/v1/global-admin-requests/"+decline[i]+"/decline", f.work, "") }, want: 200},
		{route: "GET /v1/admin/global-admin-requests", note: "open, first page", prep: func() {
			pid, users := h.noAdminPartner("Benchlonely", 2*n)
			for _, u := range users {
				opIDs = append(opIDs, h.askAdmin(h.token(pid, u), "bench"))
			}
			if len(opIDs) != 2*n {
				t.Fatalf("%d operator requests", len(opIDs))
			}
		}, req: func(int) call {
			return call{method: "GET", path: "/v1/admin/global-admin-requests?status=open", token: f.op}
		}, want: 200},
		{route: "POST /v1/admin/global-admin-requests/{id}/approve", note: "a partner with no global admin", req: func(i int) call {
			return post("/v1/admin/global-admin-requests/"+opIDs[i]+"/approve", f.op, "")
		}, want: 200},
		{route: "POST /v1/admin/global-admin-requests/{id}/decline", note: "a partner with no global admin", req: func(i int) call {
			return post("/v1/admin/global-admin-requests/"+opIDs[n+i]+"/decline", f.op, "")
		}, want: 200},
	}
}

// adminRequestLoadOps are BenchmarkLoad's operations of the same routes,
// with open requests made now for the decisions to cycle over (after the
// first round they are closed: 409, counted as 4xx).
func (f *routeFixture) adminRequestLoadOps() []*loadOp {
	h, n := f.h, f.n
	var open, opOpen []string
	for i := range n {
		open = append(open, h.askAdmin(h.token(f.workID, f.workUsers[2*n+i]), "load"))
	}
	pid, users := h.noAdminPartner("Loadlonely", n)
	for _, u := range users {
		opOpen = append(opOpen, h.askAdmin(h.token(pid, u), "load"))
	}
	post := func(path, token string) call { return call{method: "POST", path: path, token: token} }
	return []*loadOp{
		{route: "GET /v1/global-admin-requests", note: "global admin", weight: 5, req: func(int) call {
			return call{method: "GET", path: "/v1/global-admin-requests", token: f.work}
		}},
		{route: "POST /v1/global-admin-requests", note: "a member asks", weight: 3, req: func(i int) call {
			return call{method: "POST", path: "/v1/global-admin-requests", token: h.token(f.workID, f.workUsers[i%n]), body: `{"reason":"load"}`}
		}},
		{route: "POST /v1/global-admin-requests/{id}/approve", note: "an open request", weight: 2, req: func(i int) call {
			return post("/v1/global-admin-requests/"+open[i%n]+"/approve", f.work)
		}},
		{route: "POST /v1/global-admin-requests/{id}/decline", note: "an open request", weight: 2, req: func(i int) call {
			return post("/v1/global-admin-requests/"+open[(i+n/2)%n]+"/decline", f.work)
		}},
		{route: "GET /v1/admin/global-admin-requests", note: "open, first page", weight: 2, req: func(int) call {
			return call{method: "GET", path: "/v1/admin/global-admin-requests?status=open", token: f.op}
		}},
		{route: "POST /v1/admin/global-admin-requests/{id}/approve", note: "no global admin", weight: 1, req: func(i int) call {
			return post("/v1/admin/global-admin-requests/"+opOpen[i%n]+"/approve", f.op)
		}},
		{route: "POST /v1/admin/global-admin-requests/{id}/decline", note: "no global admin", weight: 1, req: func(i int) call {
			return post("/v1/admin/global-admin-requests/"+opOpen[(i+n/2)%n]+"/decline", f.op)
		}},
	}
}

// garCursorFixture gives TestCursorsStayInTheirList two pages of each
// global-admin request list: a member of admin's partner with two requests
// (one declined), and six requests of a partner with no global admin, two
// left open, two approved and two declined by the operator. It returns the
// member's token.
func garCursorFixture(h *harness, admin, op string) string {
	h.t.Helper()
	pid := h.partnerOf(admin)
	member := h.token(pid, h.addUser(admin, "gar-member@cursors.example"))
	first := h.askAdmin(member, "first")
	if r := h.post("/v1/global-admin-requests/"+first+"/decline", admin, ""); r.Status != http.StatusOK {
		h.t.Fatalf("decline: %d %s", r.Status, r.Body)
	}
	h.askAdmin(member, "second")
	lone, users := h.noAdminPartner("Cursorlonely", 6)
	var ids []string
	for _, u := range users {
		ids = append(ids, h.askAdmin(h.token(lone, u), "cursors"))
	}
	for i, verb := range []string{"approve", "approve", "decline", "decline"} {
		if r := h.post("/v1/admin/global-admin-requests/"+ids[i]+"/"+verb, op, ""); r.Status != http.StatusOK {
			h.t.Fatalf("%s: %d %s", verb, r.Status, r.Body)
		}
	}
	return member
}
