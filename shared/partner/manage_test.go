package partner_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/gtm"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The directory changes of docs/domain.md "Users and roles", on the fake.

func caller(fx storetest.DirectoryFixture, id string, roles ...access.Role) access.Caller {
	return access.Caller{UserID: id, PartnerID: fx.Partner, Roles: roles}
}

func addAs(t *testing.T, d partner.Directory, fx storetest.DirectoryFixture, email string, roles ...access.Role) partner.User {
	t.Helper()
	u, err := d.AddUser(context.Background(), caller(fx, fx.Admin, access.GlobalAdmin), partner.UserInput{Email: email, DisplayName: "User " + email, Roles: roles}, at)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func roles(rs ...access.Role) *[]access.Role { return &rs }

// Only a global admin gives or takes global-admin and mpn-partner-admin,
// or changes a user holding one; a user-management-admin manages plain
// users and its two roles; nobody else changes the directory.
func TestChangeUserRoleRules(t *testing.T) {
	d, _, fx := directory(t)
	ctx := context.Background()
	plain := addAs(t, d, fx, "plain@x.example")
	mpn := addAs(t, d, fx, "mpn@x.example", access.MPNPartnerAdmin)
	uma := caller(fx, "usr_uma", access.UserManagementAdmin)
	for _, c := range []struct {
		name string
		by   access.Caller
		id   string
		in   partner.UserPatch
		ok   bool
	}{
		{"uma grants admin-agent", uma, plain.ID, partner.UserPatch{Roles: roles(access.AdminAgent)}, true},
		{"uma grants user-management-admin", uma, plain.ID, partner.UserPatch{Roles: roles(access.UserManagementAdmin)}, true},
		{"uma grants global-admin", uma, plain.ID, partner.UserPatch{Roles: roles(access.GlobalAdmin)}, false},
		{"uma grants mpn-partner-admin", uma, plain.ID, partner.UserPatch{Roles: roles(access.MPNPartnerAdmin)}, false},
		{"uma renames an mpn admin", uma, mpn.ID, partner.UserPatch{DisplayName: ptr("X")}, false},
		{"uma takes mpn-partner-admin", uma, mpn.ID, partner.UserPatch{Roles: roles()}, false},
		{"agent renames", caller(fx, "usr_a", access.AdminAgent), plain.ID, partner.UserPatch{DisplayName: ptr("X")}, false},
		{"member renames", caller(fx, "usr_m"), plain.ID, partner.UserPatch{DisplayName: ptr("X")}, false},
		{"mpn admin renames", caller(fx, "usr_p", access.MPNPartnerAdmin), plain.ID, partner.UserPatch{DisplayName: ptr("X")}, false},
		{"global admin takes mpn-partner-admin", caller(fx, fx.Admin, access.GlobalAdmin), mpn.ID, partner.UserPatch{Roles: roles()}, true},
	} {
		_, err := d.ChangeUser(ctx, c.by, c.id, c.in, at)
		if c.ok != (err == nil) || !c.ok && !errors.Is(err, apperr.ErrForbiddenRole) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := d.RemoveUser(ctx, uma, fx.Admin, at); !errors.Is(err, apperr.ErrForbiddenRole) {
		t.Errorf("uma removes the global admin: %v", err)
	}
}

func ptr(s string) *string { return &s }

// The last global admin is neither demoted nor removed.
func TestLastGlobalAdminStays(t *testing.T) {
	d, _, fx := directory(t)
	ctx := context.Background()
	ga := caller(fx, fx.Admin, access.GlobalAdmin)
	if _, err := d.ChangeUser(ctx, ga, fx.Admin, partner.UserPatch{Roles: roles(access.AdminAgent)}, at); !errors.Is(err, partner.ErrLastGlobalAdmin) {
		t.Fatalf("demote: %v", err)
	}
	if err := d.RemoveUser(ctx, ga, fx.Admin, at); !errors.Is(err, partner.ErrLastGlobalAdmin) {
		t.Fatalf("remove: %v", err)
	}
	second := addAs(t, d, fx, "two@x.example", access.GlobalAdmin)
	if err := d.RemoveUser(ctx, ga, second.ID, at); err != nil {
		t.Fatalf("remove one of two: %v", err)
	}
}

// A holder is not removed; the error lists what they hold.
func TestRemoveRefusesAHolder(t *testing.T) {
	d, s, fx := directory(t)
	ctx := context.Background()
	u := addAs(t, d, fx, "contact@x.example")
	ev := audit.New(ids.New, fx.Partner, fx.Admin, audit.ContactSet, "", at)
	msg := mail.Message{ID: ids.New("msg"), To: []string{u.Email}, Template: "gtm-contact", CreatedAt: at}
	if err := s.SetContact(ctx, gtm.Contact{PartnerID: fx.Partner, UserID: u.ID, Email: u.Email, UpdatedAt: at}, msg, ev, nil); err != nil {
		t.Fatal(err)
	}
	err := d.RemoveUser(ctx, caller(fx, fx.Admin, access.GlobalAdmin), u.ID, at)
	e, _ := apperr.As(err)
	if !errors.Is(err, partner.ErrUserHoldsBenefits) || !slices.Equal(e.Extra["holdings"].([]partner.Holding), []partner.Holding{{Kind: partner.HoldsMarketingContact}}) {
		t.Fatalf("remove the marketing contact: %v", err)
	}
}

// Every change writes its audit event with before and after; a patch
// that changes nothing writes none; another partner's user is not found.
func TestChangesAreAudited(t *testing.T) {
	d, s, fx := directory(t)
	ctx := context.Background()
	ga := caller(fx, fx.Admin, access.GlobalAdmin)
	u := addAs(t, d, fx, "ann@x.example")
	if _, err := d.ChangeUser(ctx, ga, u.ID, partner.UserPatch{DisplayName: ptr("Ann B"), Roles: roles(access.AdminAgent)}, at); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ChangeUser(ctx, ga, u.ID, partner.UserPatch{DisplayName: ptr(" Ann B ")}, at); err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveUser(ctx, ga, u.ID, at); err != nil {
		t.Fatal(err)
	}
	events, _, _ := s.Audit(ctx, fx.Partner, "", 10, "")
	got := map[audit.Action]map[string]string{}
	for _, e := range events {
		got[e.Action] = e.Detail
	}
	if len(events) != 3 || got[audit.UserRenamed]["before"] != "User ann@x.example" || got[audit.UserRenamed]["after"] != "Ann B" ||
		got[audit.UserRolesChanged]["before"] != "" || got[audit.UserRolesChanged]["after"] != "admin-agent" ||
		got[audit.UserRemoved]["email"] != "ann@x.example" || got[audit.UserRemoved]["before"] != "admin-agent" {
		t.Fatalf("events %+v", events)
	}
	other := access.Caller{UserID: fx.OtherAdmin, PartnerID: fx.Other, Roles: []access.Role{access.GlobalAdmin}}
	if _, err := d.User(ctx, other, fx.Admin); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("another partner's user: %v", err)
	}
	if err := d.RemoveUser(ctx, other, fx.Admin, at); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("remove another partner's user: %v", err)
	}
}
