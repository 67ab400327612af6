// Package visualstudio holds the rules of developer (Visual Studio)
// subscriptions: a line of N subscriptions is N seats, each held by one
// directory user, and a seat moves to another user only 90 days after it
// was assigned. The rules decide; the store writes what they decide under
// conditions that hold only if nothing changed since the read.
package visualstudio

import (
	"slices"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
)

// ReassignAfter is how long a seat stays with the user it was assigned to
// before it may go to someone else.
const ReassignAfter = 90 * 24 * time.Hour

// Seat is a user holding one subscription.
type Seat struct {
	UserID      string
	Email       string
	DisplayName string
	AssignedAt  time.Time
}

// ReassignableAt is when the seat may move to another user.
func (s Seat) ReassignableAt() time.Time { return s.AssignedAt.Add(ReassignAfter) }

// Lock is a seat taken from its user before its 90 days were over: nobody
// else may have it until then, but the same user may have it back at once.
type Lock struct {
	UserID     string // whose seat it was
	AssignedAt time.Time
}

// ReusableAt is when the locked seat may go to another user.
func (l Lock) ReusableAt() time.Time { return l.AssignedAt.Add(ReassignAfter) }

// Subscription is a Visual Studio line with its seats, as read together.
type Subscription struct {
	Line  benefit.Benefit
	Seats []Seat
	Locks []Lock
}

// Used is the number of seats not free: held or locked (the line's count).
func (s Subscription) Used() int { return len(s.Seats) + len(s.Locks) }

// User is what the rules need of a directory user.
type User struct {
	ID          string
	Email       string
	DisplayName string
}

// Kind says what a change does to the stored seats.
type Kind int

const (
	Unchanged Kind = iota // the user already holds a seat: nothing to write
	New                   // a free seat: the line's count goes up
	Reclaim               // the user takes back their own locked seat
	Reuse                 // another user takes a lock whose 90 days are over
	Move                  // a held seat goes to another user (replacesUserId)
	Remove                // a seat held 90 days or more is freed
	Release               // a seat held under 90 days is freed into a lock
)

// Change is one decided seat change.
type Change struct {
	Kind Kind
	// Seat is the seat as it is after the change (New, Reclaim, Reuse, Move,
	// Unchanged), or the seat given up (Remove, Release).
	Seat Seat
	// From is the seat a Move takes from its holder.
	From Seat
	// Lock is the lock a Reclaim or Reuse consumes, or a Release creates.
	Lock Lock
}

// CountDelta is what the change does to the line's used count.
func (c Change) CountDelta() int {
	switch c.Kind {
	case New:
		return 1
	case Remove:
		return -1
	}
	return 0
}

// Errors of the seat rules; the codes are the API's.
var (
	ErrNoSeatsLeft     = apperr.New(apperr.Conflict, "no_seats_left", "Every subscription of this benefit is assigned; remove a user or move a seat.")
	ErrUserNotFound    = apperr.New(apperr.Unprocessable, "user_not_found", "No user with that id in this partner's directory.")
	ErrTooSoon         = apperr.New(apperr.Conflict, "reassignment_too_soon", "A subscription moves to another user only 90 days after it was assigned.")
	ErrNotAssigned     = apperr.New(apperr.Unprocessable, "user_not_assigned", "replacesUserId holds no subscription of this benefit.")
	ErrAlreadyAssigned = apperr.New(apperr.Conflict, "already_assigned", "That user already holds a subscription of this benefit; each user holds at most one.")
	ErrNotAHolder      = apperr.New(apperr.NotFound, "not_found", "That user holds no subscription of this benefit.")
)

// Seat returns the seat a user holds, if any.
func (s *Subscription) Seat(userID string) (Seat, bool) {
	i := slices.IndexFunc(s.Seats, func(x Seat) bool { return x.UserID == userID })
	if i < 0 {
		return Seat{}, false
	}
	return s.Seats[i], true
}

