package license

import (
	"context"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
)

// ErrNotPooled: the product's keys are signed or absent, not from a pool.
var ErrNotPooled = apperr.New(apperr.Unprocessable, "product_not_pooled", "This product's keys do not come from a pool.")

// PoolStore is what the operator's key import needs of storage.
type PoolStore interface {
	// ImportKeys adds keys to a product's pool: a key seen before, in this
	// input or ever (free or handed out), counts as a duplicate.
	ImportKeys(ctx context.Context, product string, keys []string, now time.Time) (imported, duplicates int, err error)
}

// Pools runs the operator's key import.
type Pools struct {
	Store PoolStore
	// Catalog is the current catalogue: only a pooled product takes keys.
	Catalog func(context.Context) (*catalog.Catalog, error)
}

// Import adds the keys read by keys to product's pool at now. keys runs
// only for a product of the current catalogue whose keys come from a pool,
// so a wrong product is answered before the upload is parsed. Errors:
// catalog.ErrProductNotFound, ErrNotPooled, and keys' own.
func (p Pools) Import(ctx context.Context, product string, keys func() ([]string, error), now time.Time) (imported, duplicates int, err error) {
	cat, err := p.Catalog(ctx)
	if err != nil {
		return 0, 0, err
	}
	prod, ok := cat.Products[product]
	if !ok {
		return 0, 0, catalog.ErrProductNotFound
	}
	if prod.KeySource != catalog.KeyFromPool {
		return 0, 0, ErrNotPooled
	}
	ks, err := keys()
	if err != nil {
		return 0, 0, err
	}
	return p.Store.ImportKeys(ctx, product, ks, now)
}
