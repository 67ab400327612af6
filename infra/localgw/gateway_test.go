package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDashboardIsOneQueryInSpecShape(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Contoso", "USD")
	gold := h.buy(admin, "gold-2026")
	h.buy(admin, "action-pack-2026")

	h.calls.Reset()
	r := h.get("/v1/benefits", admin)
	if r.Status != http.StatusOK {
		t.Fatalf("dashboard: %d %s", r.Status, r.Body)
	}
	if c := h.calls.Reset(); c["Query"] != 1 || len(c) != 1 {
		t.Errorf("dashboard made %v DynamoDB round trips, want exactly one Query", c)
	}
	m := r.json(t)
	if got := keysOf(m); len(got) != 2 || !slices.Contains(got, "purchases") || !slices.Contains(got, "benefits") {
		t.Errorf("top-level keys %v", got)
	}
	purchases := m["purchases"].([]any)
	benefits := m["benefits"].([]any)
	if len(purchases) != 2 {
		t.Fatalf("%d purchases, want 2", len(purchases))
	}
	wantP := []string{"id", "packageId", "plan", "status", "purchasedAt"}
	// plan is the line's package's plan (licence lines are shown with it);
	// productName the product's name as bought (the console shows it).
	wantB := []string{"id", "purchaseId", "kind", "product", "productName", "plan", "quantity", "used", "benefitType", "status", "expiresAt"}
	for _, p := range purchases {
		if got := keysOf(p.(map[string]any)); !sameSet(got, wantP) {
			t.Errorf("purchase keys %v, want %v", got, wantP)
		}
	}
	goldLines := len(gold["benefits"].([]any))
	if goldLines < 10 || len(benefits) <= goldLines {
		t.Errorf("%d benefit lines for gold + action pack (gold alone %d)", len(benefits), goldLines)
	}
	for _, b := range benefits {
		bm := b.(map[string]any)
		want := wantB
		switch bm["kind"] {
		case "credit-monthly", "credit-annual":
			// Credit lines also show their holders, balance and what a
			// seat is worth, per month or year.
			want = append(slices.Clone(wantB), "holders", "assignedToCaller", "balance", "creditAmount", "creditPeriod")
		case "visual-studio":
			want = append(slices.Clone(wantB), "holders", "assignedToCaller")
		case "gtm-offer":
			want = append(slices.Clone(wantB), "offerType")
		}
		if bm["plan"] != "gold" && bm["plan"] != "action-pack" {
			t.Errorf("line plan %v", bm["plan"])
		}
		if got := keysOf(bm); !sameSet(got, want) {
			t.Errorf("benefit keys %v, want %v", got, want)
		}
		if bm["status"] != "available" || bm["used"] != float64(0) {
			t.Errorf("new line %v", bm)
		}
		exp, err := time.Parse(time.RFC3339, bm["expiresAt"].(string))
		if err != nil || exp.Location() != time.UTC {
			t.Errorf("expiresAt %v is not RFC 3339 UTC", bm["expiresAt"])
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestPurchaseExpiresTwelveMonthsLaterAndReadsExpiredThen(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Fabrikam", "EUR")
	h.clock.Set(time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC))
	p := h.buy(admin, "silver-2026")
	if p["price"].(map[string]any)["currency"] != "EUR" {
		t.Errorf("price not in the partner's currency: %v", p["price"])
	}
	for _, b := range p["benefits"].([]any) {
		got, _ := time.Parse(time.RFC3339, b.(map[string]any)["expiresAt"].(string))
		if want := time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC); got.Sub(want).Abs() > 5*time.Second {
			t.Fatalf("expiresAt %v, want purchase + 12 months (%v)", got, want)
		}
	}
	h.clock.Set(time.Date(2027, 1, 31, 10, 1, 0, 0, time.UTC))
	m := h.get("/v1/benefits", admin).json(t)
	for _, b := range m["benefits"].([]any) {
		if s := b.(map[string]any)["status"]; s != "expired" {
			t.Fatalf("a line past its expiry reads %v", s)
		}
	}
	got := h.get("/v1/purchases/"+p["id"].(string), admin).json(t)
	if got["id"] != p["id"] || len(got["benefits"].([]any)) != len(p["benefits"].([]any)) || got["cancellation"] != nil {
		t.Errorf("GET purchase = %v", got)
	}
}

func TestNoValidTokenIs401(t *testing.T) {
	h := newHarness(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := &tokens{key: other, issuer: localIssuer, now: time.Now}
	forgedTok, _, _ := forged.issue("ptn_demo", "u", []string{"global-admin"})
	expired := &tokens{key: h.tok.key, issuer: localIssuer, now: func() time.Time { return time.Now().Add(-24 * time.Hour) }}
	expiredTok, _, _ := expired.issue("ptn_demo", "u", nil)
	wrongIss := &tokens{key: h.tok.key, issuer: "https://elsewhere.example/", now: time.Now}
	wrongIssTok, _, _ := wrongIss.issue("ptn_demo", "u", nil)
	valid := h.token("ptn_demo", "u")
	parts := strings.Split(valid, ".")
	noneAlg := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."

	for name, auth := range map[string]string{
		"no header":         "",
		"not bearer":        "Basic dXNlcjpwYXNz",
		"garbage":           "Bearer not.a.jwt",
		"other signing key": "Bearer " + forgedTok,
		"expired":           "Bearer " + expiredTok,
		"wrong issuer":      "Bearer " + wrongIssTok,
		"alg none":          "Bearer " + noneAlg,
	} {
		t.Run(name, func(t *testing.T) {
			r := h.do(call{method: "GET", path: "/v1/benefits", headers: map[string]string{"Authorization": auth}})
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", r.Status, r.Body)
			}
			if m := r.json(t); m["message"] != "Unauthorized" {
				t.Errorf("body %v, want API Gateway's {\"message\":\"Unauthorized\"}", m)
			}
		})
	}
}

func TestRolesFollowThePermissionMatrix(t *testing.T) {
	h := newHarness(t)
	pid, _, _ := h.newPartner("Tailspin", "USD")
	userBody := func(i int) string {
		return fmt.Sprintf(`{"email":"u%d@tailspin.example","displayName":"U","roles":[],"guest":false}`, i)
	}
	tests := []struct {
		name       string
		token      string
		method     string
		path, body string
		want       int
	}{
		{"member lists users", h.token(pid, "m"), "GET", "/v1/users", "", 200},
		{"member cannot add users", h.token(pid, "m"), "POST", "/v1/users", userBody(1), 403},
		{"admin agent cannot add users", h.token(pid, "a", "admin-agent"), "POST", "/v1/users", userBody(2), 403},
		{"mpn partner admin cannot add users", h.token(pid, "p", "mpn-partner-admin"), "POST", "/v1/users", userBody(3), 403},
		{"user management admin adds users", h.token(pid, "u", "user-management-admin"), "POST", "/v1/users", userBody(4), 201},
		{"member buys a package", h.token(pid, "m"), "POST", "/v1/purchases", `{"packageId":"gold-2026"}`, 201},
		{"member reads the dashboard", h.token(pid, "m"), "GET", "/v1/benefits", "", 200},
		{"partner admin cannot create partners", h.token(pid, "g", "global-admin"), "POST", "/v1/admin/partners", `{"name":"X","currency":"USD","accountEmail":"x@x.example"}`, 403},
		{"partner admin cannot publish the catalogue", h.token(pid, "g", "global-admin"), "POST", "/v1/admin/catalog", `{}`, 403},
		{"a partner token claiming the operator role is still a partner", h.token(pid, "g", "program-operator"), "GET", "/v1/admin/catalog", "", 403},
		{"operator has no dashboard", h.operator(), "GET", "/v1/benefits", "", 403},
		{"operator cannot buy", h.operator(), "POST", "/v1/purchases", `{"packageId":"gold-2026"}`, 403},
		{"operator lists the catalogue", h.operator(), "GET", "/v1/catalog/packages", "", 200},
		{"member lists the catalogue", h.token(pid, "m"), "GET", "/v1/catalog/packages", "", 200},
		{"token with neither partner nor operator role", h.token("", "nobody", "global-admin"), "GET", "/v1/catalog/packages", "", 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(call{method: tc.method, path: tc.path, token: tc.token, body: tc.body})
			if tc.want == 403 {
				r.problem(t, 403, "forbidden_role")
				return
			}
			if r.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
			}
		})
	}
}

