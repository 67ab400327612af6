package benefit

import (
	"errors"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
)

func demo(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Parse(catalog.Demo)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewPurchaseSnapshotsEveryLine(t *testing.T) {
	cat := demo(t)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	p, lines, err := NewPurchase("ptn_1", "JPY", cat, "gold-2026", now, ids.Sequence())
	if err != nil {
		t.Fatal(err)
	}
	pkg, _ := cat.Package("gold-2026")
	if p.Plan != catalog.Gold || p.Status != PurchaseActive || p.Price.Currency != "JPY" || p.Price.Amount != pkg.Price["JPY"] {
		t.Errorf("purchase = %+v", p)
	}
	if p.CatalogVersion != cat.Version {
		t.Errorf("catalog version not recorded: %q", p.CatalogVersion)
	}
	if len(lines) != len(pkg.Benefits) {
		t.Fatalf("got %d lines, want %d", len(lines), len(pkg.Benefits))
	}
	wantExpiry := time.Date(2027, 11, 24, 10, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for i, b := range lines {
		if seen[b.ID] {
			t.Errorf("duplicate benefit id %s", b.ID)
		}
		seen[b.ID] = true
		l := pkg.Benefits[i]
		if b.Kind != l.Kind || b.Product != l.Product || b.Quantity != l.Quantity || b.BenefitType != l.BenefitType {
			t.Errorf("line %d = %+v, catalogue %+v", i, b, l)
		}
		if b.Status != Available || b.Used != 0 || b.PurchaseID != p.ID || b.PartnerID != "ptn_1" {
			t.Errorf("line %d state = %+v", i, b)
		}
		if !b.ExpiresAt.Equal(wantExpiry) {
			t.Errorf("line %d expires %v, want purchase + 12 months %v", i, b.ExpiresAt, wantExpiry)
		}
		if l.Kind.IsCredit() != (b.Credit != nil) {
			t.Errorf("line %d credit = %v", i, b.Credit)
		}
		if b.Credit != nil && (b.Credit.Currency != "JPY" || b.Credit.Amount != l.Credit["JPY"]) {
			t.Errorf("line %d credit %+v not in partner currency", i, b.Credit)
		}
	}
}

func TestNewPurchaseErrors(t *testing.T) {
	cat := demo(t)
	now := time.Now()
	if _, _, err := NewPurchase("p", "USD", cat, "nope", now, ids.Sequence()); !errors.Is(err, catalog.ErrPackageNotFound) {
		t.Errorf("unknown package: %v", err)
	}
	if _, _, err := NewPurchase("p", "CHF", cat, "gold-2026", now, ids.Sequence()); !errors.Is(err, catalog.ErrCurrencyNotSupported) {
		t.Errorf("unsupported currency: %v", err)
	}
}

func TestAddMonthsClampsToMonthEnd(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-01-31T12:00:00Z", "2027-01-31T12:00:00Z"},
		{"2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z"},
		{"2026-11-24T10:00:00Z", "2027-11-24T10:00:00Z"},
	}
	for _, tc := range tests {
		in, _ := time.Parse(time.RFC3339, tc.in)
		if got := AddMonths(in, 12).Format(time.RFC3339); got != tc.want {
			t.Errorf("%s + 12 months = %s, want %s", tc.in, got, tc.want)
		}
	}
	jan31, _ := time.Parse(time.RFC3339, "2026-01-31T00:00:00Z")
	if got := AddMonths(jan31, 1).Format("2006-01-02"); got != "2026-02-28" {
		t.Errorf("31 Jan + 1 month = %s", got)
	}
}

func TestEffectiveStatus(t *testing.T) {
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	b := Benefit{Status: Activated, ExpiresAt: exp}
	if b.EffectiveStatus(exp.Add(-time.Second)) != Activated {
		t.Error("before expiry the stored status shows")
	}
	if b.EffectiveStatus(exp) != Expired {
		t.Error("at expiry the line reads expired")
	}
	b.Status = Revoked
	if b.EffectiveStatus(exp.Add(time.Hour)) != Revoked {
		t.Error("revoked stays revoked after expiry")
	}
}

func TestUsable(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	live := Benefit{Kind: catalog.Software, Status: Available, ExpiresAt: now.AddDate(1, 0, 0)}
	tests := []struct {
		name string
		b    Benefit
		kind catalog.Kind
		want error
	}{
		{"available software", live, catalog.Software, nil},
		{"activated software", func() Benefit { b := live; b.Status = Activated; return b }(), catalog.Software, nil},
		{"wrong kind", live, catalog.License, apperr.ErrNotFound},
		{"revoked", func() Benefit { b := live; b.Status = Revoked; return b }(), catalog.Software, ErrRevoked},
		{"past expiry", func() Benefit { b := live; b.ExpiresAt = now; return b }(), catalog.Software, ErrExpired},
	}
	for _, tc := range tests {
		if err := tc.b.Usable(tc.kind, now); !errors.Is(err, tc.want) && err != tc.want {
			t.Errorf("%s: got %v want %v", tc.name, err, tc.want)
		}
	}
}
