package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/routes"
)

// The authorization tests walk routes.All: every route must have a request
// in routeRequest, and a partner route's Action (which the router checks)
// must be a row of docMatrix, the table of docs/domain.md.

// Route kinds that are not a partner action of the matrix.
const (
	publicRoute   access.Action = "(public: no token)"
	operatorRoute access.Action = "(program operator only)"
	anyCaller     access.Action = "(any partner user or the operator)"
)

// ruleOf is who may call a route: the row of the permission matrix a
// partner route names in routes.All, else the route's kind.
func ruleOf(rt routes.Route) access.Action {
	switch rt.Access {
	case routes.Public:
		return publicRoute
	case routes.Operator:
		return operatorRoute
	case routes.Any:
		return anyCaller
	}
	return rt.Action
}

// Callers of the matrix; "member" is a partner user with no role.
const (
	noToken  = "no token"
	operator = "operator"
	member   = "member"
)

var partnerCallers = []string{member, string(access.UserManagementAdmin), string(access.AdminAgent),
	string(access.MPNPartnerAdmin), string(access.GlobalAdmin)}

// docMatrix restates the table of docs/domain.md: the partner callers
// allowed per action (independently of shared/access, which it checks).
var docMatrix = map[access.Action][]string{
	access.ViewBenefits:   partnerCallers,
	access.BuyPackage:     partnerCallers,
	access.AddUsers:       {string(access.GlobalAdmin), string(access.UserManagementAdmin)},
	access.ListUsers:      partnerCallers,
	access.AssignUsers:    {string(access.GlobalAdmin)},
	access.GetSoftware:    {string(access.GlobalAdmin), string(access.MPNPartnerAdmin)},
	access.ActivateOffers: {string(access.GlobalAdmin), string(access.MPNPartnerAdmin)},
	access.CancelPackage:  {string(access.GlobalAdmin), string(access.MPNPartnerAdmin)},
	access.ViewAudit:      {string(access.GlobalAdmin), string(access.MPNPartnerAdmin)},
	access.SubmitRequests: partnerCallers,
	// A global admin is allowed to call it; the use case answers 409.
	access.RequestAdmin:        partnerCallers,
	access.DecideAdminRequests: {string(access.GlobalAdmin)},
}

// authzPartner is one partner with real ids of every kind of line.
type authzPartner struct {
	id, name string
	tokens   map[string]string // partner caller → token
	user     string            // a directory user holding a monthly credit seat and a VS seat
	purchase string            // action-pack: software, monthly credit, licence, VS, support, advisory
	cancel   string            // an action-pack bought to be cancelled
	// Lines: software (signed keys), monthly and annual credit, licence,
	// Visual Studio, GTM offer.
	software, monthly, annual string
	license, vs, offer        string
	// Open global-admin requests (adminrequests_test.go): the member's
	// and the admin agent's; and two of a partner with no global admin,
	// which went to the operator.
	gar, gar2, opGar, opGar2 string
	plain                    string // a directory user with no role and no holding, for the directory routes
}

type authzFixture struct {
	h     *harness
	a, b  *authzPartner
	srID  string // a service request (refund) of partner A
	opTok string
}

// with is the harness reporting to another test (a subtest).
func (h *harness) with(t testing.TB) *harness { c := *h; c.t = t; return &c }

func newAuthzFixture(t *testing.T) *authzFixture { return authzFixtureOn(t, newHarness(t)) }