func TestAnotherPartnersIDsAre404(t *testing.T) {
	h := newHarness(t)
	_, _, a := h.newPartner("Alpha", "USD")
	_, _, b := h.newPartner("Beta", "USD")
	p := h.buy(a, "gold-2026")
	h.get("/v1/purchases/"+p["id"].(string), b).problem(t, 404, "not_found")
	h.get("/v1/purchases/pur_doesnotexist", b).problem(t, 404, "not_found")
	if m := h.get("/v1/benefits", b).json(t); len(m["purchases"].([]any))+len(m["benefits"].([]any)) != 0 {
		t.Errorf("partner B sees A's data: %v", m)
	}
	if r := h.get("/v1/purchases/"+p["id"].(string), a); r.Status != 200 {
		t.Errorf("owner gets %d", r.Status)
	}
}

func TestBadInputIs4xxProblem(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Wingtip", "USD")
	tests := []struct {
		name        string
		c           call
		status      int
		code, field string
	}{
		{"malformed json", call{method: "POST", path: "/v1/purchases", body: `{"packageId":`}, 400, "malformed_json", ""},
		{"empty body", call{method: "POST", path: "/v1/purchases", headers: map[string]string{"Content-Type": "application/json"}}, 400, "malformed_json", ""},
		{"trailing data", call{method: "POST", path: "/v1/purchases", body: `{"packageId":"gold-2026"} {}`}, 400, "malformed_json", ""},
		{"unknown field", call{method: "POST", path: "/v1/purchases", body: `{"packageId":"gold-2026","discount":5}`}, 400, "validation_failed", "discount"},
		{"wrong type", call{method: "POST", path: "/v1/purchases", body: `{"packageId":7}`}, 400, "validation_failed", "packageId"},
		{"missing field", call{method: "POST", path: "/v1/purchases", body: `{}`}, 400, "validation_failed", "packageId"},
		{"unknown package", call{method: "POST", path: "/v1/purchases", body: `{"packageId":"platinum"}`}, 422, "package_not_found", ""},
		{"not json", call{method: "POST", path: "/v1/purchases", body: `packageId=gold`, headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", ""},
		{"bad email", call{method: "POST", path: "/v1/users", body: `{"email":"nope","displayName":"N","roles":[],"guest":false}`}, 400, "validation_failed", "email"},
		{"unknown role", call{method: "POST", path: "/v1/users", body: `{"email":"a@b.example","displayName":"N","roles":["root"],"guest":false}`}, 400, "validation_failed", "roles[0]"},
		{"bad limit", call{method: "GET", path: "/v1/users?limit=1000"}, 400, "validation_failed", "limit"},
		{"bad cursor", call{method: "GET", path: "/v1/users?cursor=%21%21"}, 400, "validation_failed", "cursor"},
		{"huge cursor", call{method: "GET", path: "/v1/users?cursor=" + strings.Repeat("QUFB", 400)}, 400, "validation_failed", "cursor"},
		{"huge purchase id", call{method: "GET", path: "/v1/purchases/" + strings.Repeat("p", 2000)}, 404, "not_found", ""},
		{"odd purchase id", call{method: "GET", path: "/v1/purchases/pur%23PROFILE"}, 404, "not_found", ""},
		{"huge benefit id", call{method: "POST", path: "/v1/software/" + strings.Repeat("b", 2000) + "/key"}, 404, "not_found", ""},
		{"bad currency", call{method: "GET", path: "/v1/catalog/packages?currency=usd"}, 400, "validation_failed", "currency"},
		{"unsupported currency", call{method: "GET", path: "/v1/catalog/packages?currency=CHF"}, 422, "currency_not_supported", ""},
		{"too large", call{method: "POST", path: "/v1/purchases", body: `{"packageId":"` + strings.Repeat("x", 2<<20) + `"}`}, 413, "body_too_large", ""},
		{"bad idempotency key", call{method: "POST", path: "/v1/purchases", body: `{"packageId":"gold-2026"}`, headers: map[string]string{"Idempotency-Key": strings.Repeat("k", 300)}}, 400, "validation_failed", "Idempotency-Key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.token = admin
			m := h.do(tc.c).problem(t, tc.status, tc.code)
			if tc.field == "" {
				return
			}
			errs, _ := m["errors"].([]any)
			for _, e := range errs {
				if e.(map[string]any)["field"] == tc.field {
					return
				}
			}
			t.Errorf("no error for field %s in %v", tc.field, m)
		})
	}
	if m := h.get("/v1/benefits", admin).json(t); len(m["purchases"].([]any)) != 0 {
		t.Errorf("rejected requests wrote purchases: %v", m["purchases"])
	}
}

func TestIdempotencyKeyReplaysAndRejectsReuse(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Northwind", "GBP")
	buy := func(key, body string) reply {
		return h.do(call{method: "POST", path: "/v1/purchases", token: admin, body: body, headers: map[string]string{"Idempotency-Key": key}})
	}
	first := buy("order-1", `{"packageId":"gold-2026"}`)
	if first.Status != 201 {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	again := buy("order-1", `{"packageId":"gold-2026"}`)
	if again.Status != 201 || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %q %s", again.Status, again.Header.Get("Idempotent-Replayed"), again.Body)
	}
	if again.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("replayed Location %q, first %q", again.Header.Get("Location"), first.Header.Get("Location"))
	}
	buy("order-1", `{"packageId":"silver-2026"}`).problem(t, 422, "idempotency_key_reused")
	// Keys are scoped to the caller: another user's same key is a new request.
	other := h.do(call{method: "POST", path: "/v1/purchases", token: h.token(h.partnerOf(admin), "someone-else"), body: `{"packageId":"silver-2026"}`, headers: map[string]string{"Idempotency-Key": "order-1"}})
	if other.Status != 201 {
		t.Errorf("other caller's key: %d %s", other.Status, other.Body)
	}
	// A rejected request is replayed too, not re-run.
	bad := buy("order-2", `{"packageId":"platinum"}`)
	bad.problem(t, 422, "package_not_found")
	if r := buy("order-2", `{"packageId":"platinum"}`); r.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("a 4xx answer is replayed for the same key")
	}
	if n := len(h.get("/v1/benefits", admin).json(t)["purchases"].([]any)); n != 2 {
		t.Errorf("%d purchases, want 2 (gold once, silver by the other user)", n)
	}
}

