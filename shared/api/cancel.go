package api

import (
	"context"
	"net/http"
	"time"

	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/money"
)

type serviceRequestView struct {
	ServiceRequestID string      `json:"serviceRequestId"`
	PartnerID        string      `json:"partnerId,omitempty"` // operator views only
	PurchaseID       string      `json:"purchaseId"`
	PackageName      string      `json:"packageName"`
	Status           string      `json:"status"`
	Refund           money.Money `json:"refund"`
	Reason           string      `json:"reason"`
	RequestedBy      string      `json:"requestedBy"`
	RequestedAt      time.Time   `json:"requestedAt"`
	ResolvedBy       string      `json:"resolvedBy,omitempty"`
	ResolvedAt       *time.Time  `json:"resolvedAt,omitempty"`
	Note             string      `json:"note,omitempty"`
}

func viewServiceRequest(sr cancel.ServiceRequest) *serviceRequestView {
	v := &serviceRequestView{ServiceRequestID: sr.ID, PurchaseID: sr.PurchaseID, PackageName: sr.PackageName, Status: string(sr.Status),
		Refund: sr.Refund, Reason: sr.Reason, RequestedBy: sr.RequestedBy, RequestedAt: sr.RequestedAt, ResolvedBy: sr.ResolvedBy, Note: sr.Note}
	if !sr.ResolvedAt.IsZero() {
		at := sr.ResolvedAt
		v.ResolvedAt = &at
	}
	return v
}

// cancellations is the cancellation use cases over the service's store.
func (s *Service) cancellations() cancel.Requests {
	return cancel.Requests{Store: s.Store, NewID: s.NewID}
}

type cancelBody struct {
	Reason string `json:"reason"`
}

// requestCancel cancels a purchase for a refund: 201 with its service
// request.
func (s *Service) requestCancel(ctx context.Context, r *httpapi.Request, in cancelBody) (httpapi.Response, error) {
	sr, err := s.cancellations().Cancel(ctx, r.Caller.PartnerID, r.Caller.UserID, r.Path("id"), in.Reason, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, viewServiceRequest(sr))
}

// listServiceRequests pages through the refunds for the operator.
func (s *Service) listServiceRequests(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	srs, next, err := s.cancellations().List(ctx, r.Query("status"), limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, pageOf(srs, next, operatorServiceRequest))
}

type resolveBody struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// resolveServiceRequest records the refund's outcome and emails the
// partner's global admins.
func (s *Service) resolveServiceRequest(ctx context.Context, r *httpapi.Request, in resolveBody) (httpapi.Response, error) {
	sr, err := s.cancellations().Resolve(ctx, r.Caller.UserID, r.Path("id"), in.Status, in.Note, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, operatorServiceRequest(sr))
}

// operatorServiceRequest is the operator's view, which names the partner.
func operatorServiceRequest(sr cancel.ServiceRequest) *serviceRequestView {
	v := viewServiceRequest(sr)
	v.PartnerID = sr.PartnerID
	return v
}
