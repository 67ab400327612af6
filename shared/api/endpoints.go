package api

import "github.com/pbs/benefits/shared/httpapi"

// Endpoints is one function's endpoint table: the handler of each of its
// route keys, bound to a Service. shared/routes stays the one route table;
// these say which handler serves each route. Each function's main passes its
// own table to boot.HTTP, so its binary links only its own handlers (and
// what they use); AllEndpoints holds every table for the local gateway and
// the tests, and a function's table holding a route that is not its own, or
// missing one, fails at cold start.
type Endpoints func(s *Service) map[string]httpapi.Endpoint

// AllEndpoints is every HTTP function's table, by function name. Whatever
// calls it links every handler: a Lambda's main passes its own table instead.
func AllEndpoints() map[string]Endpoints {
	return map[string]Endpoints{
		"benefits":       BenefitsEndpoints,
		"purchases":      PurchasesEndpoints,
		"request-cancel": RequestCancelEndpoints,
		"users":          UsersEndpoints,
		"get-key":        GetKeyEndpoints,
		"assign-user":    AssignUserEndpoints,
		"activate-gtm":   ActivateGTMEndpoints,
		"admin":          AdminEndpoints,
	}
}

func endpoint(fn httpapi.Handler) httpapi.Endpoint { return httpapi.Endpoint{Handle: fn} }

// BenefitsEndpoints is the table of functions/benefits.
func BenefitsEndpoints(s *Service) map[string]httpapi.Endpoint {
	return map[string]httpapi.Endpoint{
		"GET /v1/benefits":                              endpoint(s.getBenefits),
		"GET /v1/catalog/packages":                      endpoint(s.listPackages),
		"GET /v1/credits/{benefitId}/ledger":            endpoint(s.getLedger),
		"GET /v1/visual-studio/{benefitId}/assignments": endpoint(s.listVisualStudio),
		"GET /v1/audit":                                 endpoint(s.getAudit),
		"POST /v1/support/activate":                     endpoint(s.activateSupport),
		"GET /v1/support":                               endpoint(s.getSupport),
		"POST /v1/support/incidents":                    endpoint(s.openIncident),
		"POST /v1/advisory/requests":                    endpoint(s.requestAdvisory),
		"GET /v1/advisory/requests":                     endpoint(s.listAdvisory),
	}
}

// PurchasesEndpoints is the table of functions/purchases.
func PurchasesEndpoints(s *Service) map[string]httpapi.Endpoint {
	return map[string]httpapi.Endpoint{
		"POST /v1/purchases":     endpoint(s.createPurchase),
		"GET /v1/purchases/{id}": endpoint(s.getPurchase),
	}
}

// RequestCancelEndpoints is the table of functions/request-cancel.
func RequestCancelEndpoints(s *Service) map[string]httpapi.Endpoint {
	return map[string]httpapi.Endpoint{
		"POST /v1/purchases/{id}/cancel": endpoint(s.requestCancel),
	}
}

// UsersEndpoints is the table of functions/users.
func UsersEndpoints(s *Service) map[string]httpapi.Endpoint {
	return map[string]httpapi.Endpoint{
		"GET /v1/users":  endpoint(s.listUsers),
		"POST /v1/users": endpoint(s.createUser),
	}
}

// GetKeyEndpoints is the table of functions/get-key.
func GetKeyEndpoints(s *Service) map[string]httpapi.Endpoint {
	return map[string]httpapi.Endpoint{
		"POST /v1/software/{benefitId}/key":      endpoint(s.getKey),
		"GET /v1/software/{benefitId}/downloads": endpoint(s.getDownloads),
		"GET /v1/software/signing-key":           endpoint(s.getSigningKey),
		"GET /v1/licenses/{benefitId}":           endpoint(s.getLicense),
		"POST /v1/licenses/{benefitId}/redeem":   endpoint(s.redeemLicense),
	}
}

// AssignUserEndpoints is the table of functions/assign-user.
func AssignUserEndpoints(s *Service) map[string]httpapi.Endpoint {
	return map[string]httpapi.Endpoint{
		"POST /v1/credits/{benefitId}/users":                        endpoint(s.assignCreditUser),
		"DELETE /v1/credits/{benefitId}/users/{userId}":             endpoint(s.removeCreditUser),
		"POST /v1/credits/{benefitId}/transfer":                     endpoint(s.transferCredit),
		"POST /v1/visual-studio/{benefitId}/assignments":            endpoint(s.assignVisualStudio),
		"POST /v1/visual-studio/{benefitId}/assignments:bulk":       endpoint(s.bulkAssignVisualStudio),
		"DELETE /v1/visual-studio/{benefitId}/assignments/{userId}": endpoint(s.removeVisualStudio),
	}
}

// ActivateGTMEndpoints is the table of functions/activate-gtm.
func ActivateGTMEndpoints(s *Service) map[string]httpapi.Endpoint {
	return map[string]httpapi.Endpoint{
		"PUT /v1/gtm/marketing-contact":            endpoint(s.putContact),
		"GET /v1/gtm/marketing-contact":            endpoint(s.getContact),
		"POST /v1/gtm/offers/{benefitId}/activate": endpoint(s.activateOffer),
		"GET /v1/gtm/confirm":                      endpoint(s.confirmPage),
		"POST /v1/gtm/confirm":                     endpoint(s.confirmOffer),
	}
}

// AdminEndpoints is the table of functions/admin.
func AdminEndpoints(s *Service) map[string]httpapi.Endpoint {
	return map[string]httpapi.Endpoint{
		"POST /v1/admin/partners":                      endpoint(s.createPartner),
		"GET /v1/admin/catalog":                        endpoint(s.getCatalog),
		"POST /v1/admin/catalog":                       {Handle: s.publishCatalog, BodyLimit: maxCatalogBytes},
		"POST /v1/admin/key-pools/{product}":           {Handle: s.importKeys, BodyLimit: maxKeyImportBytes},
		"GET /v1/admin/service-requests":               endpoint(s.listServiceRequests),
		"POST /v1/admin/service-requests/{id}/resolve": endpoint(s.resolveServiceRequest),
	}
}
