package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store"
)

type purchaseBody struct {
	PackageID string `json:"packageId"`
}

// createPurchase records a purchase of a catalogue package, creates its
// benefit lines and queues the receipt, all in one transaction.
func (s *Service) createPurchase(ctx context.Context, r *httpapi.Request, in purchaseBody) (httpapi.Response, error) {
	if strings.TrimSpace(in.PackageID) == "" {
		var f apperr.Fields
		f.Add("packageId", "required")
		return httpapi.Response{}, f.Err()
	}
	if err := apperr.CheckLen("packageId", in.PackageID, catalog.MaxIDLen); err != nil {
		return httpapi.Response{}, err
	}
	p, err := s.Store.Partner(ctx, r.Caller.PartnerID)
	if err != nil {
		return httpapi.Response{}, err
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	now := s.Clock.Now()
	purchase, lines, err := benefit.NewPurchase(p.ID, p.Currency, cat, in.PackageID, now, s.NewID)
	if err != nil {
		return httpapi.Response{}, err
	}
	receipt := mail.Message{
		ID: s.NewID("msg"), To: []string{p.AccountEmail}, Template: "purchase-receipt", Language: p.Language, CreatedAt: now,
		Data: map[string]string{
			"partnerName": p.Name, "packageName": purchase.PackageName, "plan": string(purchase.Plan),
			"purchaseId": purchase.ID, "price": purchase.Price.String(),
			"purchasedAt": now.Format(time.RFC3339), "benefitCount": strconv.Itoa(len(lines)),
		},
	}
	if err := s.Store.CreatePurchase(ctx, purchase, lines, receipt); err != nil {
		return httpapi.Response{}, err
	}
	resp, err := httpapi.JSON(http.StatusCreated, viewDetail(purchase, store.Overview{Purchases: []benefit.Purchase{purchase}, Lines: lines}, r.Caller.UserID, now))
	if err != nil {
		return httpapi.Response{}, err
	}
	resp.Headers["Location"] = "/v1/purchases/" + purchase.ID
	return resp, nil
}

// getPurchase shows one purchase with its lines; another partner's id is 404.
func (s *Service) getPurchase(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	id := r.Path("id")
	p, lines, err := s.Store.Purchase(ctx, r.Caller.PartnerID, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewDetail(p, lines, r.Caller.UserID, s.Clock.Now()))
}