// Assign decides giving u a seat, or with replaces set, moving replaces'
// seat to u. On success the subscription is updated as if the change were
// written, so a bulk request decides its rows in order against one read.
func (s *Subscription) Assign(u User, found bool, replaces string, now time.Time) (Change, error) {
	if err := s.Line.Usable(catalog.VisualStudio, now); err != nil {
		return Change{}, err
	}
	if !found {
		return Change{}, ErrUserNotFound
	}
	if replaces != "" {
		return s.move(u, replaces, now)
	}
	if seat, ok := s.Seat(u.ID); ok {
		return Change{Kind: Unchanged, Seat: seat}, nil
	}
	seat := Seat{UserID: u.ID, Email: u.Email, DisplayName: u.DisplayName, AssignedAt: now}
	// The user's own locked seat comes back with its clock.
	if i := slices.IndexFunc(s.Locks, func(l Lock) bool { return l.UserID == u.ID }); i >= 0 {
		l := s.Locks[i]
		seat.AssignedAt = l.AssignedAt
		s.Locks = slices.Delete(s.Locks, i, i+1)
		s.Seats = append(s.Seats, seat)
		return Change{Kind: Reclaim, Seat: seat, Lock: l}, nil
	}
	if s.Used() < s.Line.Quantity {
		s.Seats = append(s.Seats, seat)
		return Change{Kind: New, Seat: seat}, nil
	}
	// Full: the lock that freed first, if its 90 days are over.
	if len(s.Locks) == 0 {
		return Change{}, ErrNoSeatsLeft
	}
	i := 0
	for j, l := range s.Locks {
		if l.ReusableAt().Before(s.Locks[i].ReusableAt()) {
			i = j
		}
	}
	l := s.Locks[i]
	if now.Before(l.ReusableAt()) {
		return Change{}, ErrNoSeatsLeft.With("nextSeatFreeAt", l.ReusableAt().UTC())
	}
	s.Locks = slices.Delete(s.Locks, i, i+1)
	s.Seats = append(s.Seats, seat)
	return Change{Kind: Reuse, Seat: seat, Lock: l}, nil
}

func (s *Subscription) move(u User, replaces string, now time.Time) (Change, error) {
	from, ok := s.Seat(replaces)
	if !ok {
		return Change{}, ErrNotAssigned
	}
	if replaces == u.ID {
		return Change{Kind: Unchanged, Seat: from}, nil
	}
	if _, holds := s.Seat(u.ID); holds {
		return Change{}, ErrAlreadyAssigned
	}
	if now.Before(from.ReassignableAt()) {
		return Change{}, ErrTooSoon.With("earliestReassignmentAt", from.ReassignableAt().UTC())
	}
	seat := Seat{UserID: u.ID, Email: u.Email, DisplayName: u.DisplayName, AssignedAt: now}
	s.Seats[slices.IndexFunc(s.Seats, func(x Seat) bool { return x.UserID == replaces })] = seat
	return Change{Kind: Move, Seat: seat, From: from}, nil
}

// Remove decides taking a user's seat away. Removal is always allowed, so
// an admin can act the day someone leaves; a seat under 90 days old becomes
// a lock, so removing and re-adding is no way round the 90-day rule.
func (s *Subscription) Remove(userID string, now time.Time) (Change, error) {
	if s.Line.Kind != catalog.VisualStudio {
		return Change{}, apperr.ErrNotFound
	}
	seat, ok := s.Seat(userID)
	// A revoked line's seats are released from the cancellation's commit
	// on, before the release job deletes them: nobody holds one.
	if !ok || s.Line.Status == benefit.Revoked {
		return Change{}, ErrNotAHolder
	}
	s.Seats = slices.DeleteFunc(s.Seats, func(x Seat) bool { return x.UserID == userID })
	if now.Before(seat.ReassignableAt()) {
		l := Lock{UserID: userID, AssignedAt: seat.AssignedAt}
		s.Locks = append(s.Locks, l)
		return Change{Kind: Release, Seat: seat, Lock: l}, nil
	}
	return Change{Kind: Remove, Seat: seat}, nil
}
