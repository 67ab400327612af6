package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// seedStore is the fixture writes every noun's store has, real or fake.
type seedStore interface {
	CreatePartner(ctx context.Context, p partner.Partner, admin partner.User) error
	CreateUser(ctx context.Context, u partner.User) error
	CreatePurchase(ctx context.Context, p benefit.Purchase, lines []benefit.Benefit, owed ...mail.Message) error
}

// seedAt is when every fixture's partners are created and buy.
var seedAt = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// seeder writes the partners, users and purchases a fixture starts from,
// with the demo catalogue and deterministic line ids; any failure ends the
// test.
type seeder struct {
	t   testing.TB
	s   seedStore
	ctx context.Context
	cat *catalog.Catalog
	gen ids.Generator
}

func newSeeder(t testing.TB, s seedStore) *seeder {
	t.Helper()
	cat, err := catalog.Parse(catalog.Demo)
	if err != nil {
		t.Fatal(err)
	}
	return &seeder{t: t, s: s, ctx: context.Background(), cat: cat, gen: ids.Sequence()}
}

func (sd *seeder) must(err error) {
	sd.t.Helper()
	if err != nil {
		sd.t.Fatal(err)
	}
}

// partner creates partner id (USD, English) with its global admin,
// usr_admin_<id>, and returns the admin's id.
func (sd *seeder) partner(id string) string {
	sd.t.Helper()
	p, err := partner.NewPartner(partner.Partner{ID: id, Name: "Partner " + id, Currency: "USD", AccountEmail: "admin@" + id + ".example", Language: "en", CreatedAt: seedAt})
	sd.must(err)
	admin := sd.newUser("usr_admin_"+id, id, p.AccountEmail, access.GlobalAdmin)
	sd.must(sd.s.CreatePartner(sd.ctx, p, admin))
	return admin.ID
}

// user adds a directory user named "User <id>".
func (sd *seeder) user(id, partnerID, email string, roles ...access.Role) {
	sd.t.Helper()
	sd.must(sd.s.CreateUser(sd.ctx, sd.newUser(id, partnerID, email, roles...)))
}

func (sd *seeder) newUser(id, partnerID, email string, roles ...access.Role) partner.User {
	sd.t.Helper()
	u, err := partner.NewUser(partner.User{ID: id, PartnerID: partnerID, Email: email, DisplayName: "User " + id, Roles: append([]access.Role{}, roles...), CreatedAt: seedAt})
	sd.must(err)
	return u
}

// twoPartners creates partnerID with seven directory users (usr_1 …
// usr_7, besides its admin) and otherID with one, otherUserID: the
// directory the seat nouns' fixtures assign from. It returns partnerID's
// admin and users.
func (sd *seeder) twoPartners(partnerID, otherID, otherUserID string) (admin string, users []string) {
	sd.t.Helper()
	admin = sd.partner(partnerID)
	sd.partner(otherID)
	for i := 1; i <= 7; i++ {
		id := fmt.Sprintf("usr_%d", i)
		sd.user(id, partnerID, fmt.Sprintf("u%d@%s.example", i, partnerID))
		users = append(users, id)
	}
	sd.user(otherUserID, otherID, "u1@"+otherID+".example")
	return admin, users
}

// buy records a purchase of catalogue package pkg at when and returns its
// lines.
func (sd *seeder) buy(partnerID, pkg string, when time.Time) (benefit.Purchase, []benefit.Benefit) {
	sd.t.Helper()
	pur, lines, err := benefit.NewPurchase(partnerID, "USD", sd.cat, pkg, when, sd.gen)
	sd.must(err)
	sd.must(sd.s.CreatePurchase(sd.ctx, pur, lines))
	return pur, lines
}
