package api

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/store"
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

// getLicense shows a licence line: how and where to redeem it, whether it
// was redeemed, and to the roles that may redeem, its product key. The
// first such read takes the key from the product's pool (once, under any
// concurrency); a member's read never does.
func (s *Service) getLicense(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	b, err := s.benefitOf(ctx, r)
	if err != nil {
		return httpapi.Response{}, err
	}
	if b.Kind != catalog.License {
		return httpapi.Response{}, apperr.ErrNotFound
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	product := cat.Products[b.Product]
	now := s.Clock.Now()
	seesKey := r.Caller.Can(access.GetSoftware)
	if seesKey && b.Key == "" && b.Usable(catalog.License, now) == nil {
		b.Key, err = s.firstKey(ctx, b, product, now, s.event(r, audit.LicenseKeyIssued, b.ID))
		switch {
		case errors.Is(err, benefit.ErrRevoked):
			b.Status = benefit.Revoked // a racing cancel won: the view, without a key
		case errors.Is(err, benefit.ErrExpired):
			b.Status = benefit.Expired
		case err != nil:
			return httpapi.Response{}, err
		}
	}
	out := struct {
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
	}{BenefitID: b.ID, Product: b.Product, ProductName: b.ProductName, Plan: string(b.Plan), Quantity: b.Quantity,
		BenefitType: string(b.BenefitType), Status: string(b.EffectiveStatus(now)), ExpiresAt: b.ExpiresAt,
		Instructions: product.InstructionsFor(language(r)), PortalURL: product.PortalURL, Redemption: viewRedemption(b.Redemption)}
	if seesKey && b.Status != benefit.Revoked {
		out.Key = b.Key // a revoked line's key, shown before the cancel, never again
	}
	resp, err := httpapi.JSON(http.StatusOK, out)
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
	benefitID := r.Path("benefitId")
	tenantID, terr := license.ParseTenant(in.TenantID)
	mode, merr := license.ParseMode(in.Mode)
	if err := errors.Join(terr, merr); err != nil {
		var f apperr.Fields
		for _, e := range []error{terr, merr} {
			if ae, ok := apperr.As(e); ok {
				f = append(f, ae.Fields...)
			}
		}
		return httpapi.Response{}, f.Err()
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	for attempt := range seatAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(rand.IntN(10<<attempt)) * time.Millisecond)
		}
		now := s.Clock.Now()
		b, err := s.Store.Benefit(ctx, r.Caller.PartnerID, benefitID)
		if err != nil {
			return httpapi.Response{}, err
		}
		if err := b.Usable(catalog.License, now); err != nil {
			return httpapi.Response{}, err
		}
		if b.Redemption != nil {
			return httpapi.Response{}, license.ErrAlreadyRedeemed
		}
		if b.Key == "" {
			if b.Key, err = s.firstKey(ctx, b, cat.Products[b.Product], now, s.event(r, audit.LicenseKeyIssued, b.ID)); err != nil {
				return httpapi.Response{}, err
			}
		}
		sub, err := s.Store.TenantSubscription(ctx, r.Caller.PartnerID, tenantID, b.Product)
		if err != nil {
			return httpapi.Response{}, err
		}
		red, err := license.Redeem(b, sub, mode, r.Caller.UserID, now)
		if err != nil {
			return httpapi.Response{}, err
		}
		ev := s.event(r, audit.LicenseRedeemed, b.ID).About("", map[string]string{"tenantId": tenantID, "mode": string(mode)})
		err = s.Store.Redeem(ctx, b, red, ev)
		if errors.Is(err, store.ErrBenefitChanged) || errors.Is(err, store.ErrTenantChanged) {
			continue // the re-read says why: redeemed by the racing call, or a new tenant state
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		return httpapi.JSON(http.StatusOK, struct {
			BenefitID string `json:"benefitId"`
			redemptionView
		}{BenefitID: b.ID, redemptionView: redemptionView{TenantID: tenantID, Mode: string(mode), RedeemedBy: red.By,
			RedeemedAt: red.At, Seats: red.After.Seats, EndDate: red.After.EndDate, TermUnder12Months: red.TermUnder12Months}})
	}
	return httpapi.Response{}, apperr.New(apperr.Conflict, "license_busy", "This licence or tenant is being changed by other requests; retry.")
}
