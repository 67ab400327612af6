package api

import (
	"context"
	"net/http"
	"regexp"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/money"
)

// getBenefits is the dashboard: one Query for the caller's partner.
func (s *Service) getBenefits(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	o, err := s.Store.Dashboard(ctx, r.Caller.PartnerID)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Purchases []purchaseView `json:"purchases"`
		Benefits  []benefitView  `json:"benefits"`
	}{Purchases: make([]purchaseView, len(o.Purchases)), Benefits: viewBenefits(o, r.Caller.UserID, s.Clock.Now())}
	for i, p := range o.Purchases {
		out.Purchases[i] = viewPurchase(p)
	}
	return httpapi.JSON(http.StatusOK, out)
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// listPackages shows the current catalogue's packages, priced in the
// partner's billing currency (or ?currency=, which the operator uses).
func (s *Service) listPackages(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	cur := r.Query("currency")
	if cur != "" && !currencyRE.MatchString(cur) {
		var f apperr.Fields
		f.Add("currency", "must be an ISO 4217 code such as USD")
		return httpapi.Response{}, f.Err()
	}
	if cur == "" && r.Caller.IsPartnerUser() {
		p, err := s.Store.Partner(ctx, r.Caller.PartnerID)
		if err != nil {
			return httpapi.Response{}, err
		}
		cur = p.Currency
	}
	if cur == "" {
		cur = "USD"
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	if !cat.SupportsCurrency(cur) {
		return httpapi.Response{}, catalog.ErrCurrencyNotSupported
	}
	type line struct {
		Kind        catalog.Kind        `json:"kind"`
		Product     string              `json:"product"`
		Quantity    int                 `json:"quantity"`
		BenefitType catalog.BenefitType `json:"benefitType"`
	}
	type pkg struct {
		ID       string       `json:"id"`
		Plan     catalog.Plan `json:"plan"`
		Name     string       `json:"name"`
		Price    money.Money  `json:"price"`
		Benefits []line       `json:"benefits"`
	}
	out := struct {
		Items []pkg `json:"items"`
	}{Items: []pkg{}}
	for _, p := range cat.Packages {
		v := pkg{ID: p.ID, Plan: p.Plan, Name: p.Name, Price: money.Money{Amount: p.Price[cur], Currency: cur}}
		for _, l := range p.Benefits {
			v.Benefits = append(v.Benefits, line{l.Kind, l.Product, l.Quantity, l.BenefitType})
		}
		out.Items = append(out.Items, v)
	}
	return httpapi.JSON(http.StatusOK, out)
}
