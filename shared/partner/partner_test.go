package partner

import (
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func fieldsOf(t *testing.T, err error) map[string]bool {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != "validation_failed" {
		t.Fatalf("want validation_failed, got %v", err)
	}
	m := map[string]bool{}
	for _, f := range e.Fields {
		m[f.Field] = true
	}
	return m
}

func TestNewPartnerValidates(t *testing.T) {
	if _, err := NewPartner(Partner{ID: "p1", Name: "Contoso", Currency: "JPY", AccountEmail: "admin@contoso.example", Language: "ja", CreatedAt: now}); err != nil {
		t.Fatalf("valid partner rejected: %v", err)
	}
	got := fieldsOf(t, func() error {
		_, err := NewPartner(Partner{ID: "p1", Name: " ", Currency: "yen", AccountEmail: "not-an-email", Language: "not a tag", CreatedAt: now})
		return err
	}())
	for _, f := range []string{"name", "currency", "accountEmail", "language"} {
		if !got[f] {
			t.Errorf("no error for %s", f)
		}
	}
}

func TestNewUserValidates(t *testing.T) {
	u, err := NewUser(User{ID: "u1", PartnerID: "p1", Email: "ann@contoso.example", DisplayName: "Ann", Guest: true, CreatedAt: now})
	if err != nil {
		t.Fatalf("member rejected: %v", err)
	}
	if u.Roles == nil || len(u.Roles) != 0 {
		t.Errorf("member roles should be an empty list, got %#v", u.Roles)
	}
	tests := []struct {
		name  string
		email string
		roles []access.Role
		field string
	}{
		{"display name in email", "Ann <ann@contoso.example>", nil, "email"},
		{"no domain dot", "ann@localhost", nil, "email"},
		{"unknown role", "ann@contoso.example", []access.Role{"root"}, "roles[0]"},
		{"operator is not a directory role", "ann@contoso.example", []access.Role{access.ProgramOperator}, "roles[0]"},
		{"duplicate role", "ann@contoso.example", []access.Role{access.GlobalAdmin, access.GlobalAdmin}, "roles[1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewUser(User{ID: "u1", PartnerID: "p1", Email: tc.email, DisplayName: "Ann", Roles: tc.roles, CreatedAt: now})
			if !fieldsOf(t, err)[tc.field] {
				t.Errorf("no error for %s: %v", tc.field, err)
			}
		})
	}
}

func TestEmailKeyFoldsCase(t *testing.T) {
	if EmailKey(" Ann@Contoso.Example ") != EmailKey("ann@contoso.example") {
		t.Error("email uniqueness must ignore case and surrounding space")
	}
}
