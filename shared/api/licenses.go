package api

import (
	"context"
	"net/http"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/license"
)

type redemptionView struct {
	TenantID          string    `json:"tenantId"`
	Mode              string    `json:"mode"`
	RedeemedBy        string    `json:"redeemedBy"`
	RedeemedAt        time.Time `json:"redeemedAt"`
	Seats             int       `json:"seats"`
	EndDate           time.Time `json:"endDate"`
	TermUnder12Months bool      `json:"termUnder12Months"`
}

func viewRedemption(r *benefit.Redemption) *redemptionView {
	if r == nil {
		return nil
	}
	return &redemptionView{TenantID: r.TenantID, Mode: r.Mode, RedeemedBy: r.By, RedeemedAt: r.At, Seats: r.Seats,
		EndDate: r.EndDate, TermUnder12Months: r.TermUnder12Months}
}

// licenseView is a licence line as its reader may see it.
type licenseView struct {
	BenefitID    string          `json:"benefitId"`
	Product      string          `json:"product"`
	ProductName  string          `json:"productName"`
	Plan         string          `json:"plan,omitempty"`
	Quantity     int             `json:"quantity"`
	BenefitType  string          `json:"benefitType"`
	Status       string          `json:"status"`
	ExpiresAt    time.Time       `json:"expiresAt"`
	Instructions string          `json:"instructions"`
	PortalURL    string          `json:"portalUrl,omitempty"`
	Key          string          `json:"key,omitempty"`
	Redemption   *redemptionView `json:"redemption"`
}

func viewLicense(b benefit.Benefit, p catalog.Product, lang string, now time.Time) licenseView {
	return licenseView{BenefitID: b.ID, Product: b.Product, ProductName: b.ProductName, Plan: string(b.Plan), Quantity: b.Quantity,
		BenefitType: string(b.BenefitType), Status: string(b.EffectiveStatus(now)), ExpiresAt: b.ExpiresAt,
		Instructions: p.InstructionsFor(lang), PortalURL: p.PortalURL, Key: b.Key, Redemption: viewRedemption(b.Redemption)}
}

// getLicense shows a licence line: how and where to redeem it, whether it
// was redeemed, and to the roles that may redeem, its product key. The
// first such read takes the key from the product's pool (once, under any
// concurrency); a member's read never does.
func (s *Service) getLicense(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	now := s.Clock.Now()
	b, err := s.keys().License(ctx, r.Caller.PartnerID, r.Caller.UserID, r.Path("benefitId"), r.Caller.Can(access.GetSoftware), now)
	if err != nil {
		return httpapi.Response{}, err
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp, err := httpapi.JSON(http.StatusOK, viewLicense(b, cat.Products[b.Product], language(r), now))
	if err == nil {
		resp.Headers["Cache-Control"] = "no-store" // may carry the key
	}
	return resp, err
}

type redeemBody struct {
	TenantID string `json:"tenantId"`
	Mode     string `json:"mode"`
}

// redeemLicense redeems a licence line's key on a tenant, once.
func (s *Service) redeemLicense(ctx context.Context, r *httpapi.Request, in redeemBody) (httpapi.Response, error) {
	tenantID, mode, err := license.ParseRedemption(in.TenantID, in.Mode)
	if err != nil {
		return httpapi.Response{}, err
	}
	red, err := s.keys().Redeem(ctx, r.Caller.PartnerID, r.Caller.UserID, r.Path("benefitId"), tenantID, mode, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, struct {
		BenefitID string `json:"benefitId"`
		redemptionView
	}{BenefitID: r.Path("benefitId"), redemptionView: redemptionView{TenantID: tenantID, Mode: string(mode), RedeemedBy: red.By,
		RedeemedAt: red.At, Seats: red.After.Seats, EndDate: red.After.EndDate, TermUnder12Months: red.TermUnder12Months}})
}
