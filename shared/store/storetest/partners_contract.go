package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
)

// DirectoryStore is what the directory contract runs on: the use cases'
// store (partner.Store) and the read that checks what a change wrote.
// *store.Store has all of it.
type DirectoryStore interface {
	partner.Store
	User(ctx context.Context, partnerID, userID string) (partner.User, error)
}

// DirectoryFixture is what SeedDirectory wrote: two partners, each with
// its first admin.
type DirectoryFixture struct {
	At                    time.Time
	Partner, Admin, Email string
	Other, OtherAdmin     string
}

// SeedDirectory writes the partners of the directory contract.
func SeedDirectory(t testing.TB, s DirectoryStore) DirectoryFixture {
	t.Helper()
	fx := DirectoryFixture{At: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	d := Directory(s, DemoCatalog(t))
	for _, out := range []struct{ id, admin *string }{{&fx.Partner, &fx.Admin}, {&fx.Other, &fx.OtherAdmin}} {
		p, admin, err := d.AddPartner(context.Background(), partner.PartnerInput{Name: "Contoso", Currency: "USD", AccountEmail: "Admin@Contoso.example"}, fx.At)
		must(t, err)
		*out.id, *out.admin = p.ID, admin.ID
	}
	fx.Email = "Admin@Contoso.example"
	return fx
}

// DirectoryContract is what every partner.Store must do: write a partner
// with its first admin (readable, its email reserved), refuse a partner id
// taken, keep each email unique in its partner's directory compared
// without case (in any other partner it is free), and refuse a user of a
// partner that does not exist. newStore returns an empty store per case.
func DirectoryContract(t *testing.T, newStore func(t *testing.T) DirectoryStore) {
	run := caseRunner(t, newStore, SeedDirectory)
	ctx := store.NoWait(context.Background()) // lost rounds run again at once

	run("WritesTheFirstAdmin", func(t *testing.T, s DirectoryStore, fx DirectoryFixture) {
		u, err := s.User(ctx, fx.Partner, fx.Admin)
		if err != nil || u.Email != fx.Email || u.PartnerID != fx.Partner || len(u.Roles) != 1 || u.Roles[0] != access.GlobalAdmin {
			t.Fatalf("first admin %+v, %v", u, err)
		}
		if _, err := s.User(ctx, fx.Other, fx.Admin); !errors.Is(err, partner.ErrUserNotFound) {
			t.Fatalf("another partner reads the admin: %v", err)
		}
	})

	run("PartnerIDIsTaken", func(t *testing.T, s DirectoryStore, fx DirectoryFixture) {
		p, err := partner.NewPartner(partner.Partner{ID: fx.Partner, Name: "Again", Currency: "USD", AccountEmail: "new@again.example", Language: "", CreatedAt: fx.At})
		must(t, err)
		if err := s.CreatePartner(ctx, p, partner.FirstAdmin(ids.New("usr"), p, fx.At)); !errors.Is(err, partner.ErrPartnerExists) {
			t.Fatalf("a taken partner id: %v", err)
		}
	})

	run("EmailIsUniquePerPartner", func(t *testing.T, s DirectoryStore, fx DirectoryFixture) {
		add := func(partnerID, email string) (partner.User, error) {
			u, err := partner.NewUser(partner.User{ID: ids.New("usr"), PartnerID: partnerID, Email: email, DisplayName: "Ann", CreatedAt: fx.At})
			must(t, err)
			return u, s.CreateUser(ctx, u)
		}
		if _, err := add(fx.Partner, strings.ToLower(fx.Email)); !errors.Is(err, partner.ErrUserExists) {
			t.Fatalf("the admin's email in other case: %v", err)
		}
		u, err := add(fx.Partner, "ann@contoso.example")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.User(ctx, fx.Partner, u.ID); err != nil || got.Email != u.Email {
			t.Fatalf("user reads %+v, %v", got, err)
		}
		if _, err := add(fx.Partner, " ANN@contoso.example"); !errors.Is(err, partner.ErrUserExists) {
			t.Fatalf("a taken email: %v", err)
		}
		if _, err := add(fx.Other, "ann@contoso.example"); err != nil {
			t.Fatalf("the email in another partner: %v", err)
		}
	})

	run("NoPartnerNoUser", func(t *testing.T, s DirectoryStore, fx DirectoryFixture) {
		u, err := partner.NewUser(partner.User{ID: ids.New("usr"), PartnerID: "ptn_none", Email: "ann@none.example", DisplayName: "Ann", CreatedAt: fx.At})
		must(t, err)
		if err := s.CreateUser(ctx, u); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("user of no partner: %v", err)
		}
		if _, err := s.User(ctx, "ptn_none", u.ID); !errors.Is(err, partner.ErrUserNotFound) {
			t.Fatalf("it was written: %v", err)
		}
	})
}
