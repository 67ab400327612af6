package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// ShopStore is what the buying contract runs on: the use case's store
// (benefit.ShopStore), the fixture's partner write, and the reads that
// check what a purchase wrote. *store.Store has all of it.
type ShopStore interface {
	benefit.ShopStore
	CreatePartner(ctx context.Context, p partner.Partner, admin partner.User) error
	Benefit(ctx context.Context, partnerID, benefitID string) (benefit.Benefit, error)
	OutboxMail(ctx context.Context, id string) (mail.Queued, error)
	Audit(ctx context.Context, partnerID, benefitID string, limit int, cursor string) ([]audit.Event, string, error)
}

// ShopFixture is what SeedShop wrote.
type ShopFixture struct {
	At      time.Time
	Catalog *catalog.Catalog
	// Partner is billed in EUR (mail in Japanese), Other in USD.
	Partner, Other string
}

// SeedShop writes the partners of the buying contract and use-case tests.
func SeedShop(t testing.TB, s ShopStore) ShopFixture {
	t.Helper()
	ctx := context.Background()
	fx := ShopFixture{At: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Catalog: DemoCatalog(t), Partner: "ptn_shop_a", Other: "ptn_shop_b"}
	for id, cur := range map[string]string{fx.Partner: "EUR", fx.Other: "USD"} {
		p, err := partner.NewPartner(partner.Partner{ID: id, Name: "Partner " + id, Currency: cur, AccountEmail: "billing@" + id + ".example", Language: "ja", CreatedAt: fx.At})
		must(t, err)
		admin, err := partner.NewUser(partner.User{ID: "usr_admin_" + id, PartnerID: id, Email: p.AccountEmail, DisplayName: "Admin", Roles: []access.Role{access.GlobalAdmin}, CreatedAt: fx.At})
		must(t, err)
		must(t, s.CreatePartner(ctx, p, admin))
	}
	return fx
}

// DemoCatalog is the demo catalogue, parsed.
func DemoCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Parse(catalog.Demo)
	must(t, err)
	return c
}

// Shop returns the buying use cases over s, on catalogue cat.
func Shop(s benefit.ShopStore, cat *catalog.Catalog) benefit.Shop {
	return benefit.Shop{Store: s, NewID: ids.New, Catalog: func(context.Context) (*catalog.Catalog, error) { return cat, nil }}
}

// Directory returns the partner and directory use cases over s, on
// catalogue cat (nil: none published).
func Directory(s partner.Store, cat *catalog.Catalog) partner.Directory {
	d := partner.Directory{Store: s, NewID: ids.New, Catalog: func(context.Context) (*catalog.Catalog, error) {
		if cat == nil {
			return nil, catalog.ErrNotPublished
		}
		return cat, nil
	}}
	if m, ok := s.(partner.MemberStore); ok {
		d.Members = m
	}
	return d
}
