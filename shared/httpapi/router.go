package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/store"
)

// Handler serves one route. Returned errors become problem+json responses.
type Handler func(ctx context.Context, r *Request) (Response, error)

// WithBody is a handler that takes the request's JSON body, decoded
// strictly (Request.Decode) after the router's checks.
func WithBody[T any](h func(ctx context.Context, r *Request, in T) (Response, error)) Handler {
	return func(ctx context.Context, r *Request) (Response, error) {
		var in T
		if err := r.Decode(&in); err != nil {
			return Response{}, err
		}
		return h(ctx, r, in)
	}
}

// Endpoint is a route's handler and its options.
type Endpoint struct {
	Handle    Handler
	BodyLimit int64 // 0 = DefaultBodyLimit
}

// IdempotencyStore keeps Idempotency-Key records (implemented by store.Store).
type IdempotencyStore interface {
	// ClaimIdempotency returns nil when the caller owns the key, else the existing record.
	ClaimIdempotency(ctx context.Context, scope, key, hash string, now time.Time, lock, keep time.Duration) (*store.IdempotencyRecord, error)
	CompleteIdempotency(ctx context.Context, scope, key, hash string, status int, headers map[string]string, body string) error
	ReleaseIdempotency(ctx context.Context, scope, key, hash string) error
	// RecordIdempotency stores the reply of a request that committed
	// nothing; it returns nil when stored, else the record holding the key.
	RecordIdempotency(ctx context.Context, scope, key, hash string, now time.Time, keep time.Duration, status int, headers map[string]string, body string) (*store.IdempotencyRecord, error)
}

// Idempotency timings: the lock outlives any Lambda run (timeout 10 s), so a
// running request is never taken over; records are kept a day.
const (
	idemLock = 60 * time.Second
	idemKeep = 24 * time.Hour
)

// Errors of the shared request pipeline.
var (
	ErrRouteNotFound  = apperr.New(apperr.NotFound, "route_not_found", "No such route.")
	ErrKeyReused      = apperr.New(apperr.Unprocessable, "idempotency_key_reused", "This Idempotency-Key was used with a different request.")
	ErrKeyInProgress  = apperr.New(apperr.Conflict, "idempotency_in_progress", "A request with this Idempotency-Key is still running; retry shortly.").With(apperr.RetryAfter, 1)
	errBadIdempotency = &apperr.Error{Kind: apperr.Invalid, Code: "validation_failed", Message: "The request has invalid fields.",
		Fields: []apperr.FieldError{{Field: "Idempotency-Key", Code: apperr.Format, Message: "1 to 255 printable ASCII characters"}}}
)

type route struct {
	routes.Route
	Endpoint
	ids []string // path parameters that name an id (see routes.Route)
}

// Router dispatches API Gateway events by their routeKey.
type Router struct {
	routes map[string]route
	idem   IdempotencyStore
	clock  clock.Clock
	log    *slog.Logger
}

// NewRouter binds each route to its endpoint by the route's ID; a route
// without one, or a partner route without the action it needs, is a wiring
// bug and fails at cold start rather than at request time.
func NewRouter(rs []routes.Route, endpoints map[routes.ID]Endpoint, idem IdempotencyStore, clk clock.Clock, log *slog.Logger) (*Router, error) {
	rt := &Router{routes: map[string]route{}, idem: idem, clock: clk, log: log}
	for _, r := range rs {
		ep, ok := endpoints[r.ID]
		if !ok || ep.Handle == nil {
			return nil, fmt.Errorf("httpapi: no handler for %s (%s)", r.Key(), r.ID)
		}
		if (r.Access == routes.Partner) != (r.Action != "") {
			return nil, fmt.Errorf("httpapi: %s is a %s route with action %q: partner routes, and only they, name one", r.Key(), r.Access, r.Action)
		}
		rt.routes[r.Key()] = route{r, ep, idParams(r.Path)}
	}
	return rt, nil
}

// idParams returns the path's parameters that name an id: id, or a name
// ending in Id.
func idParams(path string) []string {
	var ids []string
	for rest := path; ; {
		_, after, ok := strings.Cut(rest, "{")
		if !ok {
			return ids
		}
		name, tail, _ := strings.Cut(after, "}")
		if name == "id" || strings.HasSuffix(name, "Id") {
			ids = append(ids, name)
		}
		rest = tail
	}
}

