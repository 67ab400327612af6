package adminrequest

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// The use cases: ask, list, decide (a global admin of the partner, or the
// operator for requests that went to it). They take plain inputs, decide
// with the rules of adminrequest.go, build the mail and audit event, and
// leave reading and fencing to a Store, so they run on DynamoDB
// (shared/store) and on the in-memory fake (shared/store/storetest) alike.

// AskState is what a new request's decision reads, together.
type AskState struct {
	Partner partner.Partner
	// GlobalAdmins is how many global admins the partner's directory has
	// (its counter; counted from the directory when the counter says none).
	GlobalAdmins int
	User         partner.User
	InDirectory  bool
	// Open is the user's latest open request (HasOpen), possibly expired.
	Open    Request
	HasOpen bool
}

// Asked is a decided new request, committed in one transaction: the
// request (and its operator copy when Via is ViaOperator), the user's open
// marker, Mail (nil when no one is emailed) and Event. The commit is fenced
// by the marker (no other open request), the user (in the directory, not a
// global admin) and the partner's global-admin count as read (Via).
type Asked struct {
	Request Request
	Mail    *mail.Message
	Event   audit.Event
}

// DecideState is what a decision reads: the request, its partner and the
// requester as the directory now has them.
type DecideState struct {
	Request     Request
	Partner     partner.Partner
	Requester   partner.User
	InDirectory bool
}

// Decided is a decided request, committed in one transaction: the request
// closed (only while still open and unexpired), the marker removed, the
// role granted when Grant (the user fenced as not yet a global admin, the
// partner's counter kept), Mail to the requester (nil if they left) and
// Event.
type Decided struct {
	Request Request
	Grant   bool
	// Requester is the requester as read, to whom Grant gives the role
	// (the directory entry is rewritten with it: roles, search tokens).
	Requester partner.User
	Mail      *mail.Message
	Event     audit.Event
}

// Store is what the use cases need of storage.
type Store interface {
	// UpdateAsk reads AskState for user userID of partnerID, calls decide
	// and commits its Asked; a lost condition reads and decides again, at
	// most Attempts rounds, then ErrBusy. decide's errors come back as
	// they are, with nothing written.
	UpdateAsk(ctx context.Context, partnerID, userID string, decide func(AskState) (Asked, error)) error
	// UpdateDecision reads request id of partnerID (partnerID "": of any
	// partner, but only a request that went to the operator), calls decide
	// and commits its Decided, as UpdateAsk. A request not found is
	// apperr.ErrNotFound.
	UpdateDecision(ctx context.Context, partnerID, id string, decide func(DecideState) (Decided, error)) error
	// AdminRequests pages through a partner's requests, newest first:
	// all, or requestedBy's only.
	AdminRequests(ctx context.Context, partnerID, requestedBy string, limit int, cursor string) ([]Request, string, error)
	// OperatorRequests pages through the requests that went to the
	// operator, by stored status ("" all; open ones latest expiry first,
	// closed ones latest decision first).
	OperatorRequests(ctx context.Context, status Status, limit int, cursor string) ([]Request, string, error)
}

// Requests runs the use cases of one request.
type Requests struct {
	Store Store
	NewID ids.Generator
	// PublicURL is the console's public base URL (no trailing slash), which
	// the admins' mail links to; "" where none is set (the mail then names
	// the Users tab without a link).
	PublicURL string
}

// ConsolePath is where a global admin decides requests: the console's
// Users tab.
const ConsolePath = "/#users"

// Ask opens a request by the caller to become a global admin, at now.
// With global admins in the partner each is emailed; with none the request
// goes to the operator's queue. Errors: validation_failed,
// ErrAlreadyAdmin, ErrPending (with requestId), partner.ErrUserNotFound.
func (r Requests) Ask(ctx context.Context, by access.Caller, reason string, now time.Time) (Request, error) {
	if _, err := CleanReason(reason); err != nil {
		return Request{}, err
	}
	tokenAdmin := slices.Contains(by.Roles, access.GlobalAdmin)
	if tokenAdmin {
		return Request{}, ErrAlreadyAdmin
	}
	var out Request
	err := r.Store.UpdateAsk(ctx, by.PartnerID, by.UserID, func(st AskState) (Asked, error) {
		if !st.InDirectory {
			return Asked{}, partner.ErrUserNotFound
		}
		req, err := Ask(r.NewID("gar"), st.User, tokenAdmin, reason, st.GlobalAdmins, now)
		if err != nil {
			return Asked{}, err
		}
		if st.HasOpen && st.Open.StatusAt(now) == Open {
			return Asked{}, ErrPending.With("requestId", st.Open.ID)
		}
		ev := audit.New(r.NewID, by.PartnerID, by.UserID, audit.GlobalAdminRequested, "", now).
			About(by.UserID, map[string]string{"requestId": req.ID, "via": string(req.Via)})
		ch := Asked{Request: req, Event: ev}
		if req.Via == ViaAdmins {
			consoleURL := ""
			if r.PublicURL != "" {
				consoleURL = r.PublicURL + ConsolePath
			}
			msg := mail.Message{ID: r.NewID("msg"), AdminsOf: by.PartnerID, Template: "global-admin-requested", Language: st.Partner.Language, CreatedAt: now,
				Data: map[string]string{"partnerName": st.Partner.Name, "requesterName": req.RequesterName, "requesterEmail": req.RequesterEmail,
					"reason": req.Reason, "requestId": req.ID, "expiresOn": req.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), "consoleUrl": consoleURL}}
			ch.Mail = &msg
		}
		out = req
		return ch, nil
	})
	if err != nil {
		return Request{}, err
	}
	return out, nil
}

