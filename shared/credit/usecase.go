package credit

import (
	"context"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/ids"
)

// The use cases of credit seats: assign, remove, transfer and the ledger.
// They take plain inputs, decide with the rules of credit.go, build the
// audit event, and leave reading and fencing to a Store, so they run on
// DynamoDB (shared/store) and on the in-memory fake (shared/store/storetest)
// alike. The HTTP handlers only parse and render around them.

// Attempts bounds the read–decide–write rounds of one seat change; when
// every round lost to a concurrent change the answer is ErrBusy.
const Attempts = 8

// ErrBusy: the credit kept changing under us; the client retries.
var ErrBusy = apperr.New(apperr.Conflict, "credit_busy", "This credit is being changed by other requests; retry.")

// Op is the kind of write a seat change decided.
type Op int

const (
	// OpNone writes nothing: the change is already in place (a retry).
	OpNone Op = iota
	OpAssign
	OpRemove
	OpTransfer
)

// Change is a decided seat change. The store writes it with Event in one
// transaction, under conditions that hold only if the credit and the users
// are still as the decision read them.
type Change struct {
	Op Op
	// Assignment is the new holder (OpAssign, OpTransfer) and, for an
	// annual credit's first holder, its grant.
	Assignment Assignment
	// UserID is the holder who leaves (OpRemove).
	UserID string
	Event  audit.Event
}

// Decide decides a seat change on the credit and user as read; found is
// false when the user is not in the partner's directory or none was named.
type Decide func(c Credit, u User, found bool) (Change, error)

// Store is what the seat use cases need of storage.
type Store interface {
	// Credit reads one credit line with its holders. A benefit that is not
	// a credit, or another partner's, is apperr.ErrNotFound.
	Credit(ctx context.Context, partnerID, benefitID string) (Credit, error)
	// UpdateCredit reads the credit and, when userID is not "", that
	// directory user; calls decide; and writes its Change conditionally. On
	// a lost condition it reads and decides again, at most Attempts rounds,
	// then ErrBusy. An error of decide (or of the read) comes back as it
	// is, with nothing written.
	UpdateCredit(ctx context.Context, partnerID, benefitID, userID string, decide Decide) error
}

// Seats runs the seat use cases of one request.
type Seats struct {
	Store Store
	NewID ids.Generator
}

// Assign gives directory user userID a seat of the credit at now, on
// behalf of actorID. already is true when the user held a seat before: a
// retried request changes nothing and writes no event.
func (s Seats) Assign(ctx context.Context, partnerID, actorID, benefitID, userID string, now time.Time) (after Credit, already bool, err error) {
	err = s.Store.UpdateCredit(ctx, partnerID, benefitID, userID, func(c Credit, u User, found bool) (Change, error) {
		a, err := c.Assign(u, found, now)
		if err != nil {
			return Change{}, err
		}
		after, already = c.After(a), a.Already
		if a.Already {
			return Change{}, nil
		}
		ev := audit.New(s.NewID, partnerID, actorID, audit.CreditAssigned, benefitID, now).About(userID, nil)
		return Change{Op: OpAssign, Assignment: a, Event: ev}, nil
	})
	if err != nil {
		return Credit{}, false, err
	}
	return after, already, nil
}

// Remove frees userID's seat of a monthly credit at now.
func (s Seats) Remove(ctx context.Context, partnerID, actorID, benefitID, userID string, now time.Time) error {
	return s.Store.UpdateCredit(ctx, partnerID, benefitID, "", func(c Credit, _ User, _ bool) (Change, error) {
		if err := c.Remove(userID, now); err != nil {
			return Change{}, err
		}
		ev := audit.New(s.NewID, partnerID, actorID, audit.CreditRemoved, benefitID, now).About(userID, nil)
		return Change{Op: OpRemove, UserID: userID, Event: ev}, nil
	})
}

// Transfer moves an annual credit to directory user toUserID at now.
// Transferring to the current holder changes nothing.
func (s Seats) Transfer(ctx context.Context, partnerID, actorID, benefitID, toUserID string, now time.Time) (after Credit, err error) {
	err = s.Store.UpdateCredit(ctx, partnerID, benefitID, toUserID, func(c Credit, u User, found bool) (Change, error) {
		a, err := c.Transfer(u, found, now)
		if err != nil {
			return Change{}, err
		}
		if after = c.AfterTransfer(a); a.Already {
			return Change{}, nil
		}
		ev := audit.New(s.NewID, partnerID, actorID, audit.CreditTransferred, benefitID, now).
			About(toUserID, map[string]string{"fromUserId": c.Holder})
		return Change{Op: OpTransfer, Assignment: a, Event: ev}, nil
	})
	if err != nil {
		return Credit{}, err
	}
	return after, nil
}

// Ledger reads a credit with what it was granted (oldest first) and its
// holders: one consistent read.
func (s Seats) Ledger(ctx context.Context, partnerID, benefitID string) (Credit, error) {
	c, err := s.Store.Credit(ctx, partnerID, benefitID)
	if c.Revoked {
		// Released from the cancellation's commit on, before the release
		// job deletes the seat items.
		c.Holders = nil
	}
	return c, err
}
