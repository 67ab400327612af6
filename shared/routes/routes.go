// Package routes is the one route table of the HTTP API. The CDK stack wires
// each route to its function, the local gateway serves the same list, and the
// OpenAPI document is tested against it, so the three cannot drift.
package routes

import "github.com/pbs/benefits/shared/access"

// Access says who may call a route; the CDK stack attaches the JWT authorizer
// to every route that is not Public.
type Access string

const (
	Partner  Access = "partner"  // a JWT carrying partner_id
	Operator Access = "operator" // a JWT with the program-operator role
	Any      Access = "any"      // any valid JWT, partner user or operator
	Public   Access = "public"   // no token (marketing contacts' email links)
)

// Route is one API Gateway route. Path uses API Gateway's {param} syntax, so
// Key() equals the routeKey that API Gateway puts in the event. A path
// parameter named id or ending in Id names something this service issued:
// the router answers 404 for one that could not be (httpapi.ValidID) before
// the handler runs.
type Route struct {
	ID       ID // the OpenAPI operationId; endpoint tables are keyed by it
	Method   string
	Path     string
	Function string // folder under functions/, one Lambda each
	Access   Access
	// Action is the row of the permission matrix (docs/domain.md) a Partner
	// route needs, checked by the router before the handler; other routes
	// have none.
	Action access.Action
}

// ID names a route: its operationId in api/openapi.yaml. A function's
// endpoint table binds each of its routes' IDs to a handler, so the method
// and path are written only in All.
type ID string

// The routes' IDs, in the order of All.
const (
	GetBenefits                 ID = "getBenefits"
	ListCatalogPackages         ID = "listCatalogPackages"
	CreatePurchase              ID = "createPurchase"
	GetPurchase                 ID = "getPurchase"
	CancelPurchase              ID = "cancelPurchase"
	ListUsers                   ID = "listUsers"
	CreateUser                  ID = "createUser"
	GetSoftwareKey              ID = "getSoftwareKey"
	GetSoftwareDownloads        ID = "getSoftwareDownloads"
	GetSigningKey               ID = "getSigningKey"
	AssignCreditUser            ID = "assignCreditUser"
	RemoveCreditUser            ID = "removeCreditUser"
	TransferCredit              ID = "transferCredit"
	GetCreditLedger             ID = "getCreditLedger"
	GetLicense                  ID = "getLicense"
	RedeemLicense               ID = "redeemLicense"
	AssignVisualStudio          ID = "assignVisualStudio"
	BulkAssignVisualStudio      ID = "bulkAssignVisualStudio"
	RemoveVisualStudio          ID = "removeVisualStudio"
	ListVisualStudioAssignments ID = "listVisualStudioAssignments"
	GetAudit                    ID = "getAudit"
	ActivateSupport             ID = "activateSupport"
	GetSupport                  ID = "getSupport"
	OpenSupportIncident         ID = "openSupportIncident"
	ListSupportIncidents        ID = "listSupportIncidents"
	RequestAdvisoryHours        ID = "requestAdvisoryHours"
	ListAdvisoryRequests        ID = "listAdvisoryRequests"
	SetMarketingContact         ID = "setMarketingContact"
	GetMarketingContact         ID = "getMarketingContact"
	ActivateGtmOffer            ID = "activateGtmOffer"
	GetGtmConfirmPage           ID = "getGtmConfirmPage"
	ConfirmGtmOffer             ID = "confirmGtmOffer"
	CreatePartner               ID = "createPartner"
	GetCatalog                  ID = "getCatalog"
	PublishCatalog              ID = "publishCatalog"
	ImportKeys                  ID = "importKeys"
	ListServiceRequests         ID = "listServiceRequests"
	ResolveServiceRequest       ID = "resolveServiceRequest"

	// Becoming a global admin (shared/adminrequest).
	RequestGlobalAdmin        ID = "requestGlobalAdmin"
	ListGlobalAdminRequests   ID = "listGlobalAdminRequests"
	ApproveGlobalAdminRequest ID = "approveGlobalAdminRequest"
	DeclineGlobalAdminRequest ID = "declineGlobalAdminRequest"
	ListOperatorAdminRequests ID = "listOperatorAdminRequests"
	OperatorApproveAdminReq   ID = "operatorApproveAdminRequest"
	OperatorDeclineAdminReq   ID = "operatorDeclineAdminRequest"
	// The directory (issue 27).
	GetUser    ID = "getUser"
	UpdateUser ID = "updateUser"
	RemoveUser ID = "removeUser"
)

