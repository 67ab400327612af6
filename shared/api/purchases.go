package api

import (
	"context"
	"net/http"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/httpapi"
)

type purchaseBody struct {
	PackageID string `json:"packageId"`
}

// shop is the buying use cases over the service's store and catalogue cache.
func (s *Service) shop() benefit.Shop {
	return benefit.Shop{Store: s.Store, NewID: s.NewID, Catalog: s.catalog}
}

// createPurchase records a purchase of a catalogue package, creates its
// benefit lines and queues the receipt, all in one transaction.
func (s *Service) createPurchase(ctx context.Context, r *httpapi.Request, in purchaseBody) (httpapi.Response, error) {
	now := s.Clock.Now()
	purchase, lines, err := s.shop().Buy(ctx, r.Caller.PartnerID, in.PackageID, now)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp, err := httpapi.JSON(http.StatusCreated, viewNewPurchase(purchase, lines, r.Caller.UserID, now))
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
