package api

import (
	"context"

	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/routes"
)

// Endpoints is one function's endpoint table: the handler of each of its
// routes, by the route's ID, bound to a Service. shared/routes stays the one
// route table (method, path, access, the action a route needs); these say
// which handler serves each route. Each function's main passes its own table
// to boot.HTTP, so its binary links only its own handlers (and what they
// use); AllEndpoints holds every table for the local gateway and the tests,
// and a function's table holding a route that is not its own, or missing
// one, fails at cold start.
type Endpoints func(s *Service) map[routes.ID]httpapi.Endpoint

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

// decoded is the endpoint of a handler that takes its JSON body decoded.
func decoded[T any](fn func(context.Context, *httpapi.Request, T) (httpapi.Response, error)) httpapi.Endpoint {
	return endpoint(httpapi.WithBody(fn))
}

// BenefitsEndpoints is the table of functions/benefits.
func BenefitsEndpoints(s *Service) map[routes.ID]httpapi.Endpoint {
	return map[routes.ID]httpapi.Endpoint{
		routes.GetBenefits:                 endpoint(s.getBenefits),
		routes.ListCatalogPackages:         endpoint(s.listPackages),
		routes.GetCreditLedger:             endpoint(s.getLedger),
		routes.ListVisualStudioAssignments: endpoint(s.listVisualStudio),
		routes.GetAudit:                    endpoint(s.getAudit),
		routes.ActivateSupport:             endpoint(s.activateSupport),
		routes.GetSupport:                  endpoint(s.getSupport),
		routes.OpenSupportIncident:         decoded(s.openIncident),
		routes.RequestAdvisoryHours:        decoded(s.requestAdvisory),
		routes.ListAdvisoryRequests:        endpoint(s.listAdvisory),
		routes.ListSupportIncidents:        endpoint(s.listIncidents),
	}
}

// PurchasesEndpoints is the table of functions/purchases.
func PurchasesEndpoints(s *Service) map[routes.ID]httpapi.Endpoint {
	return map[routes.ID]httpapi.Endpoint{
		routes.CreatePurchase: decoded(s.createPurchase),
		routes.GetPurchase:    endpoint(s.getPurchase),
	}
}

// RequestCancelEndpoints is the table of functions/request-cancel.
func RequestCancelEndpoints(s *Service) map[routes.ID]httpapi.Endpoint {
	return map[routes.ID]httpapi.Endpoint{
		routes.CancelPurchase: decoded(s.requestCancel),
	}
}

// UsersEndpoints is the table of functions/users.
func UsersEndpoints(s *Service) map[routes.ID]httpapi.Endpoint {
	return map[routes.ID]httpapi.Endpoint{
		routes.ListUsers:  endpoint(s.listUsers),
		routes.CreateUser: decoded(s.createUser),

		routes.RequestGlobalAdmin:        decoded(s.requestGlobalAdmin),
		routes.ListGlobalAdminRequests:   endpoint(s.listGlobalAdminRequests),
		routes.ApproveGlobalAdminRequest: endpoint(s.decideGlobalAdminRequest(true)),
		routes.DeclineGlobalAdminRequest: endpoint(s.decideGlobalAdminRequest(false)),
		routes.GetUser:                   endpoint(s.getUser),
		routes.UpdateUser:                decoded(s.updateUser),
		routes.RemoveUser:                endpoint(s.removeUser),
	}
}

// GetKeyEndpoints is the table of functions/get-key.
func GetKeyEndpoints(s *Service) map[routes.ID]httpapi.Endpoint {
	return map[routes.ID]httpapi.Endpoint{
		routes.GetSoftwareKey:       endpoint(s.getKey),
		routes.GetSoftwareDownloads: endpoint(s.getDownloads),
		routes.GetSigningKey:        endpoint(s.getSigningKey),
		routes.GetLicense:           endpoint(s.getLicense),
		routes.RedeemLicense:        decoded(s.redeemLicense),
	}
}

// AssignUserEndpoints is the table of functions/assign-user.
func AssignUserEndpoints(s *Service) map[routes.ID]httpapi.Endpoint {
	return map[routes.ID]httpapi.Endpoint{
		routes.AssignCreditUser:       decoded(s.assignCreditUser),
		routes.RemoveCreditUser:       endpoint(s.removeCreditUser),
		routes.TransferCredit:         decoded(s.transferCredit),
		routes.AssignVisualStudio:     decoded(s.assignVisualStudio),
		routes.BulkAssignVisualStudio: endpoint(s.bulkAssignVisualStudio),
		routes.RemoveVisualStudio:     endpoint(s.removeVisualStudio),
	}
}

// ActivateGTMEndpoints is the table of functions/activate-gtm.
func ActivateGTMEndpoints(s *Service) map[routes.ID]httpapi.Endpoint {
	return map[routes.ID]httpapi.Endpoint{
		routes.SetMarketingContact: decoded(s.putContact),
		routes.GetMarketingContact: endpoint(s.getContact),
		routes.ActivateGtmOffer:    endpoint(s.activateOffer),
		routes.GetGtmConfirmPage:   endpoint(s.confirmPage),
		routes.ConfirmGtmOffer:     endpoint(s.confirmOffer),
	}
}

// AdminEndpoints is the table of functions/admin.
func AdminEndpoints(s *Service) map[routes.ID]httpapi.Endpoint {
	return map[routes.ID]httpapi.Endpoint{
		routes.CreatePartner:         decoded(s.createPartner),
		routes.GetCatalog:            endpoint(s.getCatalog),
		routes.PublishCatalog:        {Handle: httpapi.WithBody(s.publishCatalog), BodyLimit: maxCatalogBytes},
		routes.ImportKeys:            {Handle: s.importKeys, BodyLimit: maxKeyImportBytes},
		routes.ListServiceRequests:   endpoint(s.listServiceRequests),
		routes.ResolveServiceRequest: decoded(s.resolveServiceRequest),

		routes.ListOperatorAdminRequests: endpoint(s.listOperatorAdminRequests),
		routes.OperatorApproveAdminReq:   endpoint(s.operatorDecideAdminRequest(true)),
		routes.OperatorDeclineAdminReq:   endpoint(s.operatorDecideAdminRequest(false)),
	}
}