// Handle is the Lambda handler: it never returns an error, so API Gateway
// always gets a problem+json body rather than its own 500.
func (rt *Router) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := time.Now()
	reqID := ev.RequestContext.RequestID
	if lc, ok := lambdacontext.FromContext(ctx); ok && reqID == "" {
		reqID = lc.AwsRequestID
	}
	resp, caller, err := rt.serve(ctx, ev, reqID)
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	resp.Headers["X-Request-Id"] = reqID
	attrs := []any{"apiRequestId", reqID, "route", ev.RouteKey, "status", resp.StatusCode,
		"durationMs", time.Since(start).Milliseconds(), "partnerId", caller.PartnerID, "userId", caller.UserID}
	if resp.StatusCode >= 500 {
		rt.log.ErrorContext(ctx, "request failed", append(attrs, "error", fmt.Sprint(err))...)
	} else {
		rt.log.InfoContext(ctx, "request", attrs...)
	}
	return resp, nil
}

func (rt *Router) serve(ctx context.Context, ev events.APIGatewayV2HTTPRequest, reqID string) (resp Response, caller callerInfo, err error) {
	instance := ev.RawPath
	r, ok := rt.routes[ev.RouteKey]
	if !ok {
		return Problem(ErrRouteNotFound, instance, reqID), caller, nil
	}
	c, authed := callerFrom(ev)
	caller = callerInfo{PartnerID: c.PartnerID, UserID: c.UserID}
	if r.Access != routes.Public {
		if !authed {
			return Problem(apperr.ErrUnauthorized, instance, reqID), caller, nil
		}
		if !mayCall(r.Access, c) {
			return Problem(apperr.ErrForbiddenRole, instance, reqID), caller, nil
		}
	}
	req := &Request{Event: ev, Caller: c, RequestID: reqID, bodyLimit: r.BodyLimit}
	// A public route has no caller to scope a key to; its POST (confirming
	// with a single-use token) is idempotent by the token itself.
	if key := req.Header("Idempotency-Key"); key != "" && r.Method == http.MethodPost && r.Access != routes.Public {
		resp, err = rt.idempotent(ctx, req, r, key)
	} else {
		resp, err = rt.call(ctx, req, r)
	}
	return resp, caller, err
}

type callerInfo struct{ PartnerID, UserID string }

// mayCall says whether a verified caller fits the route's kind of token.
func mayCall(a routes.Access, c access.Caller) bool {
	switch a {
	case routes.Partner:
		return c.IsPartnerUser()
	case routes.Operator:
		return c.IsOperator()
	case routes.Any:
		return c.IsPartnerUser() || c.IsOperator()
	}
	return false
}

// call runs the handler, turning errors and panics into problem responses.
func (rt *Router) call(ctx context.Context, req *Request, r route) (resp Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			resp = Problem(err, req.Event.RawPath, req.RequestID)
		}
	}()
	if err = r.admit(req); err == nil {
		resp, err = r.Handle(ctx, req)
	}
	if err != nil {
		return Problem(err, req.Event.RawPath, req.RequestID), err
	}
	return resp, nil
}

// idempotent runs a POST at most once per (caller, key): the first request
// claims the key with a conditional put (or, on a route that claims in its
// commit, in that transaction: claimInCommit), its response is stored, and a retry
// with the same body replays it. A different body is 422; a duplicate that
// arrives while the first still runs gets 409 and Retry-After.
func (rt *Router) idempotent(ctx context.Context, req *Request, r route, key string) (Response, error) {
	if !validIdempotencyKey(key) {
		return Problem(errBadIdempotency, req.Event.RawPath, req.RequestID), nil
	}
	body, err := req.Body()
	if err != nil {
		return Problem(err, req.Event.RawPath, req.RequestID), nil
	}
	sum := sha256.New()
	// The request is its method, path, query, media type and body: a retry
	// must match all of them to be replayed.
	fmt.Fprintf(sum, "%s %s?%s\n%s\n", r.Method, req.Event.RawPath, req.Event.RawQueryString, req.MediaType())
	sum.Write(body)
	hash := hex.EncodeToString(sum.Sum(nil))
	scope := "partner/" + req.Caller.PartnerID + "/" + req.Caller.UserID
	if req.Caller.PartnerID == "" {
		scope = "operator/" + req.Caller.UserID
	}
	if r.ClaimsInCommit() {
		return rt.claimInCommit(ctx, req, r, scope, key, hash)
	}
	existing, err := rt.idem.ClaimIdempotency(ctx, scope, key, hash, rt.clock.Now(), idemLock, idemKeep)
	if err != nil {
		return Problem(err, req.Event.RawPath, req.RequestID), err
	}
	if existing != nil {
		return answer(existing, hash, req), nil
	}
	resp, callErr := rt.call(ctx, req, r)
	if resp.StatusCode >= 500 {
		if err := rt.idem.ReleaseIdempotency(ctx, scope, key, hash); err != nil {
			rt.log.ErrorContext(ctx, "release idempotency key", "error", err.Error())
		}
		return resp, callErr
	}
	if err := rt.idem.CompleteIdempotency(ctx, scope, key, hash, resp.StatusCode, resp.Headers, resp.Body); err != nil {
		// The work is done; a retry will get 409 until the lock lapses, then rerun.
		rt.log.ErrorContext(ctx, "store idempotent response", "error", err.Error())
	}
	return resp, callErr
}

