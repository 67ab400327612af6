// Package api holds the HTTP handlers, one file per function's routes. A
// Lambda's main builds a Service once at cold start and starts
// Service.Handler(name); the local gateway calls the same Handler in process.
package api

import (
	"context"
	"fmt"
	"log/slog"
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
// serving exactly that function's routes from the route table.
func (s *Service) Handler(function string) (LambdaHandler, error) {
	rs := routes.ForFunction(function)
	if len(rs) == 0 {
		return nil, fmt.Errorf("api: no routes for function %q", function)
	}
	rt, err := httpapi.NewRouter(rs, s.endpoints(), s.Store, s.Clock, s.Log)
	if err != nil {
		return nil, err
	}
	return rt.Handle, nil
}

// endpoints maps every route key to its handler.
func (s *Service) endpoints() map[string]httpapi.Endpoint {
	h := func(fn httpapi.Handler) httpapi.Endpoint { return httpapi.Endpoint{Handle: fn} }
	return map[string]httpapi.Endpoint{
		"GET /v1/benefits":                                          h(s.getBenefits),
		"GET /v1/catalog/packages":                                  h(s.listPackages),
		"POST /v1/purchases":                                        h(s.createPurchase),
		"GET /v1/purchases/{id}":                                    h(s.getPurchase),
		"POST /v1/purchases/{id}/cancel":                            h(s.requestCancel),
		"GET /v1/admin/service-requests":                            h(s.listServiceRequests),
		"POST /v1/admin/service-requests/{id}/resolve":              h(s.resolveServiceRequest),
		"GET /v1/users":                                             h(s.listUsers),
		"POST /v1/users":                                            h(s.createUser),
		"POST /v1/software/{benefitId}/key":                         h(s.getKey),
		"GET /v1/software/{benefitId}/downloads":                    h(s.getDownloads),
		"GET /v1/software/signing-key":                              h(s.getSigningKey),
		"POST /v1/credits/{benefitId}/users":                        h(s.assignCreditUser),
		"DELETE /v1/credits/{benefitId}/users/{userId}":             h(s.removeCreditUser),
		"POST /v1/credits/{benefitId}/transfer":                     h(s.transferCredit),
		"GET /v1/credits/{benefitId}/ledger":                        h(s.getLedger),
		"GET /v1/licenses/{benefitId}":                              h(s.getLicense),
		"POST /v1/licenses/{benefitId}/redeem":                      h(s.redeemLicense),
		"POST /v1/visual-studio/{benefitId}/assignments":            h(s.assignVisualStudio),
		"POST /v1/visual-studio/{benefitId}/assignments:bulk":       h(s.bulkAssignVisualStudio),
		"DELETE /v1/visual-studio/{benefitId}/assignments/{userId}": h(s.removeVisualStudio),
		"GET /v1/visual-studio/{benefitId}/assignments":             h(s.listVisualStudio),
		"GET /v1/audit":                                             h(s.getAudit),
		"POST /v1/support/activate":                                 h(s.activateSupport),
		"GET /v1/support":                                           h(s.getSupport),
		"POST /v1/support/incidents":                                h(s.openIncident),
		"POST /v1/advisory/requests":                                h(s.requestAdvisory),
		"GET /v1/advisory/requests":                                 h(s.listAdvisory),
		"PUT /v1/gtm/marketing-contact":                             h(s.putContact),
		"GET /v1/gtm/marketing-contact":                             h(s.getContact),
		"POST /v1/gtm/offers/{benefitId}/activate":                  h(s.activateOffer),
		"GET /v1/gtm/confirm":                                       h(s.confirmPage),
		"POST /v1/gtm/confirm":                                      h(s.confirmOffer),
		"POST /v1/admin/partners":                                   h(s.createPartner),
		"GET /v1/admin/catalog":                                     h(s.getCatalog),
		"POST /v1/admin/catalog":                                    {Handle: s.publishCatalog, BodyLimit: maxCatalogBytes},
		"POST /v1/admin/key-pools/{product}":                        {Handle: s.importKeys, BodyLimit: maxKeyImportBytes},
	}
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
