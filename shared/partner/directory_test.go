package partner_test

import (
	"context"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The partner and directory rules of docs/domain.md, through the use
// cases, on the in-memory fake (whose semantics
// storetest.DirectoryContract checks against DynamoDB Local).
// docs/domain.md links each rule to its test here.

var at = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func directory(t *testing.T) (partner.Directory, *storetest.Fake, storetest.DirectoryFixture) {
	t.Helper()
	s := storetest.New()
	return storetest.Directory(s, storetest.DemoCatalog(t)), s, storetest.SeedDirectory(t, s)
}

// A new partner starts with one directory user: a global admin with the
// account email, named after the partner.
func TestAddPartnerStartsWithItsFirstAdmin(t *testing.T) {
	d, s, _ := directory(t)
	p, admin, err := d.AddPartner(context.Background(), partner.PartnerInput{Name: "Fabrikam", Currency: "JPY", AccountEmail: "it@fabrikam.example", Language: "ja"}, at)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.User(context.Background(), p.ID, admin.ID)
	if err != nil || u.Email != "it@fabrikam.example" || u.DisplayName != "Fabrikam administrator" || len(u.Roles) != 1 || u.Roles[0] != access.GlobalAdmin {
		t.Fatalf("first admin %+v, %v", u, err)
	}
}

// A partner is billed in a currency the live catalogue prices; before any
// catalogue is published no partner can be added.
func TestAddPartnerNeedsACatalogueCurrency(t *testing.T) {
	_, s, _ := directory(t)
	in := partner.PartnerInput{Name: "Fabrikam", Currency: "CHF", AccountEmail: "it@fabrikam.example"}
	_, _, err := storetest.Directory(s, storetest.DemoCatalog(t)).AddPartner(context.Background(), in, at)
	storetest.WantCode(t, err, "currency_not_supported")
	in.Currency = "USD"
	_, _, err = storetest.Directory(s, nil).AddPartner(context.Background(), in, at)
	storetest.WantCode(t, err, "currency_not_supported")
	in.Currency = "usd"
	_, _, err = storetest.Directory(s, storetest.DemoCatalog(t)).AddPartner(context.Background(), in, at)
	storetest.WantCode(t, err, "validation_failed")
}

// An email is unique in a partner's directory, without regard to case; in
// another partner it is free.
func TestAddUserEmailIsUniquePerPartner(t *testing.T) {
	d, _, fx := directory(t)
	admin := access.Caller{UserID: fx.Admin, PartnerID: fx.Partner, Roles: []access.Role{access.GlobalAdmin}}
	in := partner.UserInput{Email: "ann@contoso.example", DisplayName: "Ann", Roles: []access.Role{access.AdminAgent}}
	if _, err := d.AddUser(context.Background(), admin, in, at); err != nil {
		t.Fatal(err)
	}
	in.Email = "ANN@Contoso.example"
	_, err := d.AddUser(context.Background(), admin, in, at)
	storetest.WantCode(t, err, "user_exists")
	other := access.Caller{UserID: fx.OtherAdmin, PartnerID: fx.Other, Roles: []access.Role{access.GlobalAdmin}}
	if _, err := d.AddUser(context.Background(), other, in, at); err != nil {
		t.Fatalf("the email in another partner: %v", err)
	}
}

// A caller gives only roles one of its roles grants: a user-management
// admin gives user-management-admin and admin-agent, never global-admin
// or mpn-partner-admin; a refused user is not written.
func TestAddUserGivesOnlyRolesTheCallerGrants(t *testing.T) {
	d, s, fx := directory(t)
	um := access.Caller{UserID: "usr_um", PartnerID: fx.Partner, Roles: []access.Role{access.UserManagementAdmin}}
	for _, r := range []access.Role{access.GlobalAdmin, access.MPNPartnerAdmin} {
		_, err := d.AddUser(context.Background(), um, partner.UserInput{Email: "bob@contoso.example", DisplayName: "Bob", Roles: []access.Role{access.AdminAgent, r}}, at)
		storetest.WantCode(t, err, "forbidden_role")
	}
	u, err := d.AddUser(context.Background(), um, partner.UserInput{Email: "bob@contoso.example", DisplayName: "Bob", Roles: []access.Role{access.UserManagementAdmin, access.AdminAgent}}, at)
	if err != nil {
		t.Fatalf("the refused attempts wrote something: %v", err)
	}
	if got, err := s.User(context.Background(), fx.Partner, u.ID); err != nil || len(got.Roles) != 2 {
		t.Fatalf("user %+v, %v", got, err)
	}
}
