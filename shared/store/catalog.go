package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
)

// catalogItem stores a catalogue document. Each published version is kept
// (VERSION#<label>) for audit, and CURRENT holds a copy of the live one so
// that reading the catalogue is a single GetItem.
type catalogItem struct {
	PK          string
	SK          string
	Type        string    `dynamodbav:"type"`
	Version     string    `dynamodbav:"version"`
	Document    string    `dynamodbav:"document"`
	PublishedAt time.Time `dynamodbav:"publishedAt"`
	PublishedBy string    `dynamodbav:"publishedBy"`
}

// ErrCatalogVersionExists is returned when a version label was published before.
var ErrCatalogVersionExists = catalog.ErrVersionExists

// ErrNoCatalog is returned before any catalogue was published.
var ErrNoCatalog = catalog.ErrNotPublished

// PublishCatalog stores a validated document as a new immutable version and
// makes it current, in one transaction. Errors: ErrCatalogVersionExists.
func (s *Store) PublishCatalog(ctx context.Context, c *catalog.Catalog, doc []byte, by string, now time.Time) (err error) {
	defer wrap(&err, "publish catalogue %s", c.Version)
	version := catalogItem{PK: catalogPK, SK: catalogVersionSK(c.Version), Type: typeCatalog, Version: c.Version,
		Document: string(doc), PublishedAt: now, PublishedBy: by}
	current := version
	current.SK = currentSK
	vi, err := attributevalue.MarshalMap(version)
	if err != nil {
		return err
	}
	ci, err := attributevalue.MarshalMap(current)
	if err != nil {
		return err
	}
	err = s.commit(ctx, []types.TransactWriteItem{put(s.table, vi, notExists), put(s.table, ci, "")})
	if failedAt(cancelReasons(err), 0) {
		return ErrCatalogVersionExists
	}
	return err
}

// CurrentCatalog returns the live catalogue and its document as published.
// Errors: ErrNoCatalog.
func (s *Store) CurrentCatalog(ctx context.Context) (c *catalog.Catalog, doc []byte, err error) {
	defer wrap(&err, "read current catalogue")
	var item catalogItem
	if err := s.get(ctx, catalogPK, currentSK, &item); err != nil {
		if apperr.ErrNotFound.Is(err) {
			return nil, nil, ErrNoCatalog
		}
		return nil, nil, err
	}
	c, err = catalog.Decode([]byte(item.Document))
	if err != nil {
		return nil, nil, err
	}
	return c, []byte(item.Document), nil
}
