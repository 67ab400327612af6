package access

import "testing"

// TestMatrix restates the permission table (docs/domain.md) row by row; a change to the matrix fails here.
func TestMatrix(t *testing.T) {
	const (
		ga  = GlobalAdmin
		mpn = MPNPartnerAdmin
		uma = UserManagementAdmin
		aa  = AdminAgent
	)
	member := Role("")
	rows := map[Action]map[Role]bool{
		ViewBenefits:   {ga: true, mpn: true, uma: true, aa: true, member: true},
		BuyPackage:     {ga: true, mpn: true, uma: true, aa: true, member: true},
		AddUsers:       {ga: true, mpn: false, uma: true, aa: false, member: false},
		ListUsers:      {ga: true, mpn: true, uma: true, aa: true, member: true},
		AssignUsers:    {ga: true, mpn: false, uma: false, aa: false, member: false},
		GetSoftware:    {ga: true, mpn: true, uma: false, aa: false, member: false},
		ActivateOffers: {ga: true, mpn: true, uma: false, aa: false, member: false},
		CancelPackage:  {ga: true, mpn: true, uma: false, aa: false, member: false},
		SubmitRequests: {ga: true, mpn: true, uma: true, aa: true, member: true},
		ViewAudit:      {ga: true, mpn: true, uma: false, aa: false, member: false},
		// A global admin's request is refused by the use case (409), not the matrix.
		RequestAdmin:        {ga: true, mpn: true, uma: true, aa: true, member: true},
		DecideAdminRequests: {ga: true, mpn: false, uma: false, aa: false, member: false},
	}
	for action, cols := range rows {
		for role, want := range cols {
			c := Caller{UserID: "u", PartnerID: "p"}
			if role != member {
				c.Roles = []Role{role}
			}
			if got := c.Can(action); got != want {
				t.Errorf("%s as %q: got %v want %v", action, role, got, want)
			}
		}
	}
}

func TestOperatorHasNoPartnerPermissions(t *testing.T) {
	op := Caller{UserID: "op", Roles: []Role{ProgramOperator}}
	if !op.IsOperator() || op.IsPartnerUser() {
		t.Fatal("operator token misclassified")
	}
	if op.Can(ViewBenefits) {
		t.Error("operator must not act as a partner user")
	}
	// A partner user who also claims the operator role is still partner-scoped.
	mixed := Caller{UserID: "u", PartnerID: "p", Roles: []Role{ProgramOperator}}
	if mixed.IsOperator() {
		t.Error("a partner-scoped token is never an operator")
	}
}

func TestRolesCombine(t *testing.T) {
	c := Caller{UserID: "u", PartnerID: "p", Roles: []Role{AdminAgent, MPNPartnerAdmin}}
	if !c.Can(GetSoftware) {
		t.Error("any one allowed role suffices")
	}
}
