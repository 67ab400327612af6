package api

import (
	"testing"

	"github.com/pbs/benefits/shared/routes"
)

// TestEveryRouteHasAHandler fails when a route joins the table without its
// handler in its function's endpoint table (or a handler outlives its route,
// or sits in another function's table).
func TestEveryRouteHasAHandler(t *testing.T) {
	s := &Service{}
	all := AllEndpoints()
	for _, fn := range routes.Functions() {
		if all[fn] == nil {
			t.Errorf("function %s has no endpoint table in AllEndpoints", fn)
		}
		// Handler checks both ways: every route of fn has a handler in its
		// table, and every handler of the table is a route of fn.
		if _, err := s.Handler(fn); err != nil {
			t.Errorf("function %s: %v", fn, err)
		}
	}
	for fn := range all {
		if len(routes.ForFunction(fn)) == 0 {
			t.Errorf("endpoint table for %s, which has no routes", fn)
		}
	}
	if _, err := s.Handler("no-such-function"); err == nil {
		t.Error("an unknown function must fail at cold start")
	}
	if _, err := s.HandlerWith("benefits", UsersEndpoints); err == nil {
		t.Error("another function's table must fail at cold start")
	}
	if _, err := s.HandlerWith("benefits", nil); err == nil {
		t.Error("a missing table must fail at cold start")
	}
}
