package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The publishing rules of docs/domain.md, through the use case, on the
// in-memory fake (whose semantics storetest.CatalogContract checks against
// DynamoDB Local).

var at = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// A document that does not validate is refused with its fields and
// nothing is published.
func TestPublishValidatesTheDocument(t *testing.T) {
	s := storetest.New()
	bad := bytes.Replace(storetest.DemoVersion(t, "2027.1"), []byte(`"currencies": [`), []byte(`"currencies": ["usd", `), 1)
	_, err := catalog.Publisher{Store: s}.Publish(context.Background(), bad, "usr_op", at)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "catalog_invalid" || len(ae.Fields) == 0 {
		t.Fatalf("error %v", err)
	}
	if _, _, err := s.CurrentCatalog(context.Background()); !errors.Is(err, catalog.ErrNotPublished) {
		t.Fatalf("something was published: %v", err)
	}
}

// A version label is published once; the live catalogue is the last
// version published.
func TestPublishVersionsAreImmutable(t *testing.T) {
	s := storetest.New()
	p := catalog.Publisher{Store: s}
	for _, v := range []string{"2027.1", "2027.2"} {
		c, err := p.Publish(context.Background(), storetest.DemoVersion(t, v), "usr_op", at)
		if err != nil || c.Version != v {
			t.Fatalf("publish %s: %v", v, err)
		}
	}
	if _, err := p.Publish(context.Background(), storetest.DemoVersion(t, "2027.1"), "usr_op", at); !errors.Is(err, catalog.ErrVersionExists) {
		t.Fatalf("republish: %v", err)
	}
	if c, _, err := s.CurrentCatalog(context.Background()); err != nil || c.Version != "2027.2" {
		t.Fatalf("live catalogue %v, %v", c, err)
	}
}
