package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/boot"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/mail/sesmail"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// harness is the local gateway over a fresh DynamoDB Local table, with a
// counter on every DynamoDB round trip.
type harness struct {
	t     testing.TB
	url   string
	svc   *api.Service
	calls *testenv.Counting
	clock *clock.Settable
	tok   *tokens
	// console is the served console of newConsoleHarness, else nil.
	console *consoleSite
}

func newHarness(t testing.TB) *harness { return build(t, false) }

// newMailHarness is a harness whose gateway drains the outbox into the local
// SES endpoint after every request, as make dev does, so a test reads the
// mail a request owed with h.mailTo.
func newMailHarness(t testing.TB) *harness { return build(t, true) }

// newHarnessWith is a harness whose service reaches DynamoDB through
// wrap(the counting client); setup, jobs and h.calls do not.
func newHarnessWith(t testing.TB, wrap func(store.API) store.API) *harness {
	return buildWith(t, false, wrap)
}

func build(t testing.TB, withMail bool) *harness { return buildWith(t, withMail, nil) }

func buildWith(t testing.TB, withMail bool, wrap func(store.API) store.API) *harness {
	return buildSite(t, withMail, wrap, nil)
}

// buildSite builds a harness whose gateway also serves site (the console), if not nil.
func buildSite(t testing.TB, withMail bool, wrap func(store.API) store.API, site *consoleSite) *harness {
	t.Helper()
	db := testenv.DynamoDB(t)
	counting := testenv.NewCounting(db)
	var svcDB store.API = counting
	if wrap != nil {
		svcDB = wrap(counting)
	}
	clk := clock.NewSettable()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	seed, _ := base64.StdEncoding.DecodeString(devSigningSeed)
	tableName := testenv.NewTable(t, db)
	svc := boot.NewService(boot.Settings{TableName: tableName, CatalogTTL: 30 * time.Second,
		SigningSeed: seed, KeyPoolLowWater: 5}, svcDB, clk, log)
	cat, err := catalog.Parse(catalog.Demo)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Store.PublishCatalog(context.Background(), cat, catalog.Demo, "test", clk.Now()); err != nil {
		t.Fatal(err)
	}
	tok, err := newTokens(localIssuer)
	if err != nil {
		t.Fatal(err)
	}
	jobs := map[string]job{"expire-benefits": expiryJob(boot.NewExpiryJob(tableName, counting, nil, "", log)),
		"monthly-credit-grant": grantJob(boot.NewGrantJob(tableName, counting, nil, "", log)),
		"finish-cancellations": releaseJob(boot.NewReleaseJob(tableName, counting, log))}
	var sender *mail.Sender
	if withMail {
		sender = boot.NewSender(boot.MailSettings{TableName: tableName, From: mail.DefaultFrom}, counting, sesmail.New(testenv.SES(t), mail.DefaultFrom), log)
		jobs["send-mail"] = sendMailJob(sender)
	}
	gw, err := newGateway(svc, clk, tok, jobs, log)
	if err != nil {
		t.Fatal(err)
	}
	gw.console = site
	var handler http.Handler = gw
	if withMail {
		handler = drainAfter(gw, sender, clk, log)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	svc.PublicURL = srv.URL
	return &harness{t: t, url: srv.URL, svc: svc, calls: counting, clock: clk, tok: tok, console: site}
}

// mailTo returns the mail the local SES endpoint accepted for one address,
// oldest first (the store is shared, so tests use unique addresses).
func (h *harness) mailTo(addr string) []testenv.Mail {
	h.t.Helper()
	var out []testenv.Mail
	for _, m := range testenv.SentMail(h.t) {
		if slices.Contains(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// runJob runs a local job (/_local/jobs/{name}) at the service clock.
func (h *harness) runJob(name string) map[string]any {
	h.t.Helper()
	r := h.do(call{method: "POST", path: "/_local/jobs/" + name})
	if r.Status != http.StatusOK {
		h.t.Fatalf("job %s: %d %s", name, r.Status, r.Body)
	}
	return r.json(h.t)
}

// reply is a decoded response.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// problem asserts a problem+json response with the status and code.
func (r reply) problem(t testing.TB, status int, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	m := r.json(t)
	if m["code"] != code || m["status"] != float64(status) || m["type"] != "urn:pbs:problem:"+code || m["title"] == "" {
		t.Fatalf("problem = %v, want code %s", m, code)
	}
	return m
}

type call struct {
	method, path, token, body string
	headers                   map[string]string
}

func (h *harness) do(c call) reply {
	h.t.Helper()
	req, err := http.NewRequest(c.method, h.url+c.path, strings.NewReader(c.body))
	if err != nil {
		h.t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		h.t.Fatal(err)
	}
	r := reply{Status: resp.StatusCode, Header: resp.Header, Body: buf.Bytes()}
	checkFieldCodes(h.t, c, r)
	return r
}

// fieldCodes are the stable codes a field error may carry (apperr).
var fieldCodes = []string{apperr.Required, apperr.TooLong, apperr.TooShort, apperr.Format, apperr.OutOfRange, apperr.UnknownValue, apperr.Duplicate}

// checkFieldCodes holds every field error any test meets to its contract:
// a stable code beside the English message, so every refusal can be
// translated (a net over all the suite's refusals).
func checkFieldCodes(t testing.TB, c call, r reply) {
	t.Helper()
	if r.Header.Get("Content-Type") != "application/problem+json" {
		return
	}
	var p struct {
		Errors []struct{ Field, Code, Message string }
	}
	if json.Unmarshal(r.Body, &p) != nil {
		return
	}
	for _, e := range p.Errors {
		if !slices.Contains(fieldCodes, e.Code) {
			t.Errorf("%s %s: field error %q (%q) has code %q, want one of %v", c.method, c.path, e.Field, e.Message, e.Code, fieldCodes)
		}
	}
}

func (h *harness) get(path, token string) reply {
	return h.do(call{method: "GET", path: path, token: token})
}

func (h *harness) post(path, token, body string) reply {
	return h.do(call{method: "POST", path: path, token: token, body: body})
}

func (h *harness) token(partnerID, userID string, roles ...string) string {
	h.t.Helper()
	if roles == nil {
		roles = []string{}
	}
	s, _, err := h.tok.issue(partnerID, userID, roles)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) operator() string { return h.token("", "op_1", "program-operator") }

// newPartner creates a partner through the API and returns a global-admin token.
func (h *harness) newPartner(name, currency string) (partnerID, adminID, token string) {
	h.t.Helper()
	body := `{"name":"` + name + `","currency":"` + currency + `","accountEmail":"admin@` + strings.ToLower(name) + `.example"}`
	r := h.post("/v1/admin/partners", h.operator(), body)
	if r.Status != http.StatusCreated {
		h.t.Fatalf("create partner: %d %s", r.Status, r.Body)
	}
	m := r.json(h.t)
	partnerID, adminID = m["id"].(string), m["adminUserId"].(string)
	return partnerID, adminID, h.token(partnerID, adminID, "global-admin")
}

// buy purchases a package and returns the decoded response.
func (h *harness) buy(token, pkg string) map[string]any {
	h.t.Helper()
	r := h.post("/v1/purchases", token, `{"packageId":"`+pkg+`"}`)
	if r.Status != http.StatusCreated {
		h.t.Fatalf("buy %s: %d %s", pkg, r.Status, r.Body)
	}
	return r.json(h.t)
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// partnerOf reads the partner id back out of a token the harness issued.
func (h *harness) partnerOf(token string) string {
	h.t.Helper()
	claims, ok := h.tok.verify("Bearer " + token)
	if !ok {
		h.t.Fatal("not a harness token")
	}
	return claims["partner_id"]
}

// publishUnchecked publishes the demo catalogue plus extra packages
// straight into the store, without the catalogue's validation, as a
// catalogue published before a newer rule would hold; the service then
// reads the catalogue afresh on every request.
func (h *harness) publishUnchecked(version string, pkgs ...map[string]any) {
	h.t.Helper()
	raw := h.catalogWith(version, pkgs...)
	var c catalog.Catalog
	if err := json.Unmarshal(raw, &c); err != nil {
		h.t.Fatal(err)
	}
	if err := h.svc.Store.PublishCatalog(context.Background(), &c, raw, "test", h.clock.Now()); err != nil {
		h.t.Fatal(err)
	}
	h.svc.CatalogTTL = 0
}

// catalogWith is the demo catalogue plus extra packages (JSON objects in the
// catalogue's shape, priced here), as version.
func (h *harness) catalogWith(version string, pkgs ...map[string]any) []byte {
	h.t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(catalog.Demo, &doc); err != nil {
		h.t.Fatal(err)
	}
	doc["version"] = version
	for _, p := range pkgs {
		p["price"] = map[string]any{"USD": 100000, "EUR": 90000, "JPY": 15000000, "GBP": 80000}
		doc["packages"] = append(doc["packages"].([]any), p)
	}
	raw, _ := json.Marshal(doc)
	return raw
}

// publishPackages publishes the demo catalogue plus extra packages (JSON
// objects in the catalogue's shape), as a new version.
func (h *harness) publishPackages(version string, pkgs ...map[string]any) {
	h.t.Helper()
	raw := h.catalogWith(version, pkgs...)
	r := h.do(call{method: "POST", path: "/v1/admin/catalog", token: h.operator(), body: string(raw)})
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		h.t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
}
