package api

import (
	"testing"

	"github.com/pbs/benefits/shared/routes"
)

// TestEveryRouteHasAHandler fails when a route joins the table without its
// handler (or a handler outlives its route).
func TestEveryRouteHasAHandler(t *testing.T) {
	s := &Service{}
	eps := s.endpoints()
	for _, fn := range routes.Functions() {
		if _, err := s.Handler(fn); err != nil {
			t.Errorf("function %s: %v", fn, err)
		}
	}
	for key := range eps {
		found := false
		for _, r := range routes.All {
			found = found || r.Key() == key
		}
		if !found {
			t.Errorf("handler for %s, which is not in the route table", key)
		}
	}
	if _, err := s.Handler("no-such-function"); err == nil {
		t.Error("an unknown function must fail at cold start")
	}
}
