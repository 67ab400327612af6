package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/routes"
)

// TestRouterAdmitsByTheRoutesAction: the role a partner route needs is its
// Action, checked by the router before the handler runs (and before the
// path's ids and the body), exactly as each handler used to open.
func TestRouterAdmitsByTheRoutesAction(t *testing.T) {
	rs := []routes.Route{
		{ID: "assign", Method: "POST", Path: "/c/{benefitId}/users/{userId}", Function: "f", Access: routes.Partner, Action: access.AssignUsers},
		{ID: "pool", Method: "POST", Path: "/pools/{product}", Function: "f", Access: routes.Operator},
	}
	var ran []string
	type body struct {
		N int `json:"n"`
	}
	eps := map[routes.ID]Endpoint{
		"assign": {Handle: WithBody(func(_ context.Context, r *Request, in body) (Response, error) {
			ran = append(ran, r.Path("benefitId"))
			return JSON(200, in)
		})},
		"pool": {Handle: func(_ context.Context, r *Request) (Response, error) {
			ran = append(ran, r.Path("product"))
			return JSON(200, nil)
		}},
	}
	rt, err := NewRouter(rs, eps, fakeIdem{}, clock.System{}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	member := map[string]string{"sub": "u", "partner_id": "p", "roles": "[]"}
	mpn := map[string]string{"sub": "u", "partner_id": "p", "roles": "[mpn-partner-admin]"}
	admin := map[string]string{"sub": "u", "partner_id": "p", "roles": "[global-admin]"}
	operator := map[string]string{"sub": "op", "roles": "[program-operator]"}
	tests := []struct {
		name, route string
		params      map[string]string
		body        string
		claims      map[string]string
		status      int
		code        string
		handlerSeen bool
	}{
		{"member", "POST /c/{benefitId}/users/{userId}", map[string]string{"benefitId": "b1", "userId": "u1"}, `{"n":1}`, member, 403, "forbidden_role", false},
		{"role without the action", "POST /c/{benefitId}/users/{userId}", map[string]string{"benefitId": "b1", "userId": "u1"}, `{"n":1}`, mpn, 403, "forbidden_role", false},
		{"member, bad body", "POST /c/{benefitId}/users/{userId}", map[string]string{"benefitId": "b1", "userId": "u1"}, `{`, member, 403, "forbidden_role", false},
		{"member, bad id", "POST /c/{benefitId}/users/{userId}", map[string]string{"benefitId": "b/1", "userId": "u1"}, `{"n":1}`, member, 403, "forbidden_role", false},
		{"bad benefit id", "POST /c/{benefitId}/users/{userId}", map[string]string{"benefitId": "b/1", "userId": "u1"}, `{"n":1}`, admin, 404, "not_found", false},
		{"bad user id, bad body", "POST /c/{benefitId}/users/{userId}", map[string]string{"benefitId": "b1", "userId": ""}, `{`, admin, 404, "not_found", false},
		{"bad body", "POST /c/{benefitId}/users/{userId}", map[string]string{"benefitId": "b1", "userId": "u1"}, `{"n":"x"}`, admin, 400, "validation_failed", false},
		{"allowed", "POST /c/{benefitId}/users/{userId}", map[string]string{"benefitId": "b1", "userId": "u1"}, `{"n":1}`, admin, 200, "", true},
		// {product} is not an id: the handler answers for it.
		{"not an id parameter", "POST /pools/{product}", map[string]string{"product": "Not/An.Id"}, ``, operator, 200, "", true},
	}
	for _, tc := range tests {
		ran = nil
		ev := events.APIGatewayV2HTTPRequest{RouteKey: tc.route, PathParameters: tc.params, Body: tc.body,
			Headers: map[string]string{"content-type": "application/json"}}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: tc.claims}}
		resp, _ := rt.Handle(context.Background(), ev)
		var p struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal([]byte(resp.Body), &p)
		if resp.StatusCode != tc.status || p.Code != tc.code || (len(ran) > 0) != tc.handlerSeen {
			t.Errorf("%s: %d %q, handler ran %v; want %d %q, handler ran %v", tc.name, resp.StatusCode, p.Code, ran, tc.status, tc.code, tc.handlerSeen)
		}
	}
}

// TestRouterRefusesARouteWithoutItsAction: a partner route must name the
// row of the matrix it needs, and only a partner route may.
func TestRouterRefusesARouteWithoutItsAction(t *testing.T) {
	ok := Endpoint{Handle: func(context.Context, *Request) (Response, error) { return JSON(200, nil) }}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	for _, r := range []routes.Route{
		{ID: "x", Method: "GET", Path: "/x", Access: routes.Partner},
		{ID: "x", Method: "GET", Path: "/x", Access: routes.Operator, Action: access.ViewBenefits},
		{ID: "x", Method: "GET", Path: "/x", Access: routes.Public, Action: access.ViewBenefits},
	} {
		if _, err := NewRouter([]routes.Route{r}, map[routes.ID]Endpoint{"x": ok}, fakeIdem{}, clock.System{}, log); err == nil {
			t.Errorf("a %s route with action %q must fail at cold start", r.Access, r.Action)
		}
	}
}