// authzFixtureOn builds the fixture through harness h (its DynamoDB client
// must pass calls through while it runs).
func authzFixtureOn(t *testing.T, h *harness) *authzFixture {
	h.importKeys("office-cloud-e3", licenseKeys("office-cloud-e3", 20)...)
	f := &authzFixture{h: h, opTok: h.operator()}
	f.a, f.b = f.partner("AuthzA"), f.partner("AuthzB")
	f.adminRequests()
	// A refund to resolve: partner A cancels a package of its own.
	sr := h.buy(f.a.tokens[string(access.GlobalAdmin)], "action-pack-2026")["id"].(string)
	r := h.cancel(f.a.tokens[string(access.GlobalAdmin)], sr)
	if r.Status != http.StatusCreated {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	f.srID = r.json(t)["serviceRequestId"].(string)
	return f
}

func (f *authzFixture) partner(name string) *authzPartner {
	h := f.h
	pid, _, admin := h.newPartner(name, "USD")
	p := &authzPartner{id: pid, name: name, tokens: map[string]string{string(access.GlobalAdmin): admin}}
	domain := strings.ToLower(name) + ".example"
	p.tokens[member] = h.token(pid, h.addUser(admin, "member@"+domain))
	for _, role := range []access.Role{access.UserManagementAdmin, access.AdminAgent, access.MPNPartnerAdmin} {
		r := h.post("/v1/users", admin, fmt.Sprintf(`{"email":"%s@%s","displayName":"%s","roles":["%s"]}`, role, domain, role, role))
		if r.Status != http.StatusCreated {
			h.t.Fatalf("add %s: %d %s", role, r.Status, r.Body)
		}
		p.tokens[string(role)] = h.token(pid, r.json(h.t)["id"].(string), string(role))
	}
	pack := h.buy(admin, "action-pack-2026")
	silver := h.buy(admin, "silver-2026")
	p.purchase = pack["id"].(string)
	p.cancel = h.buy(admin, "action-pack-2026")["id"].(string)
	p.software = lineOf(h.t, pack, "dev-tools-suite") // signed keys: no pool needed
	p.monthly = creditLine(h.t, pack, "credit-monthly", 0)
	p.license = lineOf(h.t, pack, "office-cloud-e3")
	p.vs = lineOf(h.t, pack, "vs-professional")
	p.annual = creditLine(h.t, silver, "credit-annual", 0)
	p.offer = lineOf(h.t, silver, "gtm-listing-boost")
	p.user = h.addUser(admin, "holder@"+domain)
	p.plain = h.addUser(admin, "plain@"+domain)
	for _, r := range []reply{h.assign(admin, p.monthly, p.user), h.assignVS(admin, p.vs, p.user, "")} {
		if r.Status != http.StatusCreated {
			h.t.Fatalf("seat: %d %s", r.Status, r.Body)
		}
	}
	return p
}

// routeRequest builds a request for each route that passes decoding, with
// the ids of partner p; n makes created names unique.
var routeRequest = map[string]func(p *authzPartner, n int) call{
	"GET /v1/benefits":         func(*authzPartner, int) call { return call{method: "GET", path: "/v1/benefits"} },
	"GET /v1/catalog/packages": func(*authzPartner, int) call { return call{method: "GET", path: "/v1/catalog/packages"} },
	"POST /v1/purchases": func(*authzPartner, int) call {
		return call{method: "POST", path: "/v1/purchases", body: `{"packageId":"action-pack-2026"}`}
	},
	"GET /v1/purchases/{id}": func(p *authzPartner, _ int) call { return call{method: "GET", path: "/v1/purchases/" + p.purchase} },
	"POST /v1/purchases/{id}/cancel": func(p *authzPartner, _ int) call {
		return call{method: "POST", path: "/v1/purchases/" + p.cancel + "/cancel", body: `{"reason":"authz test"}`}
	},
	"GET /v1/users": func(*authzPartner, int) call { return call{method: "GET", path: "/v1/users"} },
	"POST /v1/users": func(p *authzPartner, n int) call {
		return call{method: "POST", path: "/v1/users", body: fmt.Sprintf(`{"email":"new%d@%s.example","displayName":"New %d"}`, n, strings.ToLower(p.name), n)}
	},
	"POST /v1/software/{benefitId}/key": func(p *authzPartner, _ int) call {
		return call{method: "POST", path: "/v1/software/" + p.software + "/key"}
	},
	"GET /v1/software/{benefitId}/downloads": func(p *authzPartner, _ int) call {
		return call{method: "GET", path: "/v1/software/" + p.software + "/downloads"}
	},
	"GET /v1/software/signing-key": func(*authzPartner, int) call { return call{method: "GET", path: "/v1/software/signing-key"} },
	"POST /v1/credits/{benefitId}/users": func(p *authzPartner, _ int) call {
		return call{method: "POST", path: "/v1/credits/" + p.monthly + "/users", body: `{"userId":"` + p.user + `"}`}
	},
	"DELETE /v1/credits/{benefitId}/users/{userId}": func(p *authzPartner, _ int) call {
		return call{method: "DELETE", path: "/v1/credits/" + p.monthly + "/users/" + p.user}
	},
	"POST /v1/credits/{benefitId}/transfer": func(p *authzPartner, _ int) call {
		return call{method: "POST", path: "/v1/credits/" + p.annual + "/transfer", body: `{"toUserId":"` + p.user + `"}`}
	},
	"GET /v1/credits/{benefitId}/ledger": func(p *authzPartner, _ int) call {
		return call{method: "GET", path: "/v1/credits/" + p.monthly + "/ledger"}
	},
	"GET /v1/licenses/{benefitId}": func(p *authzPartner, _ int) call { return call{method: "GET", path: "/v1/licenses/" + p.license} },
	"POST /v1/licenses/{benefitId}/redeem": func(p *authzPartner, _ int) call {
		return call{method: "POST", path: "/v1/licenses/" + p.license + "/redeem", body: `{"tenantId":"authz.example","mode":"add-seats"}`}
	},
	"POST /v1/visual-studio/{benefitId}/assignments": func(p *authzPartner, _ int) call {
		return call{method: "POST", path: "/v1/visual-studio/" + p.vs + "/assignments", body: `{"userId":"` + p.user + `"}`}
	},
	"POST /v1/visual-studio/{benefitId}/assignments:bulk": func(p *authzPartner, _ int) call {
		return call{method: "POST", path: "/v1/visual-studio/" + p.vs + "/assignments:bulk", body: `{"assignments":[{"userId":"` + p.user + `"}]}`}
	},
	"DELETE /v1/visual-studio/{benefitId}/assignments/{userId}": func(p *authzPartner, _ int) call {
		return call{method: "DELETE", path: "/v1/visual-studio/" + p.vs + "/assignments/" + p.user}
	},
	"GET /v1/visual-studio/{benefitId}/assignments": func(p *authzPartner, _ int) call {
		return call{method: "GET", path: "/v1/visual-studio/" + p.vs + "/assignments"}
	},
	"GET /v1/audit":             func(*authzPartner, int) call { return call{method: "GET", path: "/v1/audit"} },
	"POST /v1/support/activate": func(*authzPartner, int) call { return call{method: "POST", path: "/v1/support/activate"} },
	"GET /v1/support":           func(*authzPartner, int) call { return call{method: "GET", path: "/v1/support"} },
	"POST /v1/support/incidents": func(*authzPartner, int) call {
		return call{method: "POST", path: "/v1/support/incidents", body: `{"category":"on-premises","product":"server-os-datacenter","productVersion":"2025"}`}
	},
	"POST /v1/advisory/requests": func(*authzPartner, int) call {
		return call{method: "POST", path: "/v1/advisory/requests", body: `{"topic":"authz","hours":1}`}
	},
	"GET /v1/advisory/requests": func(*authzPartner, int) call { return call{method: "GET", path: "/v1/advisory/requests"} },
	"GET /v1/support/incidents": func(*authzPartner, int) call { return call{method: "GET", path: "/v1/support/incidents"} },
	"PUT /v1/gtm/marketing-contact": func(p *authzPartner, _ int) call {
		return call{method: "PUT", path: "/v1/gtm/marketing-contact",
			body: `{"userId":"` + p.user + `","email":"contact@` + strings.ToLower(p.name) + `.test","phone":"+14255550100","language":"en"}`}
	},
	"GET /v1/gtm/marketing-contact": func(*authzPartner, int) call { return call{method: "GET", path: "/v1/gtm/marketing-contact"} },
	"POST /v1/gtm/offers/{benefitId}/activate": func(p *authzPartner, _ int) call {
		return call{method: "POST", path: "/v1/gtm/offers/" + p.offer + "/activate"}
	},
	"GET /v1/gtm/confirm": func(*authzPartner, int) call {
		return call{method: "GET", path: "/v1/gtm/confirm?token=not-a-real-token"}
	},
	"POST /v1/gtm/confirm": func(*authzPartner, int) call {
		return call{method: "POST", path: "/v1/gtm/confirm", body: `{"token":"not-a-real-token"}`}
	},
	"POST /v1/admin/partners": func(_ *authzPartner, n int) call {
		return call{method: "POST", path: "/v1/admin/partners",
			body: fmt.Sprintf(`{"name":"Authz New %d","currency":"EUR","accountEmail":"admin%d@authz-new.example"}`, n, n)}
	},
	"GET /v1/admin/catalog": func(*authzPartner, int) call { return call{method: "GET", path: "/v1/admin/catalog"} },
	"POST /v1/admin/catalog": func(_ *authzPartner, n int) call {
		var doc map[string]any
		_ = json.Unmarshal(catalog.Demo, &doc)
		doc["version"] = fmt.Sprintf("authz-%d", n)
		raw, _ := json.Marshal(doc)
		return call{method: "POST", path: "/v1/admin/catalog", body: string(raw)}
	},
	"POST /v1/admin/key-pools/{product}": func(_ *authzPartner, n int) call {
		return call{method: "POST", path: "/v1/admin/key-pools/office-cloud-e3", body: fmt.Sprintf("AUTHZ-%05d", n),
			headers: map[string]string{"Content-Type": "text/csv"}}
	},
	"GET /v1/admin/service-requests": func(*authzPartner, int) call { return call{method: "GET", path: "/v1/admin/service-requests"} },
	// The directory (issue 27): a plain user, whom a user-management-admin
	// may rename and remove (the first allowed caller removes it; the next
	// ones get 404).
	"GET /v1/users/{id}": func(p *authzPartner, _ int) call { return call{method: "GET", path: "/v1/users/" + p.plain} },
	"PATCH /v1/users/{id}": func(p *authzPartner, n int) call {
		return call{method: "PATCH", path: "/v1/users/" + p.plain, body: fmt.Sprintf(`{"displayName":"Plain %d"}`, n)}
	},
	"DELETE /v1/users/{id}": func(p *authzPartner, _ int) call { return call{method: "DELETE", path: "/v1/users/" + p.plain} },
	// The id is filled in by the fixture (a refund of partner A).
	"POST /v1/admin/service-requests/{id}/resolve": func(*authzPartner, int) call {
		return call{method: "POST", path: "/v1/admin/service-requests/{id}/resolve", body: `{"status":"completed","note":"authz"}`}
	},
}

// request is route rt's request with partner p's ids and a caller's token.
func (f *authzFixture) request(rt routes.Route, p *authzPartner, n int, token string) call {
	c := routeRequest[rt.Key()](p, n)
	c.path = strings.Replace(c.path, "{id}", f.srID, 1)
	c.token = token
	return c
}

// problemIs reports a problem+json response with the status and code.
func problemIs(r reply, status int, code string) bool {
	if r.Status != status || r.Header.Get("Content-Type") != "application/problem+json" {
		return false
	}
	var m map[string]any
	return json.Unmarshal(r.Body, &m) == nil && m["code"] == code && m["status"] == float64(status)
}

// TestAuthorization checks, over every route of routes.All, who may call
// it (the role matrix), that another partner's ids are 404 (OWASP API1) and
// that every kind of bad token is 401. One harness and one set of purchases
// serve all three.
func TestAuthorization(t *testing.T) {
	start := time.Now()
	for _, r := range routes.All {
		if routeRequest[r.Key()] == nil {
			t.Errorf("route %s has no entry in routeRequest", r.Key())
		}
		if _, ok := docMatrix[r.Action]; r.Access == routes.Partner && !ok {
			t.Errorf("route %s: action %q is not a row of docs/domain.md", r.Key(), r.Action)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	f := newAuthzFixture(t)
	t.Logf("fixture ready in %v", time.Since(start).Round(time.Millisecond))
	t.Run("CrossPartnerIDs", f.crossPartner)
	t.Run("RoleMatrix", f.roleMatrix)
	t.Run("BadTokens", f.badTokens)
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// roleMatrix calls every route as every caller.
func (f *authzFixture) roleMatrix(t *testing.T) {
	h, a := f.h.with(t), f.a
	checks, n := 0, 0
	statuses := map[string]map[int]int{} // caller → status → count
	for _, rt := range routes.All {
		rule := ruleOf(rt)
		callers := append([]string{noToken, operator}, partnerCallers...)
		for _, who := range callers {
			n++
			tok := a.tokens[who]
			switch who {
			case noToken:
				tok = ""
			case operator:
				tok = f.opTok
			}
			r := h.do(f.request(rt, a, n, tok))
			checks++
			if statuses[who] == nil {
				statuses[who] = map[int]int{}
			}
			statuses[who][r.Status]++
			what := fmt.Sprintf("%s as %s", rt.Key(), who)
			var allowed bool
			switch {
			case rule == publicRoute:
				allowed = true
			case who == noToken:
				if r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("%s: %d %s, want 401 with WWW-Authenticate: Bearer", what, r.Status, r.Body)
				}
				continue
			case rule == anyCaller:
				allowed = true
			case rule == operatorRoute:
				allowed = who == operator
			case who == operator: // a partner route
				allowed = false
			default:
				allowed = slices.Contains(docMatrix[rule], who)
			}
			if !allowed {
				if !problemIs(r, http.StatusForbidden, "forbidden_role") {
					t.Errorf("%s: %d %s, want 403 forbidden_role", what, r.Status, r.Body)
				}
				continue
			}
			if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || r.Status >= 500 {
				t.Errorf("%s is allowed, got %d %s", what, r.Status, r.Body)
			}
			// A licence line shows its key only to roles that get software.
			if rt.Key() == "GET /v1/licenses/{benefitId}" && r.Status == http.StatusOK {
				_, hasKey := r.json(t)["key"]
				if want := slices.Contains(docMatrix[access.GetSoftware], who); hasKey != want {
					t.Errorf("%s: key shown %v, want %v", what, hasKey, want)
				}
			}
		}
	}
	t.Logf("role matrix: %d routes × %d callers = %d checks; statuses by caller: %v", len(routes.All), checks/len(routes.All), checks, statuses)
}

// crossPartner: partner B, with its most privileged role, names partner A's
// real ids; every such request is 404 not_found and changes nothing of A's.
func (f *authzFixture) crossPartner(t *testing.T) {
	h, a, b := f.h.with(t), f.a, f.b
	bAdmin := b.tokens[string(access.GlobalAdmin)]
	aAdmin := a.tokens[string(access.GlobalAdmin)]
	before := h.get("/v1/benefits", aAdmin)
	checks := 0
	for i, rt := range routes.All {
		if rt.Access != routes.Partner || !strings.Contains(rt.Path, "{") {
			continue
		}
		r := h.do(f.request(rt, a, 1000+i, bAdmin))
		checks++
		if !problemIs(r, http.StatusNotFound, "not_found") {
			t.Errorf("%s by partner B with A's ids: %d %s, want 404 not_found", rt.Key(), r.Status, r.Body)
		}
	}
	// A's history of one of its benefits is not B's: an empty list, not an error.
	for _, id := range []string{a.monthly, a.vs} {
		if items := h.get("/v1/audit?benefitId="+id, aAdmin).json(t)["items"].([]any); len(items) == 0 {
			t.Fatalf("A's audit of %s is empty: the check below would prove nothing", id)
		}
		r := h.get("/v1/audit?benefitId="+id, bAdmin)
		checks++
		if r.Status != http.StatusOK || len(r.json(t)["items"].([]any)) != 0 {
			t.Errorf("B reads A's audit of %s: %d %s, want 200 and no items", id, r.Status, r.Body)
		}
	}
	// B's own lines with A's user: A's directory is not B's.
	mixed := []struct {
		c            call
		status       int
		code, reason string
	}{
		{call{method: "DELETE", path: "/v1/credits/" + b.monthly + "/users/" + a.user}, 404, "not_found", "remove A's user from B's credit"},
		{call{method: "DELETE", path: "/v1/visual-studio/" + b.vs + "/assignments/" + a.user}, 404, "not_found", "remove A's user from B's VS"},
		{call{method: "POST", path: "/v1/credits/" + b.monthly + "/users", body: `{"userId":"` + a.user + `"}`}, 422, "user_not_found", "assign A's user to B's credit"},
		{call{method: "POST", path: "/v1/visual-studio/" + b.vs + "/assignments", body: `{"userId":"` + a.user + `"}`}, 422, "user_not_found", "assign A's user to B's VS"},
		{call{method: "PUT", path: "/v1/gtm/marketing-contact", body: `{"userId":"` + a.user + `","email":"x@authzb.test","phone":"+14255550100","language":"en"}`},
			422, "user_not_found", "make A's user B's contact"},
	}
	for _, m := range mixed {
		m.c.token = bAdmin
		r := h.do(m.c)
		checks++
		if !problemIs(r, m.status, m.code) {
			t.Errorf("%s: %d %s, want %d %s", m.reason, r.Status, r.Body, m.status, m.code)
		}
	}
	// B's lists show nothing of A's.
	for _, path := range []string{"/v1/users", "/v1/visual-studio/" + b.vs + "/assignments", "/v1/benefits", "/v1/audit"} {
		r := h.get(path, bAdmin)
		checks++
		for _, id := range []string{a.user, a.id, a.purchase, a.monthly, a.vs} {
			if strings.Contains(string(r.Body), id) {
				t.Errorf("B's %s shows A's %s: %s", path, id, r.Body)
			}
		}
	}
	// Nothing of A's changed: same dashboard, seats still held.
	if after := h.get("/v1/benefits", aAdmin); string(after.Body) != string(before.Body) {
		t.Errorf("A's dashboard changed under B's requests:\nbefore %s\nafter  %s", before.Body, after.Body)
	}
	if got := h.vsHolders(aAdmin, a.vs); !slices.Equal(got, []string{a.user}) {
		t.Errorf("A's VS holders %v", got)
	}
	if r := h.get("/v1/purchases/"+a.cancel, aAdmin); r.json(t)["status"] != "active" {
		t.Errorf("A's purchase after B's cancel: %s", r.Body)
	}
	t.Logf("cross-partner: %d checks", checks)
}

// authzClaims are valid claims for a route: the operator's on operator
// routes, partner A's global admin's elsewhere.
func (f *authzFixture) authzClaims(rt routes.Route) jwt.MapClaims {
	now := f.h.tok.now()
	c := jwt.MapClaims{"iss": f.h.tok.issuer, "aud": localAudience, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if rt.Access == routes.Operator {
		c["sub"], c["roles"] = "op_1", []string{string(access.ProgramOperator)}
	} else {
		c["sub"], c["partner_id"], c["roles"] = "usr_authz", f.a.id, []string{string(access.GlobalAdmin)}
	}
	return c
}

func signRS256(t testing.TB, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = localKeyID
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(v any) string {
	raw, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// badTokens: every kind of bad token is 401 on every route that takes one.
func (f *authzFixture) badTokens(t *testing.T) {
	h := f.h.with(t)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&h.tok.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	with := func(c jwt.MapClaims, k string, v any) jwt.MapClaims {
		out := jwt.MapClaims{}
		for kk, vv := range c {
			out[kk] = vv
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	kinds := []struct {
		name string
		make func(c jwt.MapClaims) string // a bearer token
	}{
		{"bad signature", func(c jwt.MapClaims) string {
			s := signRS256(t, h.tok.key, c)
			i := strings.LastIndexByte(s, '.')
			sig, err := base64.RawURLEncoding.DecodeString(s[i+1:])
			if err != nil {
				t.Fatal(err)
			}
			sig[len(sig)/2] ^= 0x01 // a byte of the signature, not a padding bit of its encoding
			return s[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
		}},
		{"wrong issuer", func(c jwt.MapClaims) string { return signRS256(t, h.tok.key, with(c, "iss", "https://evil.example/")) }},
		{"wrong audience", func(c jwt.MapClaims) string { return signRS256(t, h.tok.key, with(c, "aud", "some-other-api")) }},
		{"alg none", func(c jwt.MapClaims) string { return b64(map[string]string{"alg": "none"}) + "." + b64(c) + "." }},
		{"alg none, typ JWT", func(c jwt.MapClaims) string {
			return b64(map[string]string{"alg": "none", "typ": "JWT", "kid": localKeyID}) + "." + b64(c) + "."
		}},
		{"expired", func(c jwt.MapClaims) string {
			past := f.h.tok.now().Add(-time.Hour)
			return signRS256(t, h.tok.key, with(with(c, "exp", past.Unix()), "iat", past.Add(-time.Hour).Unix()))
		}},
		{"no exp", func(c jwt.MapClaims) string { return signRS256(t, h.tok.key, with(c, "exp", nil)) }},
		{"not yet valid", func(c jwt.MapClaims) string {
			return signRS256(t, h.tok.key, with(c, "nbf", f.h.tok.now().Add(time.Hour).Unix()))
		}},
		{"other signing key", func(c jwt.MapClaims) string { return signRS256(t, otherKey, c) }},
		{"HS256 keyed with the public key", func(c jwt.MapClaims) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
			tok.Header["kid"] = localKeyID
			s, err := tok.SignedString(pubDER)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
	// The crafted tokens differ from a good one only in their defect: the
	// same claims, signed the same way, are accepted.
	ctl := routes.Route{Method: "GET", Path: "/v1/benefits", Access: routes.Partner}
	if r := h.get("/v1/benefits", signRS256(t, h.tok.key, f.authzClaims(ctl))); r.Status != http.StatusOK {
		t.Fatalf("control token refused: %d %s", r.Status, r.Body)
	}
	checks := 0
	for i, rt := range routes.All {
		if rt.Access == routes.Public {
			continue
		}
		claims := f.authzClaims(rt)
		for _, k := range kinds {
			c := f.request(rt, f.a, 2000+i, k.make(claims))
			r := h.do(c)
			checks++
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s with a token with %s: %d %s, want 401", rt.Key(), k.name, r.Status, r.Body)
			}
		}
		// Not a bearer token at all.
		c := f.request(rt, f.a, 3000+i, "")
		c.headers = map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin"))}
		if ct := routeRequest[rt.Key()](f.a, 0).headers["Content-Type"]; ct != "" {
			c.headers["Content-Type"] = ct
		}
		r := h.do(c)
		checks++
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s with Basic credentials: %d %s, want 401", rt.Key(), r.Status, r.Body)
		}
	}
	t.Logf("bad tokens: %d checks (%d kinds + Basic, on every non-public route)", checks, len(kinds))
}
