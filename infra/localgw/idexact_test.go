package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/testenv"
)

// An id addresses exactly one item or nothing. These tests walk routes.All:
// every route with a path parameter is called with the caller's own real
// ids, each parameter in turn shortened, lengthened or changed by a
// character, and must answer 404 and write nothing.

// idExactCode is the problem code each route with a path parameter answers
// for an id that names nothing. A route with a path parameter missing here
// fails TestIDsAreExact, so a new route is covered the day it is added.
var idExactCode = map[string]string{
	"GET /v1/purchases/{id}":                                    "not_found",
	"POST /v1/purchases/{id}/cancel":                            "not_found",
	"POST /v1/software/{benefitId}/key":                         "not_found",
	"GET /v1/software/{benefitId}/downloads":                    "not_found",
	"POST /v1/credits/{benefitId}/users":                        "not_found",
	"DELETE /v1/credits/{benefitId}/users/{userId}":             "not_found",
	"POST /v1/credits/{benefitId}/transfer":                     "not_found",
	"GET /v1/credits/{benefitId}/ledger":                        "not_found",
	"GET /v1/licenses/{benefitId}":                              "not_found",
	"POST /v1/licenses/{benefitId}/redeem":                      "not_found",
	"POST /v1/visual-studio/{benefitId}/assignments":            "not_found",
	"POST /v1/visual-studio/{benefitId}/assignments:bulk":       "not_found",
	"DELETE /v1/visual-studio/{benefitId}/assignments/{userId}": "not_found",
	"GET /v1/visual-studio/{benefitId}/assignments":             "not_found",
	"POST /v1/gtm/offers/{benefitId}/activate":                  "not_found",
	"POST /v1/admin/key-pools/{product}":                        "product_not_found", // a product id, not one of the partner's items
	"POST /v1/admin/service-requests/{id}/resolve":              "not_found",
	"GET /v1/users/{id}":                                        "not_found",
	"PATCH /v1/users/{id}":                                      "not_found",
	"DELETE /v1/users/{id}":                                     "not_found",
}

// idAlphabet is what a changed or appended character is drawn from: valid
// in every kind of id and product id, so the request passes the shape check
// and reaches the store.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// mutations are the near misses of id: 1 to 5 characters removed from the
// end, one appended, the last and a middle one changed. None is in known
// (a real id of the fixture: ids made in one burst differ only at the end).
func mutations(id string, known map[string]bool) []string {
	var out []string
	add := func(m string) {
		if m != "" && m != id && !known[m] && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	for k := 1; k <= 5 && k < len(id); k++ {
		add(id[:len(id)-k])
	}
	other := func(not byte, make func(c byte) string) {
		for i := 0; i < len(idAlphabet); i++ {
			if c := idAlphabet[i]; c != not && !known[make(c)] {
				add(make(c))
				return
			}
		}
	}
	other(0, func(c byte) string { return id + string(c) })
	last, mid := len(id)-1, len(id)/2
	other(id[last], func(c byte) string { return id[:last] + string(c) })
	other(id[mid], func(c byte) string { return id[:mid] + string(c) + id[mid+1:] })
	return out
}

// knownStrings collects every string value of JSON documents: the real ids
// (and product ids) a mutation must not hit by chance.
func knownStrings(t testing.TB, known map[string]bool, bodies ...[]byte) {
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			known[v] = true
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				known[k] = true
				walk(e)
			}
		}
	}
	for _, b := range bodies {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, b)
		}
		walk(v)
	}
}

