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
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
)

// The demo partner has fixed ids so the README's walk-through can name them.
const (
	demoPartnerID = "ptn_demo"
	demoAdminID   = "usr_demo_admin"
	demoPoolSize  = 200
)

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
	p, err := partner.NewPartner(demoPartnerID, "Contoso Partner (demo)", "USD", "admin@contoso.example", "en", t)
	if err != nil {
		return sum, err
	}
	admin, err := partner.NewUser(demoAdminID, p.ID, p.AccountEmail, "Contoso administrator", []access.Role{access.GlobalAdmin}, false, t)
	if err != nil {
		return sum, err
	}
	if err := st.CreatePartner(ctx, p, admin); err != nil && !errors.Is(err, store.ErrPartnerExists) {
		return sum, err
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
