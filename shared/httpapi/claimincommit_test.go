package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/store"
)

// idemCalls records which idempotency calls the router made; a recorded
// reply, when set, is the record RecordIdempotency finds holding the key.
type idemCalls struct {
	calls []string
	held  *store.IdempotencyRecord
}

func (f *idemCalls) ClaimIdempotency(context.Context, string, string, string, time.Time, time.Duration, time.Duration) (*store.IdempotencyRecord, error) {
	f.calls = append(f.calls, "claim")
	return nil, nil
}
func (f *idemCalls) CompleteIdempotency(context.Context, string, string, string, int, map[string]string, string) error {
	f.calls = append(f.calls, "complete")
	return nil
}
func (f *idemCalls) ReleaseIdempotency(context.Context, string, string, string) error {
	f.calls = append(f.calls, "release")
	return nil
}
func (f *idemCalls) RecordIdempotency(context.Context, string, string, string, time.Time, time.Duration, int, map[string]string, string) (*store.IdempotencyRecord, error) {
	f.calls = append(f.calls, "record")
	return f.held, nil
}

// TestClaimInCommitWithoutACommit: on a route that claims its key in its
// commit, a request whose handler never committed (its claim untouched)
// is not claimed first; a reply below 500 is then recorded (and a record
// already holding the key answers instead), and a 5xx leaves nothing to
// release. The commit's own outcomes are checked end to end in
// infra/localgw (idemcommit_test.go).
func TestClaimInCommitWithoutACommit(t *testing.T) {
	var reply func() (Response, error)
	rs := []routes.Route{{ID: routes.CreatePurchase, Method: "POST", Path: "/buy", Function: "f", Access: routes.Partner, Action: access.BuyPackage},
		{ID: "classic", Method: "POST", Path: "/classic", Function: "f", Access: routes.Partner, Action: access.BuyPackage}}
	if !rs[0].ClaimsInCommit() || rs[1].ClaimsInCommit() {
		t.Fatal("CreatePurchase should claim in its commit")
	}
	h := Endpoint{Handle: func(context.Context, *Request) (Response, error) { return reply() }}
	eps := map[routes.ID]Endpoint{routes.CreatePurchase: h, "classic": h}
	for _, tc := range []struct {
		name, route string
		reply       func() (Response, error)
		held        *store.IdempotencyRecord
		status      int
		calls       []string
	}{
		{"created, no commit", "POST /buy", func() (Response, error) { return JSON(201, nil) }, nil, 201, []string{"record"}},
		{"refused", "POST /buy", func() (Response, error) { return Response{}, apperr.ErrNotFound }, nil, 404, []string{"record"}},
		{"refused, key held", "POST /buy", func() (Response, error) { return Response{}, apperr.ErrNotFound },
			&store.IdempotencyRecord{RequestHash: "other"}, 422, []string{"record"}},
		{"failed", "POST /buy", func() (Response, error) { return Response{}, errors.New("boom") }, nil, 500, nil},
		{"classic, failed", "POST /classic", func() (Response, error) { return Response{}, errors.New("boom") }, nil, 500, []string{"claim", "release"}},
		{"classic, created", "POST /classic", func() (Response, error) { return JSON(201, nil) }, nil, 201, []string{"claim", "complete"}},
	} {
		idem := &idemCalls{held: tc.held}
		rt, err := NewRouter(rs, eps, idem, clock.System{}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		reply = tc.reply
		ev := events.APIGatewayV2HTTPRequest{RouteKey: tc.route, Body: `{}`,
			Headers: map[string]string{"content-type": "application/json", "idempotency-key": "k"}}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "u", "partner_id": "p", "roles": "[global-admin]"}}}
		resp, _ := rt.Handle(context.Background(), ev)
		if resp.StatusCode != tc.status || !slices.Equal(idem.calls, tc.calls) {
			t.Errorf("%s: %d, calls %v; want %d, %v", tc.name, resp.StatusCode, idem.calls, tc.status, tc.calls)
		}
	}
}
