// Package cancel holds the rules of cancelling a package purchase for a
// refund, and of the service request that tracks the refund.
package cancel

import (
	"strings"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/money"
)

// Window is how long after the purchase it may be cancelled: 30 days of
// 24 hours, measured from the purchase instant. The last moment to cancel
// is one millisecond before purchasedAt + 30 days; from that instant on
// the window is closed.
const Window = 30 * 24 * time.Hour

// Status is a service request's status.
type Status string

const (
	Pending   Status = "pending"   // the refund is owed
	Completed Status = "completed" // the program paid the refund
	Rejected  Status = "rejected"  // the program refused it
)

// ServiceRequest is the refund request a cancellation opens.
type ServiceRequest struct {
	ID          string
	PartnerID   string
	PurchaseID  string
	PackageName string
	Status      Status
	Refund      money.Money
	Reason      string
	RequestedBy string
	RequestedAt time.Time
	ResolvedBy  string
	ResolvedAt  time.Time
	Note        string
}

// Errors of the rules; the codes are the API's.
var (
	ErrWindowClosed      = apperr.New(apperr.Conflict, "cancel_window_closed", "A package can be cancelled only within 30 days of its purchase.")
	ErrSoftwareActivated = apperr.New(apperr.Conflict, "software_benefit_activated", "A software or licence key of this package has been taken, so it can no longer be cancelled.")
	ErrBenefitConsumed   = apperr.New(apperr.Conflict, "benefit_consumed", "A benefit of this package has been used (credit granted, incident opened, hours used or offer confirmed), so it can no longer be cancelled.")
	ErrAlreadyCancelled  = apperr.New(apperr.Conflict, "already_cancelled", "This purchase has already been cancelled.")
	ErrAlreadyResolved   = apperr.New(apperr.Conflict, "service_request_resolved", "This service request has already been completed or rejected.")
)

// MaxReason bounds the reason and the operator's note.
const MaxReason = 1000

// Blocks says whether line b (with c, its credit state, for a credit line)
// holds value that was handed out and cannot be taken back, which refuses
// the refund (docs/domain.md, "Cancelling a package"):
//   - software: its key was taken;
//   - license: its key was shown (taken from the pool or signed) or redeemed;
//   - credits: any grant is on the ledger (an annual credit is granted at
//     assignment);
//   - support, advisory hours: an incident opened, an hour used;
//   - gtm-offer: confirmed.
//
// A Visual Studio seat, a pending offer, a credit assigned but not yet
// granted and partner-wide support activation are withdrawn by the cancel.
// The error names the line (benefitId) and its kind.
func Blocks(b benefit.Benefit, c *credit.Credit) error {
	used := false
	err := ErrBenefitConsumed
	switch b.Kind {
	case catalog.Software:
		used, err = b.Key != "" || b.Status == benefit.Activated, ErrSoftwareActivated
	case catalog.License:
		used, err = b.Key != "" || !b.KeyIssuedAt.IsZero() || b.Redemption != nil || b.Status == benefit.Activated, ErrSoftwareActivated
	case catalog.CreditMonthly, catalog.CreditAnnual:
		used = c != nil && len(c.Grants) > 0
	case catalog.Support, catalog.AdvisoryHours:
		used = b.Used > 0
	case catalog.GTMOffer:
		used = b.Status == benefit.Active || !b.ActivatedAt.IsZero()
	}
	if !used {
		return nil
	}
	return err.With("benefitId", b.ID).With("kind", string(b.Kind))
}

// Decide checks a cancellation of p, whose lines are lines (credits: the
// state of its credit lines, by benefit id), at now, and opens its service
// request: a full refund of the price.
func Decide(p benefit.Purchase, lines []benefit.Benefit, credits map[string]credit.Credit, reason, by, srID string, now time.Time) (ServiceRequest, error) {
	reason = strings.TrimSpace(reason)
	if err := apperr.CheckLen("reason", reason, MaxReason); err != nil {
		return ServiceRequest{}, err
	}
	if p.Status == benefit.PurchaseCancelled {
		return ServiceRequest{}, ErrAlreadyCancelled
	}
	if closes := p.PurchasedAt.Add(Window); !now.Before(closes) {
		return ServiceRequest{}, ErrWindowClosed.With("windowClosedAt", closes.UTC())
	}
	for _, b := range lines {
		if b.PurchaseID != p.ID {
			continue
		}
		var c *credit.Credit
		if cr, ok := credits[b.ID]; ok {
			c = &cr
		}
		if err := Blocks(b, c); err != nil {
			return ServiceRequest{}, err
		}
	}
	return ServiceRequest{ID: srID, PartnerID: p.PartnerID, PurchaseID: p.ID, PackageName: p.PackageName, Status: Pending,
		Refund: p.Price, Reason: reason, RequestedBy: by, RequestedAt: now}, nil
}

// Resolve decides the operator's outcome of a service request.
func Resolve(sr ServiceRequest, outcome, note, by string, now time.Time) (ServiceRequest, error) {
	var f apperr.Fields
	st := Status(outcome)
	if st != Completed && st != Rejected {
		f.Add("status", apperr.UnknownValue, "must be completed or rejected")
	}
	f.Long("note", strings.TrimSpace(note), MaxReason)
	if len(f) > 0 {
		return sr, f.Err()
	}
	if sr.Status != Pending {
		return sr, ErrAlreadyResolved
	}
	sr.Status, sr.Note, sr.ResolvedBy, sr.ResolvedAt = st, strings.TrimSpace(note), by, now
	return sr, nil
}
