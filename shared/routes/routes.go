// Package routes is the one route table of the HTTP API. The CDK stack wires
// each route to its function, the local gateway serves the same list, and the
// OpenAPI document is tested against it, so the three cannot drift.
package routes

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
// Key() equals the routeKey that API Gateway puts in the event.
type Route struct {
	Method   string
	Path     string
	Function string // folder under functions/, one Lambda each
	Access   Access
}

// Key is the API Gateway route key, e.g. "GET /v1/purchases/{id}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// All lists every deployed route. A route is added here when its handler is.
var All = []Route{
	{"GET", "/v1/benefits", "benefits", Partner},
	{"GET", "/v1/catalog/packages", "benefits", Any},

	{"POST", "/v1/purchases", "purchases", Partner},
	{"GET", "/v1/purchases/{id}", "purchases", Partner},
	{"POST", "/v1/purchases/{id}/cancel", "request-cancel", Partner},

	{"GET", "/v1/users", "users", Partner},
	{"POST", "/v1/users", "users", Partner},

	{"POST", "/v1/software/{benefitId}/key", "get-key", Partner},
	{"GET", "/v1/software/{benefitId}/downloads", "get-key", Partner},
	{"GET", "/v1/software/signing-key", "get-key", Public},

	{"POST", "/v1/credits/{benefitId}/users", "assign-user", Partner},
	{"DELETE", "/v1/credits/{benefitId}/users/{userId}", "assign-user", Partner},
	{"POST", "/v1/credits/{benefitId}/transfer", "assign-user", Partner},
	{"GET", "/v1/credits/{benefitId}/ledger", "benefits", Partner},

	{"GET", "/v1/licenses/{benefitId}", "get-key", Partner},
	{"POST", "/v1/licenses/{benefitId}/redeem", "get-key", Partner},

	{"POST", "/v1/visual-studio/{benefitId}/assignments", "assign-user", Partner},
	{"POST", "/v1/visual-studio/{benefitId}/assignments:bulk", "assign-user", Partner},
	{"DELETE", "/v1/visual-studio/{benefitId}/assignments/{userId}", "assign-user", Partner},
	{"GET", "/v1/visual-studio/{benefitId}/assignments", "benefits", Partner},

	{"GET", "/v1/audit", "benefits", Partner},

	{"POST", "/v1/support/activate", "benefits", Partner},
	{"GET", "/v1/support", "benefits", Partner},
	{"POST", "/v1/support/incidents", "benefits", Partner},
	{"POST", "/v1/advisory/requests", "benefits", Partner},
	{"GET", "/v1/advisory/requests", "benefits", Partner},

	{"PUT", "/v1/gtm/marketing-contact", "activate-gtm", Partner},
	{"GET", "/v1/gtm/marketing-contact", "activate-gtm", Partner},
	{"POST", "/v1/gtm/offers/{benefitId}/activate", "activate-gtm", Partner},
	{"GET", "/v1/gtm/confirm", "activate-gtm", Public},
	{"POST", "/v1/gtm/confirm", "activate-gtm", Public},

	{"POST", "/v1/admin/partners", "admin", Operator},
	{"GET", "/v1/admin/catalog", "admin", Operator},
	{"POST", "/v1/admin/catalog", "admin", Operator},
	{"POST", "/v1/admin/key-pools/{product}", "admin", Operator},
	{"GET", "/v1/admin/service-requests", "admin", Operator},
	{"POST", "/v1/admin/service-requests/{id}/resolve", "admin", Operator},
}

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
