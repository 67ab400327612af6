package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/money"
	"github.com/pbs/benefits/shared/store"
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

// cancelAttempts bounds the read-decide-commit rounds of a cancellation.
const cancelAttempts = 5

type cancelBody struct {
	Reason string `json:"reason"`
}

// requestCancel cancels a purchase for a refund: the decision and every
// guard are one transaction (store.CancelPurchase); the release of seats
// follows in the same request.
func (s *Service) requestCancel(ctx context.Context, r *httpapi.Request, in cancelBody) (httpapi.Response, error) {
	purchaseID := r.Path("id")
	partnerID := r.Caller.PartnerID
	for range cancelAttempts {
		p, o, err := s.Store.Purchase(ctx, partnerID, purchaseID)
		if err != nil {
			return httpapi.Response{}, err
		}
		now := s.Clock.Now()
		sr, err := cancel.Decide(p, o.Lines, o.Credits, in.Reason, r.Caller.UserID, s.NewID("sr"), now)
		if errors.Is(err, cancel.ErrAlreadyCancelled) {
			// A cancellation whose request died after its commit is
			// finished by any later attempt.
			if ferr := s.Store.FinishCancellation(ctx, partnerID, purchaseID, now); ferr != nil {
				return httpapi.Response{}, ferr
			}
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		ptn, err := s.Store.Partner(ctx, partnerID)
		if err != nil {
			return httpapi.Response{}, err
		}
		// To the partner's global admins, resolved by the sender.
		msg := mail.Message{ID: s.NewID("msg"), AdminsOf: partnerID, Template: "purchase-cancelled", Language: ptn.Language, CreatedAt: now,
			Data: map[string]string{"partnerName": ptn.Name, "packageName": p.PackageName, "purchaseId": p.ID,
				"serviceRequestId": sr.ID, "refund": sr.Refund.String(), "reason": sr.Reason,
				"cancelledAt": now.UTC().Format("2006-01-02 15:04 UTC"), "cancelledBy": r.Caller.UserID}}
		ev := s.event(r, audit.PurchaseCancelled, "").About("", map[string]string{"purchaseId": p.ID, "serviceRequestId": sr.ID,
			"refund": sr.Refund.String()})
		err = s.Store.CancelPurchase(ctx, store.Cancellation{Purchase: p, Overview: o, Request: sr, Mail: msg, Event: ev, At: now})
		if errors.Is(err, store.ErrPurchaseChanged) {
			continue // cancelled by a racing request, or a line changed: decide again
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		if err := s.Store.FinishCancellation(ctx, partnerID, purchaseID, now); err != nil {
			// Committed: the expire-benefits job (or a retry) finishes it.
			s.Log.ErrorContext(ctx, "finish cancellation", "purchaseId", purchaseID, "error", err.Error())
		}
		return httpapi.JSON(http.StatusCreated, viewServiceRequest(sr))
	}
	return httpapi.Response{}, apperr.New(apperr.Conflict, "purchase_busy", "This purchase is being changed by other requests; retry.")
}

// listServiceRequests pages through the refunds for the operator.
func (s *Service) listServiceRequests(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	status := r.Query("status")
	if status != "" && status != string(cancel.Pending) && status != string(cancel.Completed) && status != string(cancel.Rejected) {
		var f apperr.Fields
		f.Add("status", "pending, completed or rejected")
		return httpapi.Response{}, f.Err()
	}
	srs, next, err := s.Store.ServiceRequests(ctx, status, limit, cursor)
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
	id := r.Path("id")
	sr, err := s.Store.ServiceRequest(ctx, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	now := s.Clock.Now()
	sr, err = cancel.Resolve(sr, in.Status, in.Note, r.Caller.UserID, now)
	if err != nil {
		return httpapi.Response{}, err
	}
	ptn, err := s.Store.Partner(ctx, sr.PartnerID)
	if err != nil {
		return httpapi.Response{}, err
	}
	msg := mail.Message{ID: s.NewID("msg"), AdminsOf: sr.PartnerID, Template: "refund-resolved", Language: ptn.Language, CreatedAt: now,
		Data: map[string]string{"partnerName": ptn.Name, "packageName": sr.PackageName, "purchaseId": sr.PurchaseID,
			"serviceRequestId": sr.ID, "refund": sr.Refund.String(), "outcome": string(sr.Status), "note": sr.Note}}
	action := audit.RefundCompleted
	if sr.Status == cancel.Rejected {
		action = audit.RefundRejected
	}
	ev := audit.New(s.NewID, sr.PartnerID, "operator:"+r.Caller.UserID, action, "", now).
		About("", map[string]string{"purchaseId": sr.PurchaseID, "serviceRequestId": sr.ID})
	if err := s.Store.ResolveServiceRequest(ctx, sr, msg, ev); err != nil {
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
