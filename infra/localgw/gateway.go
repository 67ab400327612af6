package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/pbs/benefits/api"
	"github.com/pbs/benefits/shared/access"
	sapi "github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/routes"
)

// job is a scheduled function the gateway can run by hand at the service
// clock; params are the request's query (e.g. period=2026-11).
type job func(ctx context.Context, now time.Time, params url.Values) (any, error)

// gateway plays API Gateway (HTTP API, JWT authorizer, Lambda proxy
// integration, payload 2.0) in front of the same handlers the Lambdas run,
// plus the local-only /_local routes (docs/api-walkthrough.md).
type gateway struct {
	matcher  *matcher
	handlers map[string]sapi.LambdaHandler // by function name
	tokens   *tokens
	clock    *clock.Settable
	jobs     map[string]job
	log      *slog.Logger
	// console, when built, is served at every GET outside /v1/ and /_local/.
	console *consoleSite
}

func newGateway(svc *sapi.Service, clk *clock.Settable, tok *tokens, jobs map[string]job, log *slog.Logger) (*gateway, error) {
	g := &gateway{matcher: newMatcher(routes.All), handlers: map[string]sapi.LambdaHandler{}, tokens: tok, clock: clk, jobs: jobs, log: log}
	for _, fn := range routes.Functions() {
		h, err := svc.Handler(fn)
		if err != nil {
			return nil, err
		}
		g.handlers[fn] = h
	}
	return g, nil
}

// maxPayload is the HTTP API request payload limit.
const maxPayload = 10 << 20

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_local/") {
		g.serveLocal(w, r)
		return
	}
	if g.console != nil && !strings.HasPrefix(r.URL.Path, "/v1/") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		g.console.ServeHTTP(w, r)
		return
	}
	rt, params, ok := g.matcher.match(r.Method, r.URL.Path)
	if !ok {
		gatewayMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.ContentLength > maxPayload {
		gatewayMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	var claims map[string]string
	if rt.Access != routes.Public {
		// Like the JWT authorizer: a bad token never reaches the function.
		c, ok := g.tokens.verify(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer`)
			gatewayMessage(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		claims = c
	}
	reqID := randomID()
	ev, err := buildEvent(r, rt, params, claims, reqID, time.Now())
	if err != nil {
		gatewayMessage(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(ev.Body) > maxPayload*4/3+4 {
		gatewayMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{
		AwsRequestID:       randomID(),
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:" + rt.Function,
	})
	resp, err := g.handlers[rt.Function](ctx, ev)
	if err != nil {
		// What API Gateway answers when the integration itself fails.
		g.log.Error("function error", "function", rt.Function, "error", err.Error())
		gatewayMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeResponse(w, resp)
}

// gatewayMessage answers the way API Gateway does before a function runs.
func gatewayMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func (g *gateway) serveLocal(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/_local")
	switch {
	case path == "/token" && r.Method == http.MethodPost:
		g.issueToken(w, r)
	case path == "/clock" && r.Method == http.MethodPost:
		g.setClock(w, r)
	case path == "/clock" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"now": g.clock.Now().Format(time.RFC3339Nano)})
	case strings.HasPrefix(path, "/jobs/") && r.Method == http.MethodPost:
		g.runJob(w, r, strings.TrimPrefix(path, "/jobs/"))
	case path == "/.well-known/jwks.json" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, g.tokens.jwks())
	case path == "/openapi.yaml" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(api.OpenAPI)
	default:
		localProblem(w, r, httpapi.ErrRouteNotFound)
	}
}

func (g *gateway) issueToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PartnerID string   `json:"partnerId"`
		UserID    string   `json:"userId"`
		Roles     []string `json:"roles"`
	}
	if err := decodeLocal(r, &in); err != nil {
		localProblem(w, r, err)
		return
	}
	var f apperr.Fields
	if strings.TrimSpace(in.UserID) == "" {
		f.Add("userId", apperr.Required, "required")
	}
	operator := false
	for _, role := range in.Roles {
		operator = operator || role == string(access.ProgramOperator)
	}
	if in.PartnerID == "" && !operator {
		f.Add("partnerId", apperr.Required, "required unless roles include program-operator")
	}
	if err := f.Err(); err != nil {
		localProblem(w, r, err)
		return
	}
	if in.Roles == nil {
		in.Roles = []string{}
	}
	tok, exp, err := g.tokens.issue(in.PartnerID, in.UserID, in.Roles)
	if err != nil {
		localProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expiresAt": exp.UTC().Format(time.RFC3339)})
}

func (g *gateway) setClock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Now string `json:"now"`
	}
	if err := decodeLocal(r, &in); err != nil {
		localProblem(w, r, err)
		return
	}
	if in.Now == "" {
		g.clock.Reset()
	} else {
		t, err := time.Parse(time.RFC3339, in.Now)
		if err != nil {
			var f apperr.Fields
			f.Add("now", apperr.Format, "must be an RFC 3339 time such as 2027-01-01T00:00:00Z")
			localProblem(w, r, f.Err())
			return
		}
		g.clock.Set(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": g.clock.Now().Format(time.RFC3339Nano)})
}

func (g *gateway) runJob(w http.ResponseWriter, r *http.Request, name string) {
	j, ok := g.jobs[name]
	if !ok {
		known := make([]string, 0, len(g.jobs))
		for k := range g.jobs {
			known = append(known, k)
		}
		sort.Strings(known)
		localProblem(w, r, apperr.New(apperr.NotFound, "job_not_found", fmt.Sprintf("No job %q here; jobs: %v.", name, known)))
		return
	}
	summary, err := j(r.Context(), g.clock.Now(), r.URL.Query())
	if err != nil {
		g.log.Error("job failed", "job", name, "error", err.Error())
		localProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, summary)
}

func decodeLocal(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.New(apperr.Invalid, "malformed_json", "The body is not valid JSON for this route: "+err.Error())
	}
	return nil
}

func localProblem(w http.ResponseWriter, r *http.Request, err error) {
	writeResponse(w, httpapi.Problem(err, r.URL.Path, ""))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// randomID looks like API Gateway's request ids.
func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
