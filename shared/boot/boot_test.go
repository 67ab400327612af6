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
	if s.CatalogTTL != 0 || s.KeyPoolLowWater != 50 || s.SigningSeed != nil {
		t.Errorf("CATALOG_TTL=0s should disable the cache; defaults: %+v", s)
	}
	seed := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	s, err = FromEnv(env(map[string]string{"TABLE_NAME": "t", "LICENSE_SIGNING_SEED": seed, "KEY_POOL_LOW_WATER": "7"}))
	if err != nil || len(s.SigningSeed) != 32 || s.KeyPoolLowWater != 7 {
		t.Errorf("seed and low water: %+v %v", s, err)
	}
	if svc := NewService(s, nil, nil, nil); svc.Signer == nil || svc.Signer.KeyID == "" || svc.Signer.Keys[svc.Signer.KeyID] == nil {
		t.Error("a seed must give the service a signer that publishes its key")
	}
	for _, bad := range []map[string]string{
		{"TABLE_NAME": "t", "LICENSE_SIGNING_SEED": "c2hvcnQ="},
		{"TABLE_NAME": "t", "LICENSE_SIGNING_SEED": seed, "LICENSE_SIGNING_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:s"},
		{"TABLE_NAME": "t", "KEY_POOL_LOW_WATER": "-1"},
	} {
		if _, err := FromEnv(env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
