package license_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/store/storetest"
)

// Keys are imported only into the pool of a product of the live catalogue
// whose keys come from a pool; the upload is read only then. A key seen
// before, in the upload or in the pool, is a duplicate.
func TestImportOnlyIntoAPooledProduct(t *testing.T) {
	cat, err := catalog.Parse(catalog.Demo)
	if err != nil {
		t.Fatal(err)
	}
	var pooled, signed string
	for id, p := range cat.Products {
		switch p.KeySource {
		case catalog.KeyFromPool:
			pooled = id
		case catalog.KeySigned:
			signed = id
		}
	}
	pools := license.Pools{Store: storetest.New(), Catalog: func(context.Context) (*catalog.Catalog, error) { return cat, nil }}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	unread := func() ([]string, error) { t.Fatal("the upload was read"); return nil, nil }
	for product, code := range map[string]string{"no-such-product": "product_not_found", signed: "product_not_pooled"} {
		_, _, err := pools.Import(context.Background(), product, unread, at)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != code {
			t.Fatalf("%s: %v, want %s", product, err, code)
		}
	}
	keys := func(ks ...string) func() ([]string, error) { return func() ([]string, error) { return ks, nil } }
	if n, d, err := pools.Import(context.Background(), pooled, keys("K-1", "K-2", "K-1"), at); err != nil || n != 2 || d != 1 {
		t.Fatalf("first import: %d, %d, %v", n, d, err)
	}
	if n, d, err := pools.Import(context.Background(), pooled, keys("K-2", "K-3"), at); err != nil || n != 1 || d != 1 {
		t.Fatalf("second import: %d, %d, %v", n, d, err)
	}
}
