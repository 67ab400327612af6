package api

import (
	"time"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/dashboard"
	"github.com/pbs/benefits/shared/money"
)

// viewNewPurchase is a purchase just bought: its lines as created, no
// credit state or seats yet.
func viewNewPurchase(p benefit.Purchase, lines []benefit.Benefit, callerID string, now time.Time) purchaseDetail {
	return viewDetail(p, dashboard.Overview{Purchases: []benefit.Purchase{p}, Lines: lines}, callerID, now)
}

type packageLineView struct {
	Kind        catalog.Kind        `json:"kind"`
	Product     string              `json:"product"`
	ProductName string              `json:"productName"`
	Quantity    int                 `json:"quantity"`
	BenefitType catalog.BenefitType `json:"benefitType"`
	// Credit lines: the amount per seat each creditPeriod, in the
	// listing's currency.
	CreditAmount *money.Money `json:"creditAmount,omitempty"`
	CreditPeriod string       `json:"creditPeriod,omitempty"`
	// Go-to-market lines: the offer's type.
	OfferType string `json:"offerType,omitempty"`
}

type packageView struct {
	ID       string            `json:"id"`
	Plan     catalog.Plan      `json:"plan"`
	Name     string            `json:"name"`
	Price    money.Money       `json:"price"`
	Benefits []packageLineView `json:"benefits"`
}

// viewPackages is the catalogue's packages priced in currency cur.
func viewPackages(cat *catalog.Catalog, cur string) page[packageView] {
	out := page[packageView]{Items: []packageView{}}
	for _, p := range cat.Packages {
		v := packageView{ID: p.ID, Plan: p.Plan, Name: p.Name, Price: money.Money{Amount: p.Price[cur], Currency: cur}}
		for _, l := range p.Benefits {
			prod := cat.Products[l.Product]
			lv := packageLineView{Kind: l.Kind, Product: l.Product, ProductName: prod.Name, Quantity: l.Quantity, BenefitType: l.BenefitType,
				CreditPeriod: benefit.CreditPeriod(l.Kind), OfferType: prod.OfferType}
			if amount, ok := l.Credit[cur]; ok && l.Kind.IsCredit() {
				lv.CreditAmount = &money.Money{Amount: amount, Currency: cur}
			}
			v.Benefits = append(v.Benefits, lv)
		}
		out.Items = append(out.Items, v)
	}
	return out
}
