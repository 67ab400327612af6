package catalog

import (
	"context"
	"time"

	"github.com/pbs/benefits/shared/apperr"
)

// The use case of publishing: the operator's document is validated (Parse)
// and becomes the live catalogue under its version label, which is
// immutable. Storing it is a Store's, so it runs on DynamoDB (shared/store)
// and on the in-memory fake (shared/store/storetest) alike.

// Errors of publishing and reading the live catalogue.
var (
	// ErrVersionExists: a version label was published before.
	ErrVersionExists = &apperr.Error{Kind: apperr.Unprocessable, Code: "catalog_invalid",
		Message: "The catalogue document is invalid.",
		Fields:  []apperr.FieldError{{Field: "version", Code: apperr.Duplicate, Message: "this version was already published; versions are immutable"}}}
	// ErrNotPublished: no catalogue was published yet.
	ErrNotPublished = apperr.New(apperr.NotFound, "not_found", "No catalogue has been published yet.")
)

// Store is what publishing needs of storage.
type Store interface {
	// PublishCatalog keeps doc as version c.Version and makes it current, in
	// one transaction. Errors: ErrVersionExists (nothing written).
	PublishCatalog(ctx context.Context, c *Catalog, doc []byte, by string, now time.Time) error
}

// Publisher runs the publishing use case.
type Publisher struct {
	Store Store
}

// Publish validates doc and makes it the live catalogue, published by
// operator by at now. Errors: Parse's catalog_invalid, ErrVersionExists.
func (p Publisher) Publish(ctx context.Context, doc []byte, by string, now time.Time) (*Catalog, error) {
	c, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	if err := p.Store.PublishCatalog(ctx, c, doc, by, now); err != nil {
		return nil, err
	}
	return c, nil
}