func TestConcurrentDuplicatesRunOnce(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Adatum", "JPY")
	const n = 8
	var wg sync.WaitGroup
	statuses := make([]int, n)
	codes := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.do(call{method: "POST", path: "/v1/purchases", token: admin, body: `{"packageId":"gold-2026"}`, headers: map[string]string{"Idempotency-Key": "burst"}})
			statuses[i] = r.Status
			if r.Status != 201 {
				codes[i], _ = r.json(t)["code"].(string)
			}
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 201 && !(s == 409 && codes[i] == "idempotency_in_progress") {
			t.Errorf("duplicate %d got %d %s", i, s, codes[i])
		}
	}
	if got := len(h.get("/v1/benefits", admin).json(t)["purchases"].([]any)); got != 1 {
		t.Fatalf("%d concurrent duplicates created %d purchases, want 1", n, got)
	}
}

func TestUserEmailIsUniquePerPartner(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Litware", "USD")
	body := `{"email":"Ann@Litware.example","displayName":"Ann","roles":["admin-agent"],"guest":true}`
	r := h.post("/v1/users", admin, body)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	u := r.json(t)
	if u["email"] != "Ann@Litware.example" || u["guest"] != true || u["roles"].([]any)[0] != "admin-agent" {
		t.Errorf("user %v", u)
	}
	h.post("/v1/users", admin, strings.ToLower(body)).problem(t, 409, "user_exists")
	// The account email of the partner's first admin is taken too.
	h.post("/v1/users", admin, `{"email":"admin@litware.example","displayName":"Dup","roles":[],"guest":false}`).problem(t, 409, "user_exists")
	list := h.get("/v1/users?limit=1", admin).json(t)
	if len(list["items"].([]any)) != 1 || list["nextCursor"] == nil {
		t.Fatalf("page 1: %v", list)
	}
	list2 := h.get("/v1/users?limit=1&cursor="+list["nextCursor"].(string), admin).json(t)
	if len(list2["items"].([]any)) != 1 || list2["nextCursor"] != nil {
		t.Errorf("page 2: %v", list2)
	}
}

