// Package adminrequest is how a partner user who is not a global admin
// becomes one: they ask, with a reason; the partner's global admins are
// emailed and one of them approves or declines; a partner with no global
// admin sends the request to the program operator instead, who verifies the
// requester out of band. One open request per user; a request expires 14
// days after it was made.
package adminrequest

import (
	"slices"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/partner"
)

// Status is a request's state. Stored requests are open, approved or
// declined; an open one past its ExpiresAt reads as Expired (StatusAt), so
// expiry needs no job.
type Status string

const (
	Open     Status = "open"
	Approved Status = "approved"
	Declined Status = "declined"
	Expired  Status = "expired"
)

// Via says who decides a request, fixed when it is made.
type Via string

const (
	// ViaAdmins: the partner had global admins; they are emailed and any
	// of them decides.
	ViaAdmins Via = "global-admins"
	// ViaOperator: the partner had none; the request is in the operator's
	// queue and the operator decides (a global admin the partner has since
	// gained may decide it too).
	ViaOperator Via = "operator"
)

// Lifetime is how long a request stays open.
const Lifetime = 14 * 24 * time.Hour

// MaxReason is the most characters of a reason (the OpenAPI maxLength).
const MaxReason = 1000

// Request is one ask to become a global admin.
type Request struct {
	ID        string
	PartnerID string
	// RequestedBy is the requester's user id; RequesterEmail and
	// RequesterName are their directory entry when they asked, so the
	// admins' list shows who asked without reading the directory.
	RequestedBy    string
	RequesterEmail string
	RequesterName  string
	Reason         string
	Via            Via
	Status         Status // as stored: open, approved or declined
	RequestedAt    time.Time
	ExpiresAt      time.Time
	// DecidedBy is the deciding global admin's user id, or
	// "operator:<id>"; DecidedAt when.
	DecidedBy string
	DecidedAt time.Time
}

// StatusAt is the request's status at now: an open request is Expired from
// its ExpiresAt on.
func (r Request) StatusAt(now time.Time) Status {
	if r.Status == Open && !now.Before(r.ExpiresAt) {
		return Expired
	}
	return r.Status
}

// Errors of the rules below.
var (
	ErrAlreadyAdmin = apperr.New(apperr.Conflict, "already_global_admin", "You are already a global admin.")
	ErrPending      = apperr.New(apperr.Conflict, "request_pending", "You already have an open request to become a global admin.")
	ErrClosed       = apperr.New(apperr.Conflict, "request_closed", "This request was already decided or has expired.")
	ErrOwnRequest   = apperr.New(apperr.Forbidden, "own_request", "You cannot decide your own request.")
	ErrBusy         = apperr.New(apperr.Conflict, "request_busy", "This request is being changed by other requests; retry.")
)

// Attempts bounds the read–decide–commit rounds of one change.
const Attempts = 5

// Ask is a new request of user u (as the directory has it) with reason, at
// now; tokenAdmin says whether the caller's token already holds
// global-admin. admins is how many global admins the partner has (Via).
// Errors: validation_failed (reason), ErrAlreadyAdmin.
func Ask(id string, u partner.User, tokenAdmin bool, reason string, admins int, now time.Time) (Request, error) {
	reason, err := CleanReason(reason)
	if err != nil {
		return Request{}, err
	}
	if tokenAdmin || slices.Contains(u.Roles, access.GlobalAdmin) {
		return Request{}, ErrAlreadyAdmin
	}
	via := ViaAdmins
	if admins <= 0 {
		via = ViaOperator
	}
	return Request{ID: id, PartnerID: u.PartnerID, RequestedBy: u.ID, RequesterEmail: u.Email, RequesterName: u.DisplayName,
		Reason: reason, Via: via, Status: Open, RequestedAt: now, ExpiresAt: now.Add(Lifetime)}, nil
}

// Decide closes request r, open at now, as approved or declined by decider
// (a user id, or "operator:<id>"); a user decides only another's request.
// Errors: ErrClosed, ErrOwnRequest.
func Decide(r Request, approve bool, decider string, now time.Time) (Request, error) {
	if decider == r.RequestedBy {
		return Request{}, ErrOwnRequest
	}
	if st := r.StatusAt(now); st != Open {
		return Request{}, ErrClosed.With("requestStatus", string(st))
	}
	r.Status, r.DecidedBy, r.DecidedAt = Declined, decider, now
	if approve {
		r.Status = Approved
	}
	return r, nil
}

// CleanReason trims a reason and checks it: 1 to MaxReason characters.
func CleanReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	var f apperr.Fields
	if !f.Long("reason", reason, MaxReason) && reason == "" {
		f.Add("reason", apperr.Required, "required: say why you need global admin access")
	}
	return reason, f.Err()
}
