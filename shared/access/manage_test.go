package access

import "testing"

// CanManage: a global admin manages everyone; a user-management-admin
// plain users and holders of its two roles only; others nobody.
func TestCanManage(t *testing.T) {
	partnerUser := func(roles ...Role) Caller { return Caller{UserID: "usr_1", PartnerID: "ptn_1", Roles: roles} }
	for _, c := range []struct {
		by     Caller
		target []Role
		want   bool
	}{
		{partnerUser(GlobalAdmin), []Role{GlobalAdmin, MPNPartnerAdmin}, true},
		{partnerUser(UserManagementAdmin), nil, true},
		{partnerUser(UserManagementAdmin), []Role{UserManagementAdmin, AdminAgent}, true},
		{partnerUser(UserManagementAdmin), []Role{AdminAgent, MPNPartnerAdmin}, false},
		{partnerUser(UserManagementAdmin), []Role{GlobalAdmin}, false},
		{partnerUser(AdminAgent), nil, false},
		{partnerUser(MPNPartnerAdmin), nil, false},
		{partnerUser(), nil, false},
		{Caller{UserID: "op", Roles: []Role{ProgramOperator}}, nil, false},
	} {
		if got := c.by.CanManage(c.target); got != c.want {
			t.Errorf("%v manages %v: %v, want %v", c.by.Roles, c.target, got, c.want)
		}
	}
}
