// Package api holds the HTTP handlers, one file per function's routes, and
// each function's endpoint table (endpoints.go). A Lambda's main builds a
// Service once at cold start and starts Service.HandlerWith(name, its table)
// (boot.HTTP); the local gateway calls Service.Handler, which has them all,
// in process.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/store"
)

// Service holds what every handler needs; all of it is built at cold start.
type Service struct {
	Store *store.Store
	Clock clock.Clock
	NewID ids.Generator
	Log   *slog.Logger
	// CatalogTTL is how long a warm function reuses the catalogue it read; a
	// publish is seen by every function within it (0 = read every time).
	CatalogTTL time.Duration
	// Signer makes signed licence keys; nil where no signing key is set up.
	Signer *Signer
	// KeyPoolLowWater is the free-key count under which the operator is warned.
	KeyPoolLowWater int64
	// PublicURL is the API's public base URL (no trailing slash), which
	// emailed links point at.
	PublicURL string

	mu        sync.Mutex
	cat       *catalog.Catalog
	catReadAt time.Time
}

// LambdaHandler is what lambda.Start receives: typed payload 2.0 events.
type LambdaHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Handler returns the handler of one function (a folder under functions/),
// serving exactly that function's routes from the route table. It links
// every function's handlers (AllEndpoints), as the local gateway needs; a
// Lambda's main passes its own table to HandlerWith through boot.HTTP.
func (s *Service) Handler(function string) (LambdaHandler, error) {
	return s.HandlerWith(function, AllEndpoints()[function])
}

// HandlerWith returns the handler of one function, serving exactly that
// function's routes from the route table with the handlers of its endpoint
// table. A route without a handler, or a handler for a route that is not the
// function's, is an error.
func (s *Service) HandlerWith(function string, endpoints Endpoints) (LambdaHandler, error) {
	rs := routes.ForFunction(function)
	if len(rs) == 0 {
		return nil, fmt.Errorf("api: no routes for function %q", function)
	}
	if endpoints == nil {
		return nil, fmt.Errorf("api: no endpoint table for function %q", function)
	}
	eps := endpoints(s)
	for id := range eps {
		if !slices.ContainsFunc(rs, func(r routes.Route) bool { return r.ID == id }) {
			return nil, fmt.Errorf("api: function %s has a handler for %s, which is not one of its routes", function, id)
		}
	}
	rt, err := httpapi.NewRouter(rs, eps, s.Store, s.Clock, s.Log)
	if err != nil {
		return nil, err
	}
	return rt.Handle, nil
}

// catalog returns the current catalogue, cached for CatalogTTL.
func (s *Service) catalog(ctx context.Context) (*catalog.Catalog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.cat != nil && now.Sub(s.catReadAt) < s.CatalogTTL {
		return s.cat, nil
	}
	c, _, err := s.Store.CurrentCatalog(ctx)
	if err != nil {
		return nil, err
	}
	s.cat, s.catReadAt = c, now
	return c, nil
}

// forgetCatalog drops the cache after a publish in this process.
func (s *Service) forgetCatalog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cat = nil
}
