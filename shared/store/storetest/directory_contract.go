package storetest

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
	"github.com/pbs/benefits/shared/store"
)

// MemberStore is what the directory-changes contract runs on: the
// directory's stores and the marketing contact (a holding). *store.Store
// has all of it.
type MemberStore interface {
	DirectoryStore
	partner.MemberStore
	SetContact(ctx context.Context, c gtm.Contact, owed mail.Message, ev audit.Event, quotas []gtm.Quota) error
}

// MembersContract is what every partner.MemberStore must do: search by the
// start of the email or of a name's word, folded, each user once across
// pages; follow renames and removals in the index; filter pages by role
// and guest; refuse a cursor of another search; keep a global admin;
// refuse to remove a holder (the marketing contact here; the seats are in
// infra/localgw's races); free a removed user's email.
func MembersContract(t *testing.T, newStore func(t *testing.T) MemberStore) {
	run := caseRunner(t, newStore, func(t testing.TB, s MemberStore) DirectoryFixture { return SeedDirectory(t, s) })
	ctx := store.NoWait(context.Background())
	admin := func(fx DirectoryFixture) access.Caller {
		return access.Caller{UserID: fx.Admin, PartnerID: fx.Partner, Roles: []access.Role{access.GlobalAdmin}}
	}
	add := func(t *testing.T, s MemberStore, fx DirectoryFixture, email, name string, guest bool, roles ...access.Role) partner.User {
		t.Helper()
		u, err := Directory(s, nil).AddUser(ctx, admin(fx), partner.UserInput{Email: email, DisplayName: name, Roles: roles, Guest: guest}, fx.At)
		must(t, err)
		return u
	}
	all := func(t *testing.T, s MemberStore, partnerID string, q partner.UserQuery, limit int) []string {
		t.Helper()
		var out []string
		cursor := ""
		for range 50 {
			users, next, err := s.SearchUsers(ctx, partnerID, q, limit, cursor)
			must(t, err)
			for _, u := range users {
				out = append(out, u.Email)
			}
			if next == "" {
				return out
			}
			cursor = next
		}
		t.Fatal("more than 50 pages")
		return nil
	}

	run("SearchFoldsAndPages", func(t *testing.T, s MemberStore, fx DirectoryFixture) {
		add(t, s, fx, "aiko.tanaka@contoso.example", "Aiko Tanaka", false)
		add(t, s, fx, "emile@contoso.example", "Émile Zola", true)
		add(t, s, fx, "hanako@contoso.example", "山田\u3000花子", false)
		add(t, s, fx, "kana@contoso.example", "ﾔﾏﾀﾞ ｶﾅ", false)
		for q, want := range map[string][]string{
			"tana": {"aiko.tanaka@contoso.example"}, "AIKO": {"aiko.tanaka@contoso.example"},
			"emi": {"emile@contoso.example"}, "ÉMILE zo": {"emile@contoso.example"},
			"花子": {"hanako@contoso.example"}, "ヤマダ": {"kana@contoso.example"}, "山田": {"hanako@contoso.example"},
			"zzz": nil,
		} {
			if got := all(t, s, fx.Partner, partner.UserQuery{Q: q}, 1); !slices.Equal(got, want) {
				t.Errorf("q=%s: %v, want %v", q, got, want)
			}
		}
		// "a" starts admin@ (and "administrator"), aiko.tanaka@ (and
		// "Aiko"): each once, in the order of its first matching token.
		if got := all(t, s, fx.Partner, partner.UserQuery{Q: "a"}, 1); !slices.Equal(got, []string{fx.Email, "aiko.tanaka@contoso.example"}) {
			t.Errorf("q=a: %v", got)
		}
		guest := true
		if got := all(t, s, fx.Partner, partner.UserQuery{Guest: &guest}, 2); !slices.Equal(got, []string{"emile@contoso.example"}) {
			t.Errorf("guests: %v", got)
		}
		if got := all(t, s, fx.Partner, partner.UserQuery{Role: access.GlobalAdmin}, 50); len(got) != 1 {
			t.Errorf("global admins: %v", got)
		}
		if got := all(t, s, fx.Other, partner.UserQuery{Q: "aiko"}, 10); len(got) != 0 {
			t.Errorf("another partner finds %v", got)
		}
		_, next, err := s.SearchUsers(ctx, fx.Partner, partner.UserQuery{Q: "a"}, 1, "")
		must(t, err)
		if _, _, err := s.SearchUsers(ctx, fx.Partner, partner.UserQuery{Q: "b"}, 1, next); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("another search's cursor: %v", err)
		}
	})

	run("RenameAndRemoveFollowTheIndex", func(t *testing.T, s MemberStore, fx DirectoryFixture) {
		d := Directory(s, nil)
		u := add(t, s, fx, "ann@contoso.example", "Ann Smith", false)
		name := "Ann Jones"
		if _, err := d.ChangeUser(ctx, admin(fx), u.ID, partner.UserPatch{DisplayName: &name}, fx.At); err != nil {
			t.Fatal(err)
		}
		if got := all(t, s, fx.Partner, partner.UserQuery{Q: "smith"}, 10); len(got) != 0 {
			t.Errorf("old name still found: %v", got)
		}
		if got := all(t, s, fx.Partner, partner.UserQuery{Q: "jon"}, 10); !slices.Equal(got, []string{"ann@contoso.example"}) {
			t.Errorf("new name: %v", got)
		}
		must(t, d.RemoveUser(ctx, admin(fx), u.ID, fx.At))
		if got := all(t, s, fx.Partner, partner.UserQuery{Q: "ann"}, 10); len(got) != 0 {
			t.Errorf("removed user found: %v", got)
		}
		if _, err := s.User(ctx, fx.Partner, u.ID); !errors.Is(err, partner.ErrUserNotFound) {
			t.Errorf("removed user reads: %v", err)
		}
		add(t, s, fx, "ANN@contoso.example", "Ann Again", false) // the email is free
	})

	run("LastGlobalAdminStays", func(t *testing.T, s MemberStore, fx DirectoryFixture) {
		d := Directory(s, nil)
		none := []access.Role{}
		if _, err := d.ChangeUser(ctx, admin(fx), fx.Admin, partner.UserPatch{Roles: &none}, fx.At); !errors.Is(err, partner.ErrLastGlobalAdmin) {
			t.Fatalf("demote the last: %v", err)
		}
		if err := d.RemoveUser(ctx, admin(fx), fx.Admin, fx.At); !errors.Is(err, partner.ErrLastGlobalAdmin) {
			t.Fatalf("remove the last: %v", err)
		}
		second := add(t, s, fx, "second@contoso.example", "Second", false, access.GlobalAdmin)
		if _, err := d.ChangeUser(ctx, admin(fx), fx.Admin, partner.UserPatch{Roles: &none}, fx.At); err != nil {
			t.Fatalf("demote with another: %v", err)
		}
		by := access.Caller{UserID: second.ID, PartnerID: fx.Partner, Roles: []access.Role{access.GlobalAdmin}}
		if err := d.RemoveUser(ctx, by, second.ID, fx.At); !errors.Is(err, partner.ErrLastGlobalAdmin) {
			t.Fatalf("remove the new last: %v", err)
		}
	})

	run("HolderStays", func(t *testing.T, s MemberStore, fx DirectoryFixture) {
		d := Directory(s, nil)
		u := add(t, s, fx, "mia@contoso.example", "Mia", false)
		ev := audit.New(ids.New, fx.Partner, fx.Admin, audit.ContactSet, "", fx.At)
		msg := mail.Message{ID: ids.New("msg"), To: []string{u.Email}, Template: "gtm-contact", Language: "en", CreatedAt: fx.At}
		must(t, s.SetContact(ctx, gtm.Contact{PartnerID: fx.Partner, UserID: u.ID, DisplayName: "Mia", Email: u.Email, Phone: "+15550100", Language: "en", UpdatedAt: fx.At, UpdatedBy: fx.Admin}, msg, ev, nil))
		err := d.RemoveUser(ctx, admin(fx), u.ID, fx.At)
		e, ok := apperr.As(err)
		if !errors.Is(err, partner.ErrUserHoldsBenefits) || !ok || !slices.Equal(e.Extra["holdings"].([]partner.Holding), []partner.Holding{{Kind: partner.HoldsMarketingContact}}) {
			t.Fatalf("remove the contact: %v", err)
		}
		if _, err := s.User(ctx, fx.Partner, u.ID); err != nil {
			t.Fatalf("the contact was removed: %v", err)
		}
	})
}
