package visualstudio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
)

// The use cases of Visual Studio seats: assign (or move), a bulk of
// assignments, remove and list. They take plain inputs, decide with the
// rules of visualstudio.go, build the audit events, and leave reading and
// fencing to a Store, so they run on DynamoDB (shared/store) and on the
// in-memory fake (shared/store/storetest) alike. The HTTP handlers only
// parse and render around them.

// Attempts bounds the read–decide–write rounds of one request; when every
// round lost to a concurrent change, what is left is ErrBusy.
const Attempts = 8

// ErrBusy: the subscription kept changing under us; the client retries.
var ErrBusy = apperr.New(apperr.Conflict, "seats_busy", "This subscription is being changed by other requests; retry.")

// Write is one decided seat change with its audit event.
type Write struct {
	Change Change
	Event  audit.Event
}

// Decide decides seat changes on the subscription and the directory users
// as read (users holds those of the asked ids that are in the directory).
// sub may be changed: a decision in order updates it as it goes.
type Decide func(sub *Subscription, users map[string]User) ([]Write, error)

// Store is what the seat use cases need of storage.
type Store interface {
	// Seats reads one page of a line's seats in user id order, with the
	// line (whatever its kind: the use case refuses others).
	Seats(ctx context.Context, partnerID, benefitID string, limit int, cursor string) (benefit.Benefit, []Seat, string, error)
	// UpdateSubscription reads the line with its seats and locks and the
	// directory users userIDs names, calls decide, and writes its changes
	// in order, each with its event and all or nothing, under conditions
	// that hold only if what the change was decided from is unchanged.
	// committed, if not nil, hears how many of the decision's writes are
	// committed after each transaction. On a lost condition, the committed
	// writes stay and it reads and decides again, at most Attempts rounds,
	// then ErrBusy. An error of decide (or of the read) comes back as it is,
	// with nothing more written. Another partner's line, or none, is
	// apperr.ErrNotFound; a line of another kind is read as it is (the
	// rules refuse it).
	UpdateSubscription(ctx context.Context, partnerID, benefitID string, userIDs []string, decide Decide, committed func(n int)) error
}

// Seats runs the seat use cases of one request.
type Seats struct {
	Store Store
	NewID ids.Generator
}

// Row is one requested assignment: userId, and replacesUserId for a move.
type Row struct {
	UserID         string
	ReplacesUserID string
	// Err is set for a row the caller's validation refused: it is
	// reported as it is and never decided.
	Err error
}

// Result is what became of one row: its change (Unchanged when the user
// already held the seat), or why it was refused.
type Result struct {
	Change Change
	Err    error
}

// Assign gives directory user row.UserID a seat, or moves
// row.ReplacesUserID's seat to them, at now on behalf of actorID. A user
// who already holds a seat gets Change{Kind: Unchanged}, and nothing is
// written.
func (s Seats) Assign(ctx context.Context, partnerID, actorID, benefitID string, row Row, now time.Time) (Change, error) {
	res, err := s.assign(ctx, partnerID, actorID, benefitID, []Row{row}, nil, now)
	if err != nil {
		return Change{}, err
	}
	return res[0].Change, res[0].Err
}

// AssignMany applies a bulk of rows (at most the line's quantity), each all
// or nothing, decided in order against one read; a row refused gets its
// error, the others are written. Only a refusal of the line itself (not
// found, revoked, expired) fails the whole request, and so do more rows
// than the line's quantity.
func (s Seats) AssignMany(ctx context.Context, partnerID, actorID, benefitID string, rows []Row, now time.Time) ([]Result, error) {
	// The line's kind and quantity are checked on the subscription the
	// decision reads, so the request reads the line once.
	fits := func(line benefit.Benefit) error {
		if line.Kind != catalog.VisualStudio {
			return apperr.ErrNotFound
		}
		if len(rows) > line.Quantity {
			var f apperr.Fields
			f.Add("assignments", apperr.OutOfRange, fmt.Sprintf("at most %d rows: the subscription's seat count", line.Quantity))
			return f.Err()
		}
		return nil
	}
	results := make([]Result, len(rows))
	var valid []Row
	var at []int
	for i, row := range rows {
		if row.Err != nil {
			results[i].Err = row.Err
			continue
		}
		valid, at = append(valid, row), append(at, i)
	}
	res, err := s.assign(ctx, partnerID, actorID, benefitID, valid, fits, now)
	if err != nil {
		return nil, err
	}
	for j, r := range res {
		results[at[j]] = r
	}
	return results, nil
}