// itemCount counts the harness table's items (a consistent Scan, Select
// COUNT) with the raw client, so it is not among the counted calls.
func (h *harness) itemCount() int {
	h.t.Helper()
	db := testenv.DynamoDB(h.t)
	in := &dynamodb.ScanInput{TableName: aws.String(h.svc.Store.Table()), Select: types.SelectCount, ConsistentRead: aws.Bool(true)}
	n := 0
	for {
		out, err := db.Scan(context.Background(), in)
		if err != nil {
			h.t.Fatal(err)
		}
		n += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			return n
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

var writeOps = []string{"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}

// pathParams pairs the {name} segments of a route's path with the values in
// a concrete path of that route.
func pathParams(t testing.TB, rt routes.Route, path string) (names []string, at []int, segs []string) {
	path, _, _ = strings.Cut(path, "?")
	tmpl, segs := strings.Split(rt.Path, "/"), strings.Split(path, "/")
	if len(tmpl) != len(segs) {
		t.Fatalf("%s: request path %s does not fit the route", rt.Key(), path)
	}
	for i, s := range tmpl {
		if name, ok := strings.CutPrefix(s, "{"); ok {
			names, at = append(names, strings.TrimSuffix(name, "}")), append(at, i)
		}
	}
	return names, at, segs
}

// TestIDsAreExact: for every route with a path parameter, the caller's own
// real ids with one parameter a near miss (see mutations) answer 404 and
// write nothing: no write call, the same item count, the same audit log.
// The real ids then answer something other than 404 (the requests are
// well-formed, so the 404s are about the ids). Ids in a query (the audit's
// benefitId filter) match exactly too: a near miss has no history.
func TestIDsAreExact(t *testing.T) {
	var withParams []routes.Route
	for _, rt := range routes.All {
		if !strings.Contains(rt.Path, "{") {
			continue
		}
		withParams = append(withParams, rt)
		if _, ok := idExactCode[rt.Key()]; !ok {
			t.Errorf("route %s has a path parameter and no entry in idExactCode", rt.Key())
		}
		if routeRequest[rt.Key()] == nil {
			t.Errorf("route %s has no entry in routeRequest (authz_test.go)", rt.Key())
		}
	}
	for key := range idExactCode {
		if !slices.ContainsFunc(withParams, func(r routes.Route) bool { return r.Key() == key }) {
			t.Errorf("idExactCode has %s, which is not a route with a path parameter", key)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	start := time.Now()
	f := newAuthzFixture(t)
	h, a := f.h, f.a
	admin := a.tokens[string(access.GlobalAdmin)]
	// The fixture's Visual Studio line was bought with four other lines, in
	// one burst of ids that share all but their last characters; a prefix
	// of it also names its siblings. A package of one Visual Studio line
	// gives a line whose prefixes name nothing else.
	h.publishPackages("idexact", map[string]any{"id": "vs-only-2026", "plan": "gold", "name": "VS only",
		"benefits": []any{map[string]any{"kind": "visual-studio", "product": "vs-professional", "quantity": 3, "benefitType": "core"}}})
	a.vs = lineOf(t, h.buy(admin, "vs-only-2026"), "vs-professional")
	if r := h.assignVS(admin, a.vs, a.user, ""); r.Status != http.StatusCreated {
		t.Fatalf("assign VS: %d %s", r.Status, r.Body)
	}
	known := map[string]bool{}
	knownStrings(t, known, h.get("/v1/benefits", admin).Body, h.get("/v1/users?limit=100", admin).Body,
		h.get("/v1/benefits", f.b.tokens[string(access.GlobalAdmin)]).Body,
		h.get("/v1/admin/service-requests?limit=100", f.opTok).Body, h.get("/v1/admin/catalog", f.opTok).Body,
		h.get("/v1/global-admin-requests?limit=100", admin).Body, h.get("/v1/admin/global-admin-requests?limit=100", f.opTok).Body)
	t.Logf("fixture ready in %v; %d known strings", time.Since(start).Round(time.Millisecond), len(known))

	audit := func() []byte { return h.get("/v1/audit?limit=100", admin).Body }
	cases, n := 0, 0
	for _, rt := range withParams {
		tok := admin
		if rt.Access == routes.Operator {
			tok = f.opTok
		}
		n++
		own := f.request(rt, a, 5000+n, tok)
		names, at, segs := pathParams(t, rt, own.path)
		for p, name := range names {
			for _, m := range mutations(segs[at[p]], known) {
				c := own
				s := slices.Clone(segs)
				s[at[p]] = url.PathEscape(m)
				c.path = strings.Join(s, "/")
				if _, q, ok := strings.Cut(own.path, "?"); ok {
					c.path += "?" + q
				}
				items, log := h.itemCount(), audit()
				h.calls.Reset()
				r := h.do(c)
				calls := h.calls.Reset()
				cases++
				what := fmt.Sprintf("%s with {%s} = %q (real %q)", rt.Key(), name, m, segs[at[p]])
				if !problemIs(r, http.StatusNotFound, idExactCode[rt.Key()]) {
					t.Errorf("%s: %d %s, want 404 %s", what, r.Status, r.Body, idExactCode[rt.Key()])
				}
				for _, op := range writeOps {
					if calls[op] > 0 {
						t.Errorf("%s: %d %s calls", what, calls[op], op)
					}
				}
				if after := h.itemCount(); after != items {
					t.Errorf("%s: %d items in the table, %d before", what, after, items)
				}
				if after := audit(); !bytes.Equal(after, log) {
					t.Errorf("%s: the audit log changed:\nbefore %s\nafter  %s", what, log, after)
				}
			}
		}
		// The real ids: the request reaches its item (anything but 404 or 5xx).
		if r := h.do(own); r.Status == http.StatusNotFound || r.Status >= 500 {
			t.Errorf("%s with the real ids: %d %s, want it to find its item", rt.Key(), r.Status, r.Body)
		}
	}
	pathCases := cases
	// The audit's benefitId filter: the real line has history, a near miss none.
	for _, id := range []string{a.monthly, a.vs} {
		if items := h.get("/v1/audit?benefitId="+id, admin).json(t)["items"].([]any); len(items) == 0 {
			t.Fatalf("the audit of %s is empty: the check below would prove nothing", id)
		}
		for _, m := range mutations(id, known) {
			r := h.get("/v1/audit?benefitId="+m, admin)
			cases++
			if r.Status != http.StatusOK || len(r.json(t)["items"].([]any)) != 0 {
				t.Errorf("audit of %q (real %q): %d %s, want 200 and no items", m, id, r.Status, r.Body)
			}
		}
	}
	t.Logf("%d routes with path parameters: %d near-miss path cases, %d of the audit's benefitId filter, in %v",
		len(withParams), pathCases, cases-pathCases, time.Since(start).Round(time.Millisecond))
}

// TestCursorsStayInTheirList: a cursor is a position in the one list (and
// filter) that issued it. Used on another list, with another filter (a
// status, a benefit), or forged, it is 400 validation_failed on the cursor
// field: never a 5xx (a service-request cursor of one status used with
// another put the start key outside the key condition) and never a page
// that starts somewhere in another list.
func TestCursorsStayInTheirList(t *testing.T) {
	h := newHarness(t)
	op := h.operator()
	_, _, admin := h.newPartner("Cursors", "USD")
	h.importKeys("office-cloud-e3", licenseKeys("office-cloud-e3", 10)...)
	// Six refunds: two stay pending, two are completed, two rejected.
	var srs []string
	for range 6 {
		id := h.buy(admin, "action-pack-2026")["id"].(string)
		r := h.cancel(admin, id)
		if r.Status != http.StatusCreated {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		srs = append(srs, r.json(t)["serviceRequestId"].(string))
	}
	for i, status := range []string{"completed", "completed", "rejected", "rejected"} {
		if r := h.post("/v1/admin/service-requests/"+srs[i]+"/resolve", op, `{"status":"`+status+`","note":"cursor test"}`); r.Status != http.StatusOK {
			t.Fatalf("resolve: %d %s", r.Status, r.Body)
		}
	}
	pack := h.buy(admin, "action-pack-2026")
	vs, monthly := lineOf(t, pack, "vs-professional"), creditLine(t, pack, "credit-monthly", 0)
	for i := range 3 {
		u := h.addUser(admin, fmt.Sprintf("u%d@cursors.example", i))
		if r := h.assignVS(admin, vs, u, ""); r.Status != http.StatusCreated {
			t.Fatalf("assign VS: %d %s", r.Status, r.Body)
		}
		if r := h.assign(admin, monthly, u); r.Status != http.StatusCreated {
			t.Fatalf("assign credit: %d %s", r.Status, r.Body)
		}
	}
	for range 2 {
		if r := h.post("/v1/advisory/requests", admin, `{"topic":"cursors","hours":1}`); r.Status != http.StatusCreated {
			t.Fatalf("advisory: %d %s", r.Status, r.Body)
		}
		if r := h.post("/v1/support/incidents", admin, `{"category":"azure-csp","product":"Tenant"}`); r.Status != http.StatusCreated {
			t.Fatalf("incident: %d %s", r.Status, r.Body)
		}
	}
	garMember := garCursorFixture(h, admin, op)

	// lists: each list's path, caller and the cursor of its first page of one.
	type list struct{ name, path, token string }
	lists := []list{
		{"users", "/v1/users", admin},
		{"audit", "/v1/audit", admin},
		{"audit of the VS line", "/v1/audit?benefitId=" + vs, admin},
		{"audit of the credit", "/v1/audit?benefitId=" + monthly, admin},
		{"VS seats", "/v1/visual-studio/" + vs + "/assignments", admin},
		{"advisory", "/v1/advisory/requests", admin},
		{"incidents", "/v1/support/incidents", admin},
		{"service requests", "/v1/admin/service-requests", op},
		{"pending service requests", "/v1/admin/service-requests?status=pending", op},
		{"completed service requests", "/v1/admin/service-requests?status=completed", op},
		{"rejected service requests", "/v1/admin/service-requests?status=rejected", op},
		{"global-admin requests", "/v1/global-admin-requests", admin},
		{"own global-admin requests", "/v1/global-admin-requests", garMember},
		{"operator's global-admin requests", "/v1/admin/global-admin-requests", op},
		{"open global-admin requests", "/v1/admin/global-admin-requests?status=open", op},
		{"approved global-admin requests", "/v1/admin/global-admin-requests?status=approved", op},
		{"declined global-admin requests", "/v1/admin/global-admin-requests?status=declined", op},
	}
	// Every route the OpenAPI document pages with a cursor is a list here,
	// so a new list is in the net the day it is added.
	doc := openAPIDoc(t)
	for _, rt := range routes.All {
		op := dig(doc, "paths", rt.Path, strings.ToLower(rt.Method))
		params, _ := op["parameters"].([]any)
		paged := slices.ContainsFunc(params, func(p any) bool {
			m, _ := p.(map[string]any)
			return m["$ref"] == "#/components/parameters/Cursor"
		})
		if paged && !slices.ContainsFunc(lists, func(l list) bool { return samePath(l.path, rt.Path) }) {
			t.Errorf("%s takes a cursor but is not in this test's lists", rt.Key())
		}
	}
	page := func(l list, cursor string) reply {
		sep := "?"
		if strings.Contains(l.path, "?") {
			sep = "&"
		}
		p := l.path + sep + "limit=1"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		return h.get(p, l.token)
	}
	cursors := map[string]string{} // list name → the cursor of its first page
	for _, l := range lists {
		r := page(l, "")
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", l.name, r.Status, r.Body)
		}
		if c, _ := r.json(t)["nextCursor"].(string); c != "" {
			cursors[l.name] = c
			// Its own list takes it.
			if r := page(l, c); r.Status != http.StatusOK {
				t.Errorf("%s with its own cursor: %d %s", l.name, r.Status, r.Body)
			}
		}
	}
	if len(cursors) < len(lists) {
		t.Fatalf("only %d lists have a second page: %v", len(cursors), slices.Sorted(maps.Keys(cursors)))
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	forged := map[string]string{
		"invalid UTF-8 id":            b64("usr_\xff\xfe"),
		"invalid UTF-8 audit key":     b64("AUDIT#\xff#evt_1"),
		"invalid UTF-8 status key":    b64("pending#\xff#sr_1"),
		"NUL":                         b64("\x00"),
		"unknown status":              b64("refunded#2026-01-01T00:00:00Z#sr_1"),
		"status only":                 b64("pending#"),
		"another partner's audit key": b64("AUDIT#../PARTNER#ptn_other"),
		// The list's own tag with a position the list could not have issued.
		"pending tag, completed key":  b64("service-requests:pending\ncompleted#2026-01-01T00:00:00Z#sr_1"),
		"all tag, unknown status":     b64("service-requests:\nrefunded#2026-01-01T00:00:00Z#sr_1"),
		"users tag, a key":            b64("users\nusr_1#PROFILE"),
		"audit tag, not an audit key": b64("audit:\nUSER#usr_1"),
		"open tag, approved key":      b64("operator-admin-requests:open\napproved#2026-01-01T00:00:00.000Z#gar_1"),
		"admin requests tag, a key":   b64("admin-requests\ngar_1#USER#usr_1"),
	}
	checks := 0
	try := func(l list, from, cursor string) {
		r := page(l, cursor)
		checks++
		what := fmt.Sprintf("%s with the cursor of %s", l.name, from)
		if !problemIs(r, http.StatusBadRequest, "validation_failed") || !strings.Contains(string(r.Body), `"cursor"`) {
			t.Errorf("%s: %d %s, want 400 validation_failed on the cursor", what, r.Status, r.Body)
		}
	}
	for _, l := range lists {
		for _, from := range slices.Sorted(maps.Keys(cursors)) {
			if from != l.name {
				try(l, from, cursors[from])
			}
		}
		for _, name := range slices.Sorted(maps.Keys(forged)) {
			try(l, name, forged[name])
		}
	}
	t.Logf("%d lists, %d cursors, %d cross-list and forged cursor checks", len(lists), len(cursors), checks)
}

// samePath reports whether a concrete path (its query dropped) matches a
// route's path template ({x} segments match any one segment).
func samePath(concrete, template string) bool {
	c := strings.Split(strings.Split(concrete, "?")[0], "/")
	p := strings.Split(template, "/")
	if len(c) != len(p) {
		return false
	}
	for i := range p {
		if !strings.HasPrefix(p[i], "{") && p[i] != c[i] {
			return false
		}
	}
	return true
}
