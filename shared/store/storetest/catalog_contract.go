package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/store"
)

// CatalogStore is what the catalogue contract runs on: the use case's
// store (catalog.Store) and the live catalogue's read, which the service
// caches. *store.Store has both.
type CatalogStore interface {
	catalog.Store
	CurrentCatalog(ctx context.Context) (*catalog.Catalog, []byte, error)
}

// DemoVersion is the demo catalogue under version label v.
func DemoVersion(t testing.TB, v string) []byte {
	t.Helper()
	doc := bytes.Replace(catalog.Demo, []byte(`"version": "`+DemoCatalog(t).Version+`"`), []byte(`"version": "`+v+`"`), 1)
	if bytes.Equal(doc, catalog.Demo) {
		t.Fatal("storetest: the demo catalogue's version label was not found")
	}
	return doc
}

// CatalogContract is what every catalog.Store must do: answer
// catalog.ErrNotPublished before a first publish, make each published
// version the live one with its document byte for byte, and refuse a
// version label published before (catalog.ErrVersionExists), leaving the
// live catalogue as it was. newStore returns an empty store per case.
func CatalogContract(t *testing.T, newStore func(t *testing.T) CatalogStore) {
	run := caseRunner(t, newStore, func(testing.TB, CatalogStore) struct{} { return struct{}{} })
	ctx := store.NoWait(context.Background()) // lost rounds run again at once
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	publish := func(t *testing.T, s CatalogStore, doc []byte) error {
		_, err := catalog.Publisher{Store: s}.Publish(ctx, doc, "usr_operator", at)
		return err
	}
	current := func(t *testing.T, s CatalogStore, version string, doc []byte) {
		t.Helper()
		c, got, err := s.CurrentCatalog(ctx)
		if err != nil || c.Version != version || !bytes.Equal(got, doc) {
			t.Fatalf("current catalogue %v (%d bytes), %v; want %s", c != nil && c.Version == version, len(got), err, version)
		}
	}

	run("PublishMakesLive", func(t *testing.T, s CatalogStore, _ struct{}) {
		if _, _, err := s.CurrentCatalog(ctx); !errors.Is(err, catalog.ErrNotPublished) {
			t.Fatalf("before a publish: %v", err)
		}
		v1, v2 := DemoVersion(t, "2027.1"), DemoVersion(t, "2027.2")
		must(t, publish(t, s, v1))
		current(t, s, "2027.1", v1)
		must(t, publish(t, s, v2))
		current(t, s, "2027.2", v2)
	})

	run("VersionsAreImmutable", func(t *testing.T, s CatalogStore, _ struct{}) {
		v1 := DemoVersion(t, "2027.1")
		must(t, publish(t, s, v1))
		must(t, publish(t, s, DemoVersion(t, "2027.2")))
		again := bytes.Replace(v1, []byte(`"USD": 47500`), []byte(`"USD": 1`), 1)
		if err := publish(t, s, again); !errors.Is(err, catalog.ErrVersionExists) {
			t.Fatalf("a version published again: %v", err)
		}
		current(t, s, "2027.2", DemoVersion(t, "2027.2"))
	})
}