// assign decides and writes rows in order against one read of the
// subscription and of the users the rows name. When a write loses a race,
// everything from the first unwritten change's row on is read and decided
// again; rows still open after Attempts rounds are ErrBusy. fits, if not
// nil, checks the line read before any row is decided: its error fails
// the whole request, with nothing written.
func (s Seats) assign(ctx context.Context, partnerID, actorID, benefitID string, rows []Row, fits func(benefit.Benefit) error, now time.Time) ([]Result, error) {
	results := make([]Result, len(rows))
	userIDs := make([]string, len(rows))
	for i, row := range rows {
		userIDs[i] = row.UserID
	}
	from := 0       // rows before from are final
	var rowOf []int // the row of each write of the last decision
	done := 0       // how many of them are committed
	// next is where the rows still open start, after a lost round.
	next := func() int {
		if done < len(rowOf) {
			return rowOf[done]
		}
		return from
	}
	err := s.Store.UpdateSubscription(ctx, partnerID, benefitID, userIDs, func(sub *Subscription, users map[string]User) ([]Write, error) {
		if fits != nil {
			if err := fits(sub.Line); err != nil {
				return nil, err
			}
		}
		from, rowOf, done = next(), nil, 0
		var ws []Write
		for i := from; i < len(rows); i++ {
			row := rows[i]
			u, found := users[row.UserID]
			c, err := sub.Assign(u, found, row.ReplacesUserID, now)
			if err != nil && (errors.Is(err, apperr.ErrNotFound) || isLineError(err)) {
				return nil, err // the benefit itself: the whole request fails
			}
			results[i] = Result{Change: c, Err: err}
			if err != nil || c.Kind == Unchanged {
				continue
			}
			ev := audit.New(s.NewID, partnerID, actorID, audit.VisualStudioAssigned, benefitID, now).About(row.UserID, nil)
			if c.Kind == Move {
				ev = audit.New(s.NewID, partnerID, actorID, audit.VisualStudioMoved, benefitID, now).
					About(row.UserID, map[string]string{"fromUserId": c.From.UserID})
			}
			ws, rowOf = append(ws, Write{Change: c, Event: ev}), append(rowOf, i)
		}
		return ws, nil
	}, func(n int) { done = n })
	if errors.Is(err, ErrBusy) {
		for i := next(); i < len(rows); i++ {
			results[i] = Result{Err: ErrBusy}
		}
		return results, nil
	}
	if err != nil {
		return nil, err
	}
	return results, nil
}

// isLineError: the rules refused the benefit itself (revoked, expired).
func isLineError(err error) bool {
	return errors.Is(err, benefit.ErrRevoked) || errors.Is(err, benefit.ErrExpired)
}

// Remove takes userID's seat away at now, on behalf of actorID. A seat
// held under 90 days becomes a lock until its 90 days are over; the event
// says until when (seatLockedUntil).
func (s Seats) Remove(ctx context.Context, partnerID, actorID, benefitID, userID string, now time.Time) error {
	return s.Store.UpdateSubscription(ctx, partnerID, benefitID, nil, func(sub *Subscription, _ map[string]User) ([]Write, error) {
		c, err := sub.Remove(userID, now)
		if err != nil {
			return nil, err
		}
		detail := map[string]string{}
		if c.Kind == Release {
			detail["seatLockedUntil"] = c.Lock.ReusableAt().UTC().Format(time.RFC3339)
		}
		ev := audit.New(s.NewID, partnerID, actorID, audit.VisualStudioRemoved, benefitID, now).About(userID, detail)
		return []Write{{Change: c, Event: ev}}, nil
	}, nil)
}

// Page is one page of a subscription's holders, with its line.
type Page struct {
	Line  benefit.Benefit
	Seats []Seat
	Next  string
}

// List reads one page of who holds the subscription's seats, in user id
// order.
func (s Seats) List(ctx context.Context, partnerID, benefitID string, limit int, cursor string) (Page, error) {
	line, seats, next, err := s.Store.Seats(ctx, partnerID, benefitID, limit, cursor)
	if err != nil {
		return Page{}, err
	}
	if line.Kind != catalog.VisualStudio {
		return Page{}, apperr.ErrNotFound
	}
	if line.Status == benefit.Revoked {
		// Released from the cancellation's commit on, before the release
		// job deletes the seat items.
		seats, next = nil, ""
	}
	return Page{Line: line, Seats: seats, Next: next}, nil
}