// answer is the reply to a request whose key a record holds: a different
// request is 422, one still running 409, else the stored reply replayed.
func answer(existing *store.IdempotencyRecord, hash string, req *Request) Response {
	switch {
	case existing.RequestHash != hash:
		return Problem(ErrKeyReused, req.Event.RawPath, req.RequestID)
	case !existing.Done:
		return Problem(ErrKeyInProgress, req.Event.RawPath, req.RequestID)
	}
	headers := map[string]string{}
	for k, v := range existing.Headers {
		headers[k] = v
	}
	headers["Idempotent-Replayed"] = "true"
	return Response{StatusCode: existing.Status, Headers: headers, Body: existing.Body}
}

// claimInCommit runs a request of a route that claims its key in its
// commit transaction (routes.Route.ClaimsInCommit): no claim before the
// handler; the store writes it with the work, or finds the key held and
// writes nothing, and the record then answers. After a commit the reply
// is stored whatever its status (the work is done; running it again would
// repeat it), and a committed record is never taken over. A reply below
// 500 that committed nothing (a refusal) is stored by a conditional put,
// so it is replayed as before; a 5xx that committed nothing leaves no
// record, and the retry runs again.
func (rt *Router) claimInCommit(ctx context.Context, req *Request, r route, scope, key, hash string) (Response, error) {
	now := rt.clock.Now()
	claim := store.NewIdempotencyClaim(scope, key, hash, now, idemLock, idemKeep)
	resp, callErr := rt.call(store.WithIdempotencyClaim(ctx, claim), req, r)
	outcome, existing := claim.Outcome()
	switch {
	case outcome == store.ClaimTaken && existing == nil: // a duplicate's transaction held the key
		return Problem(ErrKeyInProgress, req.Event.RawPath, req.RequestID), nil
	case outcome == store.ClaimTaken:
		return answer(existing, hash, req), nil
	case outcome == store.ClaimWritten:
		if err := rt.idem.CompleteIdempotency(ctx, scope, key, hash, resp.StatusCode, resp.Headers, resp.Body); err != nil {
			// The work is done; a retry gets 409 until the record expires.
			rt.log.ErrorContext(ctx, "store idempotent response", "error", err.Error())
		}
		return resp, callErr
	case outcome == store.ClaimUnknown || resp.StatusCode >= 500:
		// ClaimUnknown: the commit may have happened; its record, if any,
		// is never taken over, so the request cannot run twice.
		return resp, callErr
	}
	existing, err := rt.idem.RecordIdempotency(ctx, scope, key, hash, now, idemKeep, resp.StatusCode, resp.Headers, resp.Body)
	if err != nil {
		rt.log.ErrorContext(ctx, "store idempotent response", "error", err.Error())
		return resp, callErr
	}
	if existing != nil { // another request's record holds the key: it answers
		return answer(existing, hash, req), nil
	}
	return resp, callErr
}

// admit is what every handler of the route would otherwise open with: the
// caller's row of the permission matrix (403), then the ids in the path
// (404: none this service issued could look like that). It runs after the
// Idempotency-Key is claimed, where handlers checked, so a refusal is
// stored and replayed like any other answer.
func (r route) admit(req *Request) error {
	if r.Action != "" && !req.Caller.Can(r.Action) {
		return apperr.ErrForbiddenRole
	}
	for _, name := range r.ids {
		if !ValidID(req.Path(name)) {
			return apperr.ErrNotFound
		}
	}
	return nil
}

func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}
