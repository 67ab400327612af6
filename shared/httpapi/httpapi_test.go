package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/store"
)

func TestParseRoles(t *testing.T) {
	tests := []struct {
		claim string
		want  []access.Role
	}{
		{"[global-admin mpn-partner-admin]", []access.Role{"global-admin", "mpn-partner-admin"}}, // HTTP API JWT authorizer
		{"[]", []access.Role{}},
		{"", []access.Role{}},
		{`["admin-agent","global-admin"]`, []access.Role{"admin-agent", "global-admin"}}, // JSON, other authorizers
		{"global-admin", []access.Role{"global-admin"}},
		{"[program-operator]", []access.Role{"program-operator"}},
	}
	for _, tc := range tests {
		if got := ParseRoles(tc.claim); !slices.Equal(got, tc.want) {
			t.Errorf("ParseRoles(%q) = %v, want %v", tc.claim, got, tc.want)
		}
	}
}

func TestProblemRendering(t *testing.T) {
	e := apperr.New(apperr.Conflict, "reassignment_too_soon", "Too soon.").With("earliestReassignmentAt", "2027-01-01T00:00:00Z")
	resp := Problem(e, "/v1/x", "rid")
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 409 || resp.Headers["Content-Type"] != "application/problem+json" || m["code"] != "reassignment_too_soon" ||
		m["earliestReassignmentAt"] != "2027-01-01T00:00:00Z" || m["instance"] != "/v1/x" || m["type"] != "urn:pbs:problem:reassignment_too_soon" {
		t.Errorf("problem = %d %v", resp.StatusCode, m)
	}
	// Unknown errors are a generic 500: the cause stays in the log.
	resp = Problem(errors.New("dial tcp 10.0.0.1: secret detail"), "/v1/x", "rid")
	if resp.StatusCode != 500 || strings.Contains(resp.Body, "secret") || !strings.Contains(resp.Body, `"code":"internal"`) {
		t.Errorf("500 leaks or is wrong: %s", resp.Body)
	}
	// Wrapped domain errors keep their status.
	resp = Problem(errors.Join(errors.New("ctx"), apperr.ErrNotFound), "", "")
	if resp.StatusCode != 404 {
		t.Errorf("wrapped not found: %d", resp.StatusCode)
	}
}

func TestDecode(t *testing.T) {
	type in struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	req := func(body, ct string, b64 bool) *Request {
		ev := events.APIGatewayV2HTTPRequest{Body: body, IsBase64Encoded: b64, Headers: map[string]string{}}
		if ct != "" {
			ev.Headers["content-type"] = ct
		}
		return &Request{Event: ev}
	}
	var v in
	if err := req(`{"name":"a","count":2}`, "application/json; charset=utf-8", false).Decode(&v); err != nil || v.Name != "a" || v.Count != 2 {
		t.Fatalf("valid body: %v %+v", err, v)
	}
	enc := base64.StdEncoding.EncodeToString([]byte(`{"name":"b"}`))
	if err := req(enc, "application/json", true).Decode(&v); err != nil || v.Name != "b" {
		t.Fatalf("base64 body: %v %+v", err, v)
	}
	cases := map[string]struct {
		body, ct string
		code     string
		field    string
	}{
		"syntax":     {`{"name":`, "application/json", "malformed_json", ""},
		"unknown":    {`{"nam":"a"}`, "application/json", "validation_failed", "nam"},
		"type":       {`{"count":"two"}`, "application/json", "validation_failed", "count"},
		"trailing":   {`{} []`, "application/json", "malformed_json", ""},
		"empty":      {``, "application/json", "malformed_json", ""},
		"media type": {`{}`, "text/plain", "unsupported_media_type", ""},
	}
	for name, tc := range cases {
		err := req(tc.body, tc.ct, false).Decode(&v)
		e, ok := apperr.As(err)
		if !ok || e.Code != tc.code {
			t.Errorf("%s: got %v, want %s", name, err, tc.code)
			continue
		}
		if tc.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != tc.field) {
			t.Errorf("%s: fields %v, want %s", name, e.Fields, tc.field)
		}
	}
	big := &Request{Event: events.APIGatewayV2HTTPRequest{Body: strings.Repeat("x", 100)}, bodyLimit: 10}
	if _, err := big.Body(); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}

