package api

import (
	"context"
	"net/http"
	"regexp"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/httpapi"
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
		f.Add("currency", apperr.Format, "must be an ISO 4217 code such as USD")
		return httpapi.Response{}, f.Err()
	}
	cat, cur, err := s.shop().Packages(ctx, r.Caller.PartnerID, cur)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewPackages(cat, cur))
}