// List pages through the requests a caller sees: a global admin the
// partner's, anyone else their own; newest first.
func (r Requests) List(ctx context.Context, by access.Caller, limit int, cursor string) ([]Request, string, error) {
	whose := by.UserID
	if slices.Contains(by.Roles, access.GlobalAdmin) {
		whose = ""
	}
	return r.Store.AdminRequests(ctx, by.PartnerID, whose, limit, cursor)
}

// Decide approves or declines request id of the caller's partner, once,
// at now; approval makes the requester a global admin in the same
// transaction. The requester is emailed the outcome. Errors:
// apperr.ErrNotFound (no such request in the partner), ErrClosed,
// ErrOwnRequest, partner.ErrUserNotFound (approving a requester who left).
func (r Requests) Decide(ctx context.Context, by access.Caller, id string, approve bool, now time.Time) (Request, error) {
	return r.decide(ctx, by.PartnerID, id, by.UserID, approve, now)
}

// DecideAsOperator is Decide by the program operator, for a request that
// went to the operator (any other is apperr.ErrNotFound).
func (r Requests) DecideAsOperator(ctx context.Context, operatorID, id string, approve bool, now time.Time) (Request, error) {
	return r.decide(ctx, "", id, "operator:"+operatorID, approve, now)
}

func (r Requests) decide(ctx context.Context, partnerID, id, decider string, approve bool, now time.Time) (Request, error) {
	var out Request
	err := r.Store.UpdateDecision(ctx, partnerID, id, func(st DecideState) (Decided, error) {
		req, err := Decide(st.Request, approve, decider, now)
		if err != nil {
			return Decided{}, err
		}
		if approve && !st.InDirectory {
			return Decided{}, partner.ErrUserNotFound
		}
		before := st.Requester.Roles
		grant := approve && !slices.Contains(before, access.GlobalAdmin)
		after := before
		if grant {
			after = append(slices.Clone(before), access.GlobalAdmin)
		}
		action := audit.GlobalAdminDeclined
		detail := map[string]string{"requestId": req.ID}
		if approve {
			action = audit.GlobalAdminApproved
			detail["rolesBefore"], detail["rolesAfter"] = roleList(before), roleList(after)
		}
		ch := Decided{Request: req, Grant: grant, Requester: st.Requester,
			Event: audit.New(r.NewID, req.PartnerID, decider, action, "", now).About(req.RequestedBy, detail)}
		if st.InDirectory {
			ch.Mail = &mail.Message{ID: r.NewID("msg"), To: []string{st.Requester.Email}, Template: "global-admin-decided", Language: st.Partner.Language, CreatedAt: now,
				Data: map[string]string{"partnerName": st.Partner.Name, "requesterName": st.Requester.DisplayName,
					"outcome": string(req.Status), "requestId": req.ID}}
		}
		out = req
		return ch, nil
	})
	if err != nil {
		return Request{}, err
	}
	return out, nil
}

func roleList(roles []access.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// OperatorList pages through the requests that went to the operator: all,
// or one stored status (open, approved, declined; an open one past its
// expiry reads as expired).
func (r Requests) OperatorList(ctx context.Context, status string, limit int, cursor string) ([]Request, string, error) {
	switch Status(status) {
	case "", Open, Approved, Declined:
	default:
		var f apperr.Fields
		f.Add("status", apperr.UnknownValue, "open, approved or declined")
		return nil, "", f.Err()
	}
	return r.Store.OperatorRequests(ctx, Status(status), limit, cursor)
}