func TestCatalogueListingAndPublishing(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Proseware", "JPY")
	m := h.get("/v1/catalog/packages", admin).json(t)
	items := m["items"].([]any)
	if len(items) != 3 {
		t.Fatalf("%d packages, want one per plan", len(items))
	}
	plans := []string{}
	for _, it := range items {
		p := it.(map[string]any)
		plans = append(plans, p["plan"].(string))
		if p["price"].(map[string]any)["currency"] != "JPY" {
			t.Errorf("price %v not in partner currency", p["price"])
		}
		if !sameSet(keysOf(p), []string{"id", "plan", "name", "price", "benefits"}) {
			t.Errorf("package keys %v", keysOf(p))
		}
	}
	if !sameSet(plans, []string{"action-pack", "silver", "gold"}) {
		t.Errorf("plans %v", plans)
	}
	op := h.operator()
	h.post("/v1/admin/catalog", op, `{"version":"x","currencies":["USD"],"products":{},"packages":[{"id":"a","plan":"tin","name":"A","price":{"USD":1},"benefits":[]}]}`).problem(t, 422, "catalog_invalid")
	next := `{"version":"2027.01","currencies":["USD","JPY"],"products":{"s":{"name":"Support","kind":"support"}},` +
		`"packages":[{"id":"gold-2027","plan":"gold","name":"Gold 2027","price":{"USD":100,"JPY":150},"benefits":[{"kind":"support","product":"s","quantity":5,"benefitType":"core"}]}]}`
	if r := h.post("/v1/admin/catalog", op, next); r.Status != 201 || r.json(t)["version"] != "2027.01" {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	h.post("/v1/admin/catalog", op, next).problem(t, 422, "catalog_invalid")
	if got := h.get("/v1/admin/catalog", op); got.Status != 200 || string(got.Body) != next {
		t.Errorf("GET catalog after publish: %d %s", got.Status, got.Body)
	}
	items = h.get("/v1/catalog/packages", admin).json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != "gold-2027" {
		t.Errorf("listing does not show the new version: %v", items)
	}
	// Purchases made before keep their snapshot; new ones use the new version.
	p := h.buy(admin, "gold-2027")
	if p["catalogVersion"] != "2027.01" {
		t.Errorf("catalogVersion %v", p["catalogVersion"])
	}
	h.post("/v1/purchases", admin, `{"packageId":"gold-2026"}`).problem(t, 422, "package_not_found")
	// A partner can only be created in a currency the live catalogue prices.
	h.post("/v1/admin/partners", op, `{"name":"Euro Ltd","currency":"EUR","accountEmail":"a@euro.example"}`).problem(t, 422, "currency_not_supported")
}

func TestKeyPoolImport(t *testing.T) {
	h := newHarness(t)
	op := h.operator()
	imp := func(product, contentType, body string) reply {
		return h.do(call{method: "POST", path: "/v1/admin/key-pools/" + product, token: op, body: body, headers: map[string]string{"Content-Type": contentType}})
	}
	r := imp("office-suite-pro", "text/csv", "key\nAAAAA-11111\nBBBBB-22222\nAAAAA-11111\n\n")
	if r.Status != 200 || string(r.Body) != `{"duplicates":1,"imported":2}` {
		t.Fatalf("csv: %d %s", r.Status, r.Body)
	}
	// JSON lines travel base64-encoded, as API Gateway sends non-text bodies.
	r = imp("office-suite-pro", "application/x-ndjson", `{"key":"BBBBB-22222"}`+"\n"+`{"key":"CCCCC-33333"}`+"\n")
	if r.Status != 200 || string(r.Body) != `{"duplicates":1,"imported":1}` {
		t.Fatalf("ndjson: %d %s", r.Status, r.Body)
	}
	m := imp("office-suite-pro", "text/csv", "GOOD-1\nbad key with spaces\n").problem(t, 400, "validation_failed")
	if e := m["errors"].([]any)[0].(map[string]any); e["field"] != "line[2]" || strings.Contains(fmt.Sprint(m), "spaces") {
		t.Errorf("line error %v must name the line and not echo the key", m)
	}
	imp("no-such-product", "text/csv", "K-1\n").problem(t, 404, "product_not_found")
	imp("dev-tools-suite", "text/csv", "K-1\n").problem(t, 422, "product_not_pooled")
	imp("office-suite-pro", "application/pdf", "K-1\n").problem(t, 415, "unsupported_media_type")
}

func TestLocalRoutes(t *testing.T) {
	h := newHarness(t)
	r := h.post("/_local/token", "", `{"userId":"u1","roles":["global-admin"]}`)
	r.problem(t, 400, "validation_failed") // a partner user needs a partner
	r = h.post("/_local/token", "", `{"partnerId":"ptn_demo","userId":"u1","roles":["global-admin","mpn-partner-admin"]}`)
	tok, _ := r.json(t)["token"].(string)
	claims, ok := h.tok.verify("Bearer " + tok)
	if !ok {
		t.Fatalf("issued token does not verify: %s", r.Body)
	}
	// The authorizer's string forms: arrays as "[a b]", numbers as digits.
	if claims["roles"] != "[global-admin mpn-partner-admin]" || claims["partner_id"] != "ptn_demo" || claims["sub"] != "u1" {
		t.Errorf("claims %v", claims)
	}
	if exp, err := strconv.ParseInt(claims["exp"], 10, 64); err != nil || exp < time.Now().Unix() {
		t.Errorf("exp %q should be future epoch seconds as a string", claims["exp"])
	}
	r = h.post("/_local/clock", "", `{"now":"2030-01-01T00:00:00Z"}`)
	if r.Status != 200 || !strings.HasPrefix(h.clock.Now().Format(time.RFC3339), "2030-01-01T00:00") {
		t.Fatalf("clock set: %d %s", r.Status, r.Body)
	}
	h.post("/_local/clock", "", `{"now":"tomorrow"}`).problem(t, 400, "validation_failed")
	h.post("/_local/clock", "", `{}`)
	if time.Since(h.clock.Now()) > time.Minute {
		t.Error("{} must reset the clock to real time")
	}
	h.post("/_local/jobs/no-such-job", "", ``).problem(t, 404, "job_not_found")
	if r := h.get("/_local/.well-known/jwks.json", ""); r.Status != 200 || !strings.Contains(string(r.Body), `"RS256"`) {
		t.Errorf("jwks: %d %s", r.Status, r.Body)
	}
	if r := h.get("/v1/nowhere", tok); r.Status != 404 {
		t.Errorf("unknown route: %d", r.Status)
	}
}
