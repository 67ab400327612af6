// Package audit is the partner's history: who did what to which benefit, and
// when. Every state change a partner makes writes one Event in the same
// transaction as the change, so the history can neither miss a change nor
// record one that did not happen.
package audit

import (
	"time"

	"github.com/pbs/benefits/shared/ids"
)

// Action names what happened, as <benefit area>.<verb>. New flows add theirs
// here; readers treat an unknown action as opaque text.
type Action string

const (
	CreditAssigned       Action = "credit.assigned"
	CreditRemoved        Action = "credit.removed"
	CreditTransferred    Action = "credit.transferred"
	SoftwareKeyIssued    Action = "software.key-issued"
	LicenseKeyIssued     Action = "license.key-issued"
	LicenseRedeemed      Action = "license.redeemed"
	VisualStudioAssigned Action = "visual-studio.assigned"
	VisualStudioMoved    Action = "visual-studio.reassigned"
	VisualStudioRemoved  Action = "visual-studio.removed"
	SupportActivated     Action = "support.activated"
	IncidentOpened       Action = "support.incident-opened"
	AdvisoryRequested    Action = "advisory.requested"
	ContactSet           Action = "gtm.contact-set"
	OfferRequested       Action = "gtm.offer-requested"
	OfferActivated       Action = "gtm.offer-activated"
	BenefitExpired       Action = "benefit.expired"
	PurchaseCancelled    Action = "purchase.cancelled"
	RefundCompleted      Action = "refund.completed"
	RefundRejected       Action = "refund.rejected"
	// A user asks to become a global admin; a global admin (or the
	// operator) approves or declines (shared/adminrequest).
	GlobalAdminRequested Action = "global_admin.requested"
	GlobalAdminApproved  Action = "global_admin.approved"
	GlobalAdminDeclined  Action = "global_admin.declined"
	// Directory changes: detail before and after (roles comma-separated),
	// and for a removal the user's email and display name.
	UserRolesChanged Action = "user.roles_changed"
	UserRenamed      Action = "user.renamed"
	UserRemoved      Action = "user.removed"
)

// Event is one entry of a partner's history.
type Event struct {
	ID        string
	PartnerID string
	At        time.Time
	// Actor is the user id of the caller, or "system:<job>" for a job.
	Actor  string
	Action Action
	// BenefitID is the benefit the event concerns ("" for partner-wide ones).
	BenefitID string
	// UserID is the directory user the event is about, if any (the one who
	// got or lost a seat), as opposed to the Actor who did it.
	UserID string
	// Detail holds what else a reader needs, e.g. fromUserId, tenantId, mode.
	Detail map[string]string
}

// New starts an event; the caller adds UserID and Detail.
func New(newID ids.Generator, partnerID, actor string, action Action, benefitID string, at time.Time) Event {
	return Event{ID: newID("evt"), PartnerID: partnerID, At: at.UTC(), Actor: actor, Action: action, BenefitID: benefitID}
}

// About returns the event with its subject user and details set.
func (e Event) About(userID string, detail map[string]string) Event {
	e.UserID, e.Detail = userID, detail
	return e
}