// Key is the API Gateway route key, e.g. "GET /v1/purchases/{id}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// All lists every deployed route. A route is added here when its handler is.
var All = []Route{
	{GetBenefits, "GET", "/v1/benefits", "benefits", Partner, access.ViewBenefits},
	{ListCatalogPackages, "GET", "/v1/catalog/packages", "benefits", Any, ""},

	{CreatePurchase, "POST", "/v1/purchases", "purchases", Partner, access.BuyPackage},
	{GetPurchase, "GET", "/v1/purchases/{id}", "purchases", Partner, access.ViewBenefits},
	{CancelPurchase, "POST", "/v1/purchases/{id}/cancel", "request-cancel", Partner, access.CancelPackage},

	{ListUsers, "GET", "/v1/users", "users", Partner, access.ListUsers},
	{CreateUser, "POST", "/v1/users", "users", Partner, access.AddUsers},

	{GetSoftwareKey, "POST", "/v1/software/{benefitId}/key", "get-key", Partner, access.GetSoftware},
	{GetSoftwareDownloads, "GET", "/v1/software/{benefitId}/downloads", "get-key", Partner, access.GetSoftware},
	{GetSigningKey, "GET", "/v1/software/signing-key", "get-key", Public, ""},

	{AssignCreditUser, "POST", "/v1/credits/{benefitId}/users", "assign-user", Partner, access.AssignUsers},
	{RemoveCreditUser, "DELETE", "/v1/credits/{benefitId}/users/{userId}", "assign-user", Partner, access.AssignUsers},
	{TransferCredit, "POST", "/v1/credits/{benefitId}/transfer", "assign-user", Partner, access.AssignUsers},
	{GetCreditLedger, "GET", "/v1/credits/{benefitId}/ledger", "benefits", Partner, access.ViewBenefits},

	// Every partner user sees a licence line; only GetSoftware roles see its key (the handler decides).
	{GetLicense, "GET", "/v1/licenses/{benefitId}", "get-key", Partner, access.ViewBenefits},
	{RedeemLicense, "POST", "/v1/licenses/{benefitId}/redeem", "get-key", Partner, access.GetSoftware},

	{AssignVisualStudio, "POST", "/v1/visual-studio/{benefitId}/assignments", "assign-user", Partner, access.AssignUsers},
	{BulkAssignVisualStudio, "POST", "/v1/visual-studio/{benefitId}/assignments:bulk", "assign-user", Partner, access.AssignUsers},
	{RemoveVisualStudio, "DELETE", "/v1/visual-studio/{benefitId}/assignments/{userId}", "assign-user", Partner, access.AssignUsers},
	{ListVisualStudioAssignments, "GET", "/v1/visual-studio/{benefitId}/assignments", "benefits", Partner, access.ViewBenefits},

	{GetAudit, "GET", "/v1/audit", "benefits", Partner, access.ViewAudit},

	{ActivateSupport, "POST", "/v1/support/activate", "benefits", Partner, access.ActivateOffers},
	{GetSupport, "GET", "/v1/support", "benefits", Partner, access.ViewBenefits},
	{OpenSupportIncident, "POST", "/v1/support/incidents", "benefits", Partner, access.SubmitRequests},
	{ListSupportIncidents, "GET", "/v1/support/incidents", "benefits", Partner, access.ViewBenefits},
	{RequestAdvisoryHours, "POST", "/v1/advisory/requests", "benefits", Partner, access.SubmitRequests},
	{ListAdvisoryRequests, "GET", "/v1/advisory/requests", "benefits", Partner, access.ViewBenefits},

	{SetMarketingContact, "PUT", "/v1/gtm/marketing-contact", "activate-gtm", Partner, access.ActivateOffers},
	{GetMarketingContact, "GET", "/v1/gtm/marketing-contact", "activate-gtm", Partner, access.ViewBenefits},
	{ActivateGtmOffer, "POST", "/v1/gtm/offers/{benefitId}/activate", "activate-gtm", Partner, access.ActivateOffers},
	{GetGtmConfirmPage, "GET", "/v1/gtm/confirm", "activate-gtm", Public, ""},
	{ConfirmGtmOffer, "POST", "/v1/gtm/confirm", "activate-gtm", Public, ""},

	{CreatePartner, "POST", "/v1/admin/partners", "admin", Operator, ""},
	{GetCatalog, "GET", "/v1/admin/catalog", "admin", Operator, ""},
	{PublishCatalog, "POST", "/v1/admin/catalog", "admin", Operator, ""},
	{ImportKeys, "POST", "/v1/admin/key-pools/{product}", "admin", Operator, ""},
	{ListServiceRequests, "GET", "/v1/admin/service-requests", "admin", Operator, ""},
	{ResolveServiceRequest, "POST", "/v1/admin/service-requests/{id}/resolve", "admin", Operator, ""},

	// Becoming a global admin: any user asks (a global admin is 409), a
	// global admin sees and decides the partner's requests, everyone else
	// sees their own; the operator decides those of partners with none.
	{RequestGlobalAdmin, "POST", "/v1/global-admin-requests", "users", Partner, access.RequestAdmin},
	{ListGlobalAdminRequests, "GET", "/v1/global-admin-requests", "users", Partner, access.RequestAdmin},
	{ApproveGlobalAdminRequest, "POST", "/v1/global-admin-requests/{id}/approve", "users", Partner, access.DecideAdminRequests},
	{DeclineGlobalAdminRequest, "POST", "/v1/global-admin-requests/{id}/decline", "users", Partner, access.DecideAdminRequests},
	{ListOperatorAdminRequests, "GET", "/v1/admin/global-admin-requests", "admin", Operator, ""},
	{OperatorApproveAdminReq, "POST", "/v1/admin/global-admin-requests/{id}/approve", "admin", Operator, ""},
	{OperatorDeclineAdminReq, "POST", "/v1/admin/global-admin-requests/{id}/decline", "admin", Operator, ""},
	// The directory: who may change or remove which user is decided by the
	// use case (access.Caller.CanManage, CanGrant).
	{GetUser, "GET", "/v1/users/{id}", "users", Partner, access.ListUsers},
	{UpdateUser, "PATCH", "/v1/users/{id}", "users", Partner, access.AddUsers},
	{RemoveUser, "DELETE", "/v1/users/{id}", "users", Partner, access.AddUsers},
}

// claimsInCommit are the POST routes whose request commits in one
// TransactWriteItems, through the store's commit, which writes the
// Idempotency-Key claim in that transaction. Marking a route whose use case
// writes any other way would run it unclaimed: TestClaimInCommitRoutes
// (infra/localgw) sends each marked route and checks its one transaction.
var claimsInCommit = map[ID]bool{CreatePurchase: true, CreateUser: true, CreatePartner: true, PublishCatalog: true}

// ClaimsInCommit says whether a request with an Idempotency-Key claims the
// key inside the route's commit transaction (shared/httpapi) rather than
// with a PutItem before the handler runs: one round trip less, and the
// record exists exactly when the work does.
func (r Route) ClaimsInCommit() bool { return claimsInCommit[r.ID] }

// Functions returns the distinct HTTP function names in first-seen order.
func Functions() []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range All {
		if !seen[r.Function] {
			seen[r.Function] = true
			names = append(names, r.Function)
		}
	}
	return names
}

// ForFunction returns the routes one function serves.
func ForFunction(name string) []Route {
	var out []Route
	for _, r := range All {
		if r.Function == name {
			out = append(out, r)
		}
	}
	return out
}
