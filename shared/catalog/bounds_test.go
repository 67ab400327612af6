package catalog

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/pbs/benefits/shared/apperr"
)

// Documented maxima (docs/domain.md, the OpenAPI Catalog schemas), restated.
const (
	docMaxAmount   = 1_000_000_000_000 // minor units, per price and per credit grant
	docMaxQuantity = 100_000
	docMaxMonths   = 60
)

// TestBoundsKeepSumsInInt64: the biggest sums the service keeps, from the
// largest catalogue the bounds allow, fit in an int64: a monthly credit's
// balance (every seat granted every month of the longest validity, plus the
// month it starts in) and a package's refund.
func TestBoundsKeepSumsInInt64(t *testing.T) {
	if MaxAmount != docMaxAmount || MaxQuantity != docMaxQuantity || MaxMonths != docMaxMonths {
		t.Fatalf("maxima %d, %d, %d differ from docs/domain.md's %d, %d, %d",
			MaxAmount, MaxQuantity, MaxMonths, docMaxAmount, docMaxQuantity, docMaxMonths)
	}
	balance := new(big.Int).Mul(big.NewInt(MaxAmount), big.NewInt(MaxQuantity))
	balance.Mul(balance, big.NewInt(MaxMonths+1))
	if !balance.IsInt64() {
		t.Fatalf("a monthly credit's balance can reach %v, past int64", balance)
	}
	t.Logf("largest credit balance %v = %.2f%% of MaxInt64", balance, 100*float64(balance.Int64())/math.MaxInt64)
}

// TestValidateBoundsAmountsAndQuantities: each price, credit amount,
// quantity and month count is accepted at its maximum and refused one past
// it, naming the field, in a document published as JSON.
func TestValidateBoundsAmountsAndQuantities(t *testing.T) {
	// The demo's first package has a monthly credit line (demo shape test).
	credit := slices.IndexFunc(mustParse(t).Packages[0].Benefits, func(l Line) bool { return l.Kind.IsCredit() })
	if credit < 0 {
		t.Fatal("the demo's first package has no credit line")
	}
	cl := fmt.Sprintf("packages[0].benefits[%d]", credit)
	cases := []struct {
		field string
		max   int64
		set   func(c *Catalog, v int64)
	}{
		{"packages[0].price.USD", docMaxAmount, func(c *Catalog, v int64) { c.Packages[0].Price["USD"] = v }},
		{"packages[0].price.JPY", docMaxAmount, func(c *Catalog, v int64) { c.Packages[0].Price["JPY"] = v }},
		{cl + ".credit.EUR", docMaxAmount, func(c *Catalog, v int64) { c.Packages[0].Benefits[credit].Credit["EUR"] = v }},
		{cl + ".quantity", docMaxQuantity, func(c *Catalog, v int64) { c.Packages[0].Benefits[credit].Quantity = int(v) }},
		{cl + ".validityMonths", docMaxMonths, func(c *Catalog, v int64) { c.Packages[0].Benefits[credit].ValidityMonths = int(v) }},
	}
	for _, tc := range cases {
		for _, v := range []int64{tc.max, tc.max + 1, math.MaxInt64} {
			c := mustParse(t)
			tc.set(c, v)
			doc, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(doc)
			if v <= tc.max {
				if err != nil {
					t.Errorf("%s = %d (the maximum) refused: %v", tc.field, v, err)
				}
				continue
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != "catalog_invalid" || !slices.ContainsFunc(e.Fields, func(f apperr.FieldError) bool { return f.Field == tc.field }) {
				t.Errorf("%s = %d: %v, want catalog_invalid naming %s", tc.field, v, err, tc.field)
			}
		}
	}
}

func mustParse(t *testing.T) *Catalog {
	t.Helper()
	c, err := Parse(Demo)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestValidateBoundsPackageItems: a package whose purchase writes
// MaxPackageItems items (a credit line counts twice) is valid; one more
// item is refused at packages[i].benefits.
func TestValidateBoundsPackageItems(t *testing.T) {
	for _, extra := range []int{0, 1} {
		c := mustParse(t)
		credit := Line{Kind: CreditMonthly, Product: "cloud-credit-monthly", Quantity: 1, BenefitType: Core, Credit: Money{}}
		for _, cur := range c.Currencies {
			credit.Credit[cur] = 1
		}
		lines := []Line{credit}
		for range MaxPackageItems - 2 + extra {
			lines = append(lines, Line{Kind: Software, Product: "office-suite-pro", Quantity: 1, BenefitType: Core})
		}
		c.Packages[0].Benefits = lines
		if got := c.Packages[0].Items(); got != MaxPackageItems+extra {
			t.Fatalf("Items() = %d, want %d", got, MaxPackageItems+extra)
		}
		refused := slices.ContainsFunc(c.Validate(), func(f apperr.FieldError) bool { return f.Field == "packages[0].benefits" })
		if refused != (extra > 0) {
			t.Errorf("%d items: refused %v", MaxPackageItems+extra, refused)
		}
	}
}
