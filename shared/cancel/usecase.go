package cancel

import (
	"context"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// The use cases of cancellation: a partner cancels a purchase for a refund,
// the operator lists and resolves the refunds. They take plain inputs,
// decide with the rules of cancel.go, build the mail and the audit event,
// and leave reading and fencing to a Store, so they run on DynamoDB
// (shared/store) and on the in-memory fake (shared/store/storetest) alike.

// Attempts bounds the read–decide–commit rounds of one cancellation; when
// every round lost to a concurrent change the answer is ErrBusy.
const Attempts = 5

// ErrBusy: the purchase kept changing under us; the client retries.
var ErrBusy = apperr.New(apperr.Conflict, "purchase_busy", "This purchase is being changed by other requests; retry.")

// Purchase is a purchase as a cancellation reads it: its lines, the
// state of its credit lines (by benefit id, without their holders) and its
// partner (name and language, for the mail), read together.
type Purchase struct {
	benefit.Purchase
	Lines   []benefit.Benefit
	Credits map[string]credit.Credit
	Partner partner.Partner
}

// Change is a decided cancellation. The store commits it in one
// transaction, at Request.RequestedAt, fenced by the purchase as read.
type Change struct {
	Request ServiceRequest
	Mail    mail.Message
	Event   audit.Event
}

// Decision decides the cancellation of a purchase as read.
type Decision func(p Purchase) (Change, error)

// Store is what the cancellation use cases need of storage.
type Store interface {
	// Partner reads the partner (its name and language, for the mail).
	Partner(ctx context.Context, partnerID string) (partner.Partner, error)
	// UpdateCancellation reads the purchase (with its partner), calls
	// decide and commits its Change: the purchase cancelled and marked for
	// the release job, its lines and credits revoked (each line whose use
	// would refuse the refund fenced by its state as read), the service
	// request, mail and event put. On a lost condition it reads and
	// decides again, at most Attempts rounds, then ErrBusy; a fenced line
	// used meanwhile is its refusal (Blocks). Another partner's purchase
	// is apperr.ErrNotFound; decide's errors come back as they are, with
	// nothing written. The seats are the release job's (Releases).
	UpdateCancellation(ctx context.Context, partnerID, purchaseID string, decide Decision) error
	// ServiceRequest reads one by id; ServiceRequests pages through all,
	// or one status's, newest first.
	ServiceRequest(ctx context.Context, id string) (ServiceRequest, error)
	ServiceRequests(ctx context.Context, status string, limit int, cursor string) ([]ServiceRequest, string, error)
	// ResolveServiceRequest records sr's outcome with its mail and event,
	// only while it is pending; else ErrAlreadyResolved.
	ResolveServiceRequest(ctx context.Context, sr ServiceRequest, owed mail.Message, ev audit.Event) error
}

// Requests runs the cancellation use cases of one request.
type Requests struct {
	Store Store
	NewID ids.Generator
}

// Cancel cancels purchase purchaseID of partnerID for a full refund, on
// behalf of userID at now, and opens its service request: one read and one
// commit. The release of the purchase's seats, which can take hundreds of
// writes, is the finish-cancellations job's (Releases), within about a
// minute; from the commit on the seats are revoked, and every reader hides
// them.
func (r Requests) Cancel(ctx context.Context, partnerID, userID, purchaseID, reason string, now time.Time) (ServiceRequest, error) {
	var sr ServiceRequest
	err := r.Store.UpdateCancellation(ctx, partnerID, purchaseID, func(p Purchase) (Change, error) {
		var err error
		if sr, err = Decide(p.Purchase, p.Lines, p.Credits, reason, userID, r.NewID("sr"), now); err != nil {
			return Change{}, err
		}
		ptn := p.Partner
		// To the partner's global admins, resolved by the sender.
		msg := mail.Message{ID: r.NewID("msg"), AdminsOf: partnerID, Template: "purchase-cancelled", Language: ptn.Language, CreatedAt: now,
			Data: map[string]string{"partnerName": ptn.Name, "packageName": p.PackageName, "purchaseId": p.ID,
				"serviceRequestId": sr.ID, "refund": sr.Refund.String(), "reason": sr.Reason,
				"cancelledAt": now.UTC().Format("2006-01-02 15:04 UTC"), "cancelledBy": userID}}
		ev := audit.New(r.NewID, partnerID, userID, audit.PurchaseCancelled, "", now).
			About("", map[string]string{"purchaseId": p.ID, "serviceRequestId": sr.ID, "refund": sr.Refund.String()})
		return Change{Request: sr, Mail: msg, Event: ev}, nil
	})
	if err != nil {
		return ServiceRequest{}, err
	}
	return sr, nil
}

// List pages through the service requests for the operator: status ""
// (all), pending, completed or rejected.
func (r Requests) List(ctx context.Context, status string, limit int, cursor string) ([]ServiceRequest, string, error) {
	if status != "" && status != string(Pending) && status != string(Completed) && status != string(Rejected) {
		var f apperr.Fields
		f.Add("status", apperr.UnknownValue, "pending, completed or rejected")
		return nil, "", f.Err()
	}
	return r.Store.ServiceRequests(ctx, status, limit, cursor)
}

// Resolve records the operator's outcome (completed or rejected) of
// service request id at now, once, and emails the partner's global admins.
func (r Requests) Resolve(ctx context.Context, operatorID, id, outcome, note string, now time.Time) (ServiceRequest, error) {
	sr, err := r.Store.ServiceRequest(ctx, id)
	if err != nil {
		return ServiceRequest{}, err
	}
	if sr, err = Resolve(sr, outcome, note, operatorID, now); err != nil {
		return ServiceRequest{}, err
	}
	ptn, err := r.Store.Partner(ctx, sr.PartnerID)
	if err != nil {
		return ServiceRequest{}, err
	}
	msg := mail.Message{ID: r.NewID("msg"), AdminsOf: sr.PartnerID, Template: "refund-resolved", Language: ptn.Language, CreatedAt: now,
		Data: map[string]string{"partnerName": ptn.Name, "packageName": sr.PackageName, "purchaseId": sr.PurchaseID,
			"serviceRequestId": sr.ID, "refund": sr.Refund.String(), "outcome": string(sr.Status), "note": sr.Note}}
	action := audit.RefundCompleted
	if sr.Status == Rejected {
		action = audit.RefundRejected
	}
	ev := audit.New(r.NewID, sr.PartnerID, "operator:"+operatorID, action, "", now).
		About("", map[string]string{"purchaseId": sr.PurchaseID, "serviceRequestId": sr.ID})
	if err := r.Store.ResolveServiceRequest(ctx, sr, msg, ev); err != nil {
		return ServiceRequest{}, err
	}
	return sr, nil
}