// fakeIdem records nothing; these tests send no Idempotency-Key.
type fakeIdem struct{}

func (fakeIdem) ClaimIdempotency(context.Context, string, string, string, time.Time, time.Duration, time.Duration) (*store.IdempotencyRecord, error) {
	return nil, errors.New("unused")
}
func (fakeIdem) CompleteIdempotency(context.Context, string, string, string, int, map[string]string, string) error {
	return nil
}
func (fakeIdem) ReleaseIdempotency(context.Context, string, string, string) error { return nil }
func (fakeIdem) RecordIdempotency(context.Context, string, string, string, time.Time, time.Duration, int, map[string]string, string) (*store.IdempotencyRecord, error) {
	return nil, errors.New("unused")
}

func TestRouterAccessAndFailures(t *testing.T) {
	rs := []routes.Route{
		{ID: "p", Method: "GET", Path: "/p", Function: "f", Access: routes.Partner, Action: access.ViewBenefits},
		{ID: "o", Method: "GET", Path: "/o", Function: "f", Access: routes.Operator},
		{ID: "any", Method: "GET", Path: "/any", Function: "f", Access: routes.Any},
		{ID: "pub", Method: "GET", Path: "/pub", Function: "f", Access: routes.Public},
		{ID: "panic", Method: "GET", Path: "/panic", Function: "f", Access: routes.Public},
	}
	ok := Endpoint{Handle: func(context.Context, *Request) (Response, error) { return JSON(200, map[string]bool{"ok": true}) }}
	eps := map[routes.ID]Endpoint{"p": ok, "o": ok, "any": ok, "pub": ok,
		"panic": {Handle: func(context.Context, *Request) (Response, error) { panic("boom") }}}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	rt, err := NewRouter(rs, eps, fakeIdem{}, clock.System{}, log)
	if err != nil {
		t.Fatal(err)
	}
	partner := map[string]string{"sub": "u", "partner_id": "p", "roles": "[]"}
	operator := map[string]string{"sub": "op", "roles": "[program-operator]"}
	tests := []struct {
		route  string
		claims map[string]string
		want   int
	}{
		{"GET /p", partner, 200}, {"GET /p", operator, 403}, {"GET /p", nil, 401},
		{"GET /o", operator, 200}, {"GET /o", partner, 403},
		{"GET /any", partner, 200}, {"GET /any", operator, 200}, {"GET /any", map[string]string{"sub": "x"}, 403},
		{"GET /pub", nil, 200}, {"GET /panic", nil, 500}, {"GET /missing", partner, 404},
	}
	for _, tc := range tests {
		ev := events.APIGatewayV2HTTPRequest{RouteKey: tc.route, RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "rid"}}
		if tc.claims != nil {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: tc.claims}}
		}
		resp, err := rt.Handle(context.Background(), ev)
		if err != nil || resp.StatusCode != tc.want || resp.Headers["X-Request-Id"] != "rid" {
			t.Errorf("%s with %v: %d %v %v", tc.route, tc.claims, resp.StatusCode, err, resp.Headers)
		}
		if resp.StatusCode == 500 && strings.Contains(resp.Body, "boom") {
			t.Errorf("panic text leaked: %s", resp.Body)
		}
	}
	if _, err := NewRouter(rs, map[routes.ID]Endpoint{}, fakeIdem{}, clock.System{}, log); err == nil {
		t.Error("a route without a handler must fail at cold start")
	}
}

// A throttled table is not a bug: 503 service_unavailable with Retry-After,
// whatever wraps the SDK's error; any other unknown error stays a 500.
func TestProblemOfABusyTable(t *testing.T) {
	throttled := fmt.Errorf("get credit x: %w", &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "Query",
		Err: &types.ProvisionedThroughputExceededException{}})
	r := Problem(throttled, "/v1/benefits", "req-1")
	if r.StatusCode != 503 || r.Headers["Retry-After"] == "" || !strings.Contains(r.Body, `"code":"service_unavailable"`) {
		t.Errorf("throttled: %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
	r = Problem(errors.New("boom"), "/v1/benefits", "req-2")
	if r.StatusCode != 500 || r.Headers["Retry-After"] != "" || strings.Contains(r.Body, "boom") {
		t.Errorf("bug: %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
}
