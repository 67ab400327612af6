package api

import (
	"context"
	"net/http"
	"time"

	"github.com/pbs/benefits/shared/adminrequest"
	"github.com/pbs/benefits/shared/httpapi"
)

// adminRequestView is a request to become a global admin; its status is
// as of the request (an open one past its expiry is "expired").
type adminRequestView struct {
	ID             string     `json:"id"`
	PartnerID      string     `json:"partnerId,omitempty"` // operator views only
	RequestedBy    string     `json:"requestedBy"`
	RequesterEmail string     `json:"requesterEmail"`
	RequesterName  string     `json:"requesterName"`
	Reason         string     `json:"reason"`
	Via            string     `json:"via"`
	Status         string     `json:"status"`
	RequestedAt    time.Time  `json:"requestedAt"`
	ExpiresAt      time.Time  `json:"expiresAt"`
	DecidedBy      string     `json:"decidedBy,omitempty"`
	DecidedAt      *time.Time `json:"decidedAt,omitempty"`
}

// adminRequestViews returns the partner's and the operator's view of a
// request at now.
func adminRequestViews(now time.Time) (partnerView, operatorView func(adminrequest.Request) adminRequestView) {
	partnerView = func(r adminrequest.Request) adminRequestView {
		v := adminRequestView{ID: r.ID, RequestedBy: r.RequestedBy, RequesterEmail: r.RequesterEmail, RequesterName: r.RequesterName,
			Reason: r.Reason, Via: string(r.Via), Status: string(r.StatusAt(now)), RequestedAt: r.RequestedAt, ExpiresAt: r.ExpiresAt, DecidedBy: r.DecidedBy}
		if !r.DecidedAt.IsZero() {
			at := r.DecidedAt
			v.DecidedAt = &at
		}
		return v
	}
	operatorView = func(r adminrequest.Request) adminRequestView {
		v := partnerView(r)
		v.PartnerID = r.PartnerID
		return v
	}
	return partnerView, operatorView
}

// adminRequests is the global-admin request use cases over the service's store.
func (s *Service) adminRequests() adminrequest.Requests {
	return adminrequest.Requests{Store: s.Store, NewID: s.NewID, PublicURL: s.PublicURL}
}

type adminRequestBody struct {
	Reason string `json:"reason"`
}

// requestGlobalAdmin asks for the caller to become a global admin: 201.
func (s *Service) requestGlobalAdmin(ctx context.Context, r *httpapi.Request, in adminRequestBody) (httpapi.Response, error) {
	now := s.Clock.Now()
	req, err := s.adminRequests().Ask(ctx, r.Caller, in.Reason, now)
	if err != nil {
		return httpapi.Response{}, err
	}
	view, _ := adminRequestViews(now)
	return httpapi.JSON(http.StatusCreated, view(req))
}

// listGlobalAdminRequests pages through the requests the caller sees.
func (s *Service) listGlobalAdminRequests(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	rs, next, err := s.adminRequests().List(ctx, r.Caller, limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	view, _ := adminRequestViews(s.Clock.Now())
	return httpapi.JSON(http.StatusOK, pageOf(rs, next, view))
}

// decideGlobalAdminRequest is the approve (or decline) route of a global
// admin of the partner.
func (s *Service) decideGlobalAdminRequest(approve bool) httpapi.Handler {
	return func(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
		now := s.Clock.Now()
		req, err := s.adminRequests().Decide(ctx, r.Caller, r.Path("id"), approve, now)
		if err != nil {
			return httpapi.Response{}, err
		}
		view, _ := adminRequestViews(now)
		return httpapi.JSON(http.StatusOK, view(req))
	}
}

// listOperatorAdminRequests pages through the requests that went to the
// operator (?status=open|approved|declined).
func (s *Service) listOperatorAdminRequests(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	rs, next, err := s.adminRequests().OperatorList(ctx, r.Query("status"), limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	_, view := adminRequestViews(s.Clock.Now())
	return httpapi.JSON(http.StatusOK, pageOf(rs, next, view))
}

// operatorDecideAdminRequest is the operator's approve (or decline) route.
func (s *Service) operatorDecideAdminRequest(approve bool) httpapi.Handler {
	return func(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
		now := s.Clock.Now()
		req, err := s.adminRequests().DecideAsOperator(ctx, r.Caller.UserID, r.Path("id"), approve, now)
		if err != nil {
			return httpapi.Response{}, err
		}
		_, view := adminRequestViews(now)
		return httpapi.JSON(http.StatusOK, view(req))
	}
}
