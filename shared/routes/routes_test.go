package routes

import (
	"testing"

	"github.com/pbs/benefits/shared/access"
)

// TestEveryPartnerRouteNamesItsAction: the role a route needs stands beside
// it, so a partner route added without one (or with a row the matrix lacks)
// fails here; other routes name none (their Access says who may call).
func TestEveryPartnerRouteNamesItsAction(t *testing.T) {
	// A global admin may do every row of the matrix and nothing else.
	admin := access.Caller{UserID: "u", PartnerID: "p", Roles: []access.Role{access.GlobalAdmin}}
	for _, r := range All {
		switch {
		case r.Access == Partner && !admin.Can(r.Action):
			t.Errorf("%s is a partner route: its Action %q must be a row of the permission matrix", r.Key(), r.Action)
		case r.Access != Partner && r.Action != "":
			t.Errorf("%s is a %s route: it needs no Action, has %q", r.Key(), r.Access, r.Action)
		}
	}
}

// TestRouteIDsAndKeysAreUnique: endpoint tables are keyed by ID, API
// Gateway by Key.
func TestRouteIDsAndKeysAreUnique(t *testing.T) {
	ids, keys := map[ID]bool{}, map[string]bool{}
	for _, r := range All {
		if r.ID == "" || ids[r.ID] {
			t.Errorf("%s: ID %q is empty or taken", r.Key(), r.ID)
		}
		if keys[r.Key()] {
			t.Errorf("%s is in All twice", r.Key())
		}
		ids[r.ID], keys[r.Key()] = true, true
	}
}
