// Package access holds the roles and the partner-side permission matrix of
// docs/domain.md. The router asks Caller.Can(route.Action) for every partner
// route (shared/routes); nothing else decides who may act.
package access

import "slices"

// Role is a role claim value.
type Role string

const (
	GlobalAdmin         Role = "global-admin"
	UserManagementAdmin Role = "user-management-admin"
	AdminAgent          Role = "admin-agent"
	MPNPartnerAdmin     Role = "mpn-partner-admin"
	// ProgramOperator manages partners, the catalogue and key pools; its
	// tokens carry no partner_id.
	ProgramOperator Role = "program-operator"
)

// PartnerRoles are the roles a directory user may hold (member = none).
var PartnerRoles = []Role{GlobalAdmin, UserManagementAdmin, AdminAgent, MPNPartnerAdmin}

// Action is a row of the permission matrix.
type Action string

const (
	ViewBenefits   Action = "view-benefits"
	BuyPackage     Action = "buy-package"
	AddUsers       Action = "add-users"
	ListUsers      Action = "list-users"
	AssignUsers    Action = "assign-users"
	GetSoftware    Action = "get-software"
	ActivateOffers Action = "activate-offers"
	CancelPackage  Action = "cancel-package"
	SubmitRequests Action = "submit-requests"
	// ViewAudit reads the partner's history (who assigned, moved, removed or
	// redeemed what); the issue that added it names its readers.
	ViewAudit Action = "view-audit"
	// RequestAdmin asks to become a global admin, and lists one's requests
	// (a global admin, who asks nothing, sees the partner's);
	// DecideAdminRequests approves or declines another user's.
	RequestAdmin        Action = "request-global-admin"
	DecideAdminRequests Action = "decide-global-admin-requests"
)

// everyone marks rows open to every partner user, members included.
var everyone = []Role{}

// matrix is the permission table of docs/domain.md, verbatim: the roles allowed per action.
var matrix = map[Action][]Role{
	ViewBenefits:        everyone,
	BuyPackage:          everyone,
	AddUsers:            {GlobalAdmin, UserManagementAdmin},
	ListUsers:           everyone,
	AssignUsers:         {GlobalAdmin},
	GetSoftware:         {GlobalAdmin, MPNPartnerAdmin},
	ActivateOffers:      {GlobalAdmin, MPNPartnerAdmin},
	CancelPackage:       {GlobalAdmin, MPNPartnerAdmin},
	SubmitRequests:      everyone,
	ViewAudit:           {GlobalAdmin, MPNPartnerAdmin},
	RequestAdmin:        everyone,
	DecideAdminRequests: {GlobalAdmin},
}

// grants is the role-grant table of docs/domain.md, verbatim: the partner
// roles each role may give a directory user or take away. Admin roles
// receive refund, cancellation and expiry mail and take keys, so only a
// global admin hands them out; a role absent here grants nothing.
var grants = map[Role][]Role{
	GlobalAdmin:         {GlobalAdmin, MPNPartnerAdmin, UserManagementAdmin, AdminAgent},
	UserManagementAdmin: {UserManagementAdmin, AdminAgent},
}

// Caller is who is making a request, as read from verified token claims.
type Caller struct {
	UserID    string
	PartnerID string // empty for the program operator
	Roles     []Role
}

// IsOperator reports a program-operator token (no partner scope).
func (c Caller) IsOperator() bool {
	return c.PartnerID == "" && slices.Contains(c.Roles, ProgramOperator)
}

// IsPartnerUser reports a token scoped to one partner organisation.
func (c Caller) IsPartnerUser() bool { return c.PartnerID != "" }

// Can reports whether a partner user may perform the action. Operators act
// only through operator routes, so they can do nothing here.
func (c Caller) Can(a Action) bool {
	if !c.IsPartnerUser() {
		return false
	}
	allowed, ok := matrix[a]
	if !ok {
		return false
	}
	if len(allowed) == 0 {
		return true
	}
	for _, r := range c.Roles {
		if slices.Contains(allowed, r) {
			return true
		}
	}
	return false
}

// CanGrant reports whether a partner user may give a directory user role r,
// or take it away: some role the caller holds grants it. Whether it may
// change the directory at all is Can(AddUsers).
func (c Caller) CanGrant(r Role) bool {
	if !c.IsPartnerUser() {
		return false
	}
	for _, held := range c.Roles {
		if slices.Contains(grants[held], r) {
			return true
		}
	}
	return false
}

// CanManage reports whether a partner user may rename or remove a
// directory user who holds roles: a user-management-admin manages plain
// users and those holding only roles it grants; a user holding
// global-admin or mpn-partner-admin only a global admin manages. Changing
// a role needs CanGrant of it as well (given or taken away).
func (c Caller) CanManage(roles []Role) bool {
	if !c.IsPartnerUser() || !c.Can(AddUsers) {
		return false
	}
	for _, r := range roles {
		if !c.CanGrant(r) {
			return false
		}
	}
	return true
}

// ValidPartnerRole reports whether r may be held by a directory user.
func ValidPartnerRole(r Role) bool { return slices.Contains(PartnerRoles, r) }
