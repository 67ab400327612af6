package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/console"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
)

// The demo partner has fixed ids so the README's walk-through can name them.
const (
	demoPartnerID = "ptn_demo"
	demoAdminID   = "usr_demo_admin"
	demoPoolSize  = 200
)

// demoUsers are the demo partner's directory, one user per role (the first
// is the global admin CreatePartner makes); the console's local sign-in
// offers them.
var demoUsers = []demoUser{
	{console.DemoUser{ID: demoAdminID, Name: "Contoso administrator", Roles: []string{"global-admin"}}, "admin@contoso.example", false},
	{console.DemoUser{ID: "usr_demo_mpn", Name: "Aiko Tanaka", Roles: []string{"mpn-partner-admin"}}, "aiko@contoso.example", false},
	{console.DemoUser{ID: "usr_demo_users", Name: "Ben Ortiz", Roles: []string{"user-management-admin"}}, "ben@contoso.example", false},
	{console.DemoUser{ID: "usr_demo_agent", Name: "Chen Wei", Roles: []string{"admin-agent"}}, "chen@contoso.example", false},
	{console.DemoUser{ID: "usr_demo_dev", Name: "Dana Novak", Roles: []string{}}, "dana@contoso.example", false},
	{console.DemoUser{ID: "usr_demo_guest", Name: "Eli Guest", Roles: []string{}}, "eli@fabrikam.example", true},
}

type demoUser struct {
	console.DemoUser
	email string
	guest bool
}

// demoConsole is the local sign-in's config.json: the demo partner's users.
func demoConsole() console.Config {
	d := console.Demo{PartnerID: demoPartnerID}
	for _, u := range demoUsers {
		d.Users = append(d.Users, u.DemoUser)
	}
	return console.Config{Auth: console.Auth{Mode: console.ModeLocal, Demo: &d}}
}

// seedSummary is what `make dev` prints after seeding.
type seedSummary struct {
	CatalogVersion string
	PoolKeys       int
}

// seed publishes the demo catalogue, creates the demo partner (billed in USD,
// with a global admin) and fills every pooled product's key pool. Each step
// tolerates having been done before, so re-running against a kept database
// is harmless.
func seed(ctx context.Context, st *store.Store, now func() time.Time) (seedSummary, error) {
	var sum seedSummary
	cat, err := catalog.Parse(catalog.Demo)
	if err != nil {
		return sum, fmt.Errorf("demo catalogue: %w", err)
	}
	sum.CatalogVersion = cat.Version
	t := now()
	if err := st.PublishCatalog(ctx, cat, catalog.Demo, "make-dev", t); err != nil && !errors.Is(err, store.ErrCatalogVersionExists) {
		return sum, err
	}
	p, err := partner.NewPartner(partner.Partner{ID: demoPartnerID, Name: "Contoso Partner (demo)", Currency: "USD", AccountEmail: "admin@contoso.example", Language: "en", CreatedAt: t})
	if err != nil {
		return sum, err
	}
	admin, err := partner.NewUser(partner.User{ID: demoAdminID, PartnerID: p.ID, Email: p.AccountEmail, DisplayName: demoUsers[0].Name, Roles: []access.Role{access.GlobalAdmin}, CreatedAt: t})
	if err != nil {
		return sum, err
	}
	if err := st.CreatePartner(ctx, p, admin); err != nil && !errors.Is(err, store.ErrPartnerExists) {
		return sum, err
	}
	for _, d := range demoUsers[1:] {
		roles := make([]access.Role, len(d.Roles))
		for i, r := range d.Roles {
			roles[i] = access.Role(r)
		}
		u, err := partner.NewUser(partner.User{ID: d.ID, PartnerID: p.ID, Email: d.email, DisplayName: d.Name, Roles: roles, Guest: d.guest, CreatedAt: t})
		if err != nil {
			return sum, err
		}
		if err := st.CreateUser(ctx, u); err != nil && !errors.Is(err, partner.ErrUserExists) {
			return sum, err
		}
	}
	for id, prod := range cat.Products {
		if prod.KeySource != catalog.KeyFromPool {
			continue
		}
		n, _, err := st.ImportKeys(ctx, id, demoKeys(id, demoPoolSize), t)
		if err != nil {
			return sum, err
		}
		sum.PoolKeys += n
	}
	return sum, nil
}

// demoKeys makes stable, product-like keys (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX).
func demoKeys(product string, n int) []string {
	const alphabet = "BCDFGHJKMPQRTVWXY2346789"
	keys := make([]string, n)
	for i := range keys {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", product, i)))
		var b strings.Builder
		for j := 0; j < 25; j++ {
			if j > 0 && j%5 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(alphabet[int(sum[j])%len(alphabet)])
		}
		keys[i] = b.String()
	}
	return keys
}
