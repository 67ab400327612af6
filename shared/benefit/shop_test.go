package benefit_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The buying rules of docs/domain.md, through the use cases, on the
// in-memory fake (whose semantics storetest.ShopContract checks against
// DynamoDB Local). docs/domain.md links each rule to its test here.

func shop(t *testing.T) (benefit.Shop, *storetest.Fake, storetest.ShopFixture) {
	t.Helper()
	s := storetest.New()
	fx := storetest.SeedShop(t, s)
	return storetest.Shop(s, fx.Catalog), s, fx
}

// A purchase has a line per line of the package as the catalogue has it
// when bought: its version, the price in the partner's currency, each
// line's kind, product (and its name), quantity and plan.
func TestBuyMakesALinePerCatalogueLineWithItsSnapshot(t *testing.T) {
	sh, _, fx := shop(t)
	pur, lines, err := sh.Buy(context.Background(), fx.Partner, "gold-2026", fx.At)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := fx.Catalog.Package("gold-2026")
	if err != nil {
		t.Fatal(err)
	}
	if pur.CatalogVersion != fx.Catalog.Version || pur.Price.Currency != "EUR" || pur.Price.Amount != pkg.Price["EUR"] ||
		pur.Plan != pkg.Plan || pur.Status != benefit.PurchaseActive || !pur.PurchasedAt.Equal(fx.At) {
		t.Fatalf("purchase %+v", pur)
	}
	if len(lines) != len(pkg.Benefits) {
		t.Fatalf("%d lines for %d catalogue lines", len(lines), len(pkg.Benefits))
	}
	for i, l := range pkg.Benefits {
		b := lines[i]
		if b.PurchaseID != pur.ID || b.PartnerID != fx.Partner || b.Kind != l.Kind || b.Product != l.Product || b.Quantity != l.Quantity ||
			b.Plan != pkg.Plan || b.ProductName != fx.Catalog.Products[l.Product].Name || b.Status != benefit.Available {
			t.Fatalf("line %d: %+v for %+v", i, b, l)
		}
	}
}

// The receipt is queued with the purchase, in its transaction: to the
// account email, in the partner's language, naming the purchase.
func TestBuyQueuesTheReceiptWithThePurchase(t *testing.T) {
	sh, s, fx := shop(t)
	pur, lines, err := sh.Buy(context.Background(), fx.Partner, "action-pack-2026", fx.At)
	if err != nil {
		t.Fatal(err)
	}
	out := s.Outbox(fx.Partner)
	if len(out) != 1 {
		t.Fatalf("%d messages queued", len(out))
	}
	m := out[0]
	if m.Template != "purchase-receipt" || len(m.To) != 1 || m.To[0] != "billing@"+fx.Partner+".example" || m.Language != "ja" ||
		m.Data["purchaseId"] != pur.ID || m.Data["benefitCount"] != strconv.Itoa(len(lines)) || m.Data["price"] != pur.Price.String() ||
		m.Data["packageName"] != pur.PackageName || !m.CreatedAt.Equal(fx.At) {
		t.Fatalf("receipt %+v", m)
	}
	if len(s.Outbox(fx.Other)) != 0 {
		t.Fatal("the other partner got mail")
	}
}

// A bad or unknown package id is refused before anything is written.
func TestBuyRefusesABadPackageAndWritesNothing(t *testing.T) {
	sh, s, fx := shop(t)
	for id, code := range map[string]string{"": "validation_failed", " ": "validation_failed",
		strings.Repeat("p", catalog.MaxIDLen+1): "validation_failed", "platinum-2026": "package_not_found"} {
		_, _, err := sh.Buy(context.Background(), fx.Partner, id, fx.At)
		storetest.WantCode(t, err, code)
	}
	if len(s.Outbox(fx.Partner)) != 0 {
		t.Fatal("a refused purchase queued mail")
	}
}

// The listing is priced in the partner's billing currency unless one is
// asked for; the operator's default is USD; a currency the catalogue lacks
// is refused.
func TestPackagesArePricedInTheBuyersCurrency(t *testing.T) {
	sh, _, fx := shop(t)
	ctx := context.Background()
	for _, c := range []struct{ partnerID, asked, want string }{
		{fx.Partner, "", "EUR"}, {fx.Other, "", "USD"}, {fx.Partner, "JPY", "JPY"}, {"", "", "USD"}, {"", "GBP", "GBP"},
	} {
		cat, cur, err := sh.Packages(ctx, c.partnerID, c.asked)
		if err != nil || cur != c.want || cat != fx.Catalog {
			t.Fatalf("%+v: %s, %v", c, cur, err)
		}
	}
	_, _, err := sh.Packages(ctx, fx.Partner, "CHF")
	storetest.WantCode(t, err, "currency_not_supported")
}
