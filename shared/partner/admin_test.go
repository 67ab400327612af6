package partner

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pbs/benefits/shared/access"
)

// TestFirstAdminFitsEveryName: for every name NewPartner accepts, up to the
// limit (in characters) and in one- to four-byte characters, the first admin is a valid
// directory user (NewUser accepts it) named after the partner.
func TestFirstAdminFitsEveryName(t *testing.T) {
	checks := 0
	for _, char := range []string{"N", "é", "名", "𝔑"} {
		for n := 1; n <= MaxName; n++ {
			name := strings.Repeat(char, n)
			p, err := NewPartner(Partner{ID: "p1", Name: name, Currency: "USD", AccountEmail: "admin@contoso.example", Language: "", CreatedAt: now})
			if err != nil {
				t.Fatalf("%d-character name rejected: %v", n, err)
			}
			u := FirstAdmin("u1", p, now)
			what := fmt.Sprintf("%d-character name of %q", n, char)
			if _, err := NewUser(User{ID: u.ID, PartnerID: u.PartnerID, Email: u.Email, DisplayName: u.DisplayName, Roles: u.Roles, Guest: u.Guest, CreatedAt: now}); err != nil {
				t.Fatalf("%s: the first admin is not a valid user: %v", what, err)
			}
			if !utf8.ValidString(u.DisplayName) || !strings.HasSuffix(u.DisplayName, " administrator") {
				t.Fatalf("%s: display name %q", what, u.DisplayName)
			}
			if !strings.HasPrefix(name, strings.TrimSuffix(u.DisplayName, " administrator")) {
				t.Fatalf("%s: display name %q is not the partner's name", what, u.DisplayName)
			}
			if u.PartnerID != "p1" || u.Email != p.AccountEmail || !slices.Equal(u.Roles, []access.Role{access.GlobalAdmin}) || u.Guest {
				t.Fatalf("%s: first admin %+v", what, u)
			}
			checks++
		}
	}
	if u := FirstAdmin("u1", Partner{ID: "p1", Name: "Contoso", AccountEmail: "a@contoso.example"}, now); u.DisplayName != "Contoso administrator" {
		t.Errorf("short name: %q", u.DisplayName)
	}
	t.Logf("%d names", checks)
}
