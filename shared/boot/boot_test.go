package boot

import (
	"strings"
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if _, err := FromEnv(env(nil)); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Errorf("missing TABLE_NAME must be named, got %v", err)
	}
	s, err := FromEnv(env(map[string]string{"TABLE_NAME": "t"}))
	if err != nil || s.TableName != "t" || s.CatalogTTL != 30*time.Second {
		t.Errorf("defaults: %+v %v", s, err)
	}
	if _, err := FromEnv(env(map[string]string{"TABLE_NAME": "t", "CATALOG_TTL": "soon"})); err == nil {
		t.Error("a bad CATALOG_TTL must fail")
	}
	s, _ = FromEnv(env(map[string]string{"TABLE_NAME": "t", "CATALOG_TTL": "0s"}))
	if s.CatalogTTL != 0 {
		t.Errorf("CATALOG_TTL=0s should disable the cache, got %v", s.CatalogTTL)
	}
}
