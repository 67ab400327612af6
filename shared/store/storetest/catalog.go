package storetest

import (
	"context"
	"slices"
	"time"

	"github.com/pbs/benefits/shared/catalog"
)

var _ catalog.Store = (*Fake)(nil)

// PublishCatalog keeps doc as version c.Version and makes it current.
// Errors: catalog.ErrVersionExists (nothing written).
func (f *Fake) PublishCatalog(_ context.Context, c *catalog.Catalog, doc []byte, _ string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.catalogs[c.Version]; ok {
		return catalog.ErrVersionExists
	}
	if f.catalogs == nil {
		f.catalogs = map[string][]byte{}
	}
	f.catalogs[c.Version] = slices.Clone(doc)
	f.current = f.catalogs[c.Version]
	return nil
}

// CurrentCatalog returns the live catalogue and its document as published.
// Errors: catalog.ErrNotPublished.
func (f *Fake) CurrentCatalog(context.Context) (*catalog.Catalog, []byte, error) {
	f.mu.Lock()
	doc := slices.Clone(f.current)
	f.mu.Unlock()
	if doc == nil {
		return nil, nil, catalog.ErrNotPublished
	}
	c, err := catalog.Decode(doc)
	if err != nil {
		return nil, nil, err
	}
	return c, doc, nil
}
