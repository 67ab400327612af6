package access

import (
	"fmt"
	"slices"
	"testing"
)

// docGrants restates the role-grant table of docs/domain.md: per role a
// caller holds, the partner roles it may grant (or remove).
var docGrants = map[Role]map[Role]bool{
	GlobalAdmin:         {GlobalAdmin: true, MPNPartnerAdmin: true, UserManagementAdmin: true, AdminAgent: true},
	MPNPartnerAdmin:     {GlobalAdmin: false, MPNPartnerAdmin: false, UserManagementAdmin: false, AdminAgent: false},
	UserManagementAdmin: {GlobalAdmin: false, MPNPartnerAdmin: false, UserManagementAdmin: true, AdminAgent: true},
	AdminAgent:          {GlobalAdmin: false, MPNPartnerAdmin: false, UserManagementAdmin: false, AdminAgent: false},
}

// subsets lists every subset of roles (the empty one first).
func subsets(roles []Role) [][]Role {
	out := [][]Role{{}}
	for _, r := range roles {
		for _, s := range out {
			out = append(out, append(slices.Clone(s), r))
		}
	}
	return out
}

// TestGrantTable checks CanGrant for every set of roles a token may hold
// (none = member) against every role it may try to grant, generated from
// PartnerRoles: a new role fails here until docGrants has its row and column.
func TestGrantTable(t *testing.T) {
	for _, r := range PartnerRoles {
		if _, ok := docGrants[r]; !ok {
			t.Errorf("role %s has no row in docGrants (docs/domain.md): say what it may grant", r)
		}
		for held, cols := range docGrants {
			if _, ok := cols[r]; !ok {
				t.Errorf("docGrants[%s] has no column %s: say whether it may grant it", held, r)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	checks := 0
	for _, held := range subsets(PartnerRoles) {
		c := Caller{UserID: "u", PartnerID: "p", Roles: held}
		for _, r := range PartnerRoles {
			want := slices.ContainsFunc(held, func(h Role) bool { return docGrants[h][r] })
			if got := c.CanGrant(r); got != want {
				t.Errorf("%v grants %s: got %v want %v", held, r, got, want)
			}
			checks++
		}
	}
	t.Logf("%d checks (%d role sets × %d roles)", checks, len(subsets(PartnerRoles)), len(PartnerRoles))
}

func TestGrantOutsidePartnerScope(t *testing.T) {
	for _, c := range []Caller{
		{UserID: "op", Roles: []Role{ProgramOperator}},
		{UserID: "u", Roles: []Role{GlobalAdmin}}, // no partner: not a partner user
		{UserID: "u", PartnerID: "p", Roles: []Role{ProgramOperator}},
	} {
		for _, r := range append(slices.Clone(PartnerRoles), ProgramOperator, Role("root"), "") {
			if c.CanGrant(r) {
				t.Errorf("%s grants %q", fmt.Sprint(c.Roles), r)
			}
		}
	}
	ga := Caller{UserID: "u", PartnerID: "p", Roles: []Role{GlobalAdmin}}
	for _, r := range []Role{ProgramOperator, "root", ""} {
		if ga.CanGrant(r) {
			t.Errorf("a global admin grants %q, which no directory user may hold", r)
		}
	}
}
