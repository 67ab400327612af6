package storetest

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/visualstudio"
)

// subState is a Visual Studio line's seat and lock items; the line's used
// count is the line's Used (partnerState.lines).
type subState struct {
	seats map[string]visualstudio.Seat // by user id
	locks []visualstudio.Lock
}

var _ VisualStudioStore = (*Fake)(nil)

// sub is the seat state of a line, made on first use.
func (p *partnerState) sub(benefitID string) *subState {
	if p.subs == nil {
		p.subs = map[string]*subState{}
	}
	if p.subs[benefitID] == nil {
		p.subs[benefitID] = &subState{seats: map[string]visualstudio.Seat{}}
	}
	return p.subs[benefitID]
}

// VisualStudio reads a line with its seats (by user id) and locks (by user
// id, then assignedAt), as the real Query returns them.
func (f *Fake) VisualStudio(_ context.Context, partnerID, benefitID string) (visualstudio.Subscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return visualstudio.Subscription{}, apperr.ErrNotFound
	}
	b, ok := p.lines[benefitID]
	if !ok {
		return visualstudio.Subscription{}, apperr.ErrNotFound
	}
	st := p.sub(benefitID)
	sub := visualstudio.Subscription{Line: b, Locks: slices.Clone(st.locks)}
	for _, id := range slices.Sorted(maps.Keys(st.seats)) {
		sub.Seats = append(sub.Seats, st.seats[id])
	}
	return sub, nil
}

// Seats lists one page of a line's seats in user id order; the fake's
// cursor is the last user id of the page before.
func (f *Fake) Seats(ctx context.Context, partnerID, benefitID string, limit int, cursor string) (benefit.Benefit, []visualstudio.Seat, string, error) {
	sub, err := f.VisualStudio(ctx, partnerID, benefitID)
	if err != nil {
		return benefit.Benefit{}, nil, "", err
	}
	i, _ := slices.BinarySearchFunc(sub.Seats, cursor, func(s visualstudio.Seat, id string) int { return cmp.Compare(s.UserID, id) })
	if cursor != "" && i < len(sub.Seats) && sub.Seats[i].UserID == cursor {
		i++
	}
	seats := sub.Seats[i:]
	next := ""
	if limit > 0 && len(seats) > limit {
		seats, next = seats[:limit], seats[limit-1].UserID
	}
	return sub.Line, seats, next, nil
}

// RevokeSubscription revokes a line as a committed cancellation does; its
// seats stay until the cancellation is finished.
func (f *Fake) RevokeSubscription(_ context.Context, partnerID, benefitID string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return apperr.ErrNotFound
	}
	b, ok := p.lines[benefitID]
	if !ok || b.Status == benefit.Revoked {
		return store.ErrConflict
	}
	b.Status = benefit.Revoked
	p.lines[benefitID] = b
	return nil
}

// UpdateSubscription reads, decides and writes conditionally, retrying lost
// rounds with the real store's helper and bounds.
func (f *Fake) UpdateSubscription(ctx context.Context, partnerID, benefitID string, userIDs []string, decide visualstudio.Decide, committed func(n int)) error {
	err := store.RetryConflicts(ctx, visualstudio.Attempts, func() error {
		sub, err := f.VisualStudio(ctx, partnerID, benefitID)
		if err != nil {
			return err
		}
		users := f.vsUsers(partnerID, userIDs)
		ws, err := decide(&sub, users)
		if err != nil {
			return err
		}
		return f.writeSeats(sub.Line, ws, committed)
	})
	if errors.Is(err, store.ErrConflict) {
		return visualstudio.ErrBusy
	}
	return err
}

func (f *Fake) vsUsers(partnerID string, ids []string) map[string]visualstudio.User {
	f.mu.Lock()
	defer f.mu.Unlock()
	users := map[string]visualstudio.User{}
	p := f.partner(partnerID)
	for _, id := range ids {
		if u := p.users[id]; u != nil {
			users[id] = visualstudio.User{ID: u.user.ID, Email: u.user.Email, DisplayName: u.user.DisplayName}
		}
	}
	return users
}

// writeSeats writes the changes in the real store's transactions (at most
// store.SeatChangesPerTransaction, a new one when a change touches an item
// the transaction already does), each all or nothing under its conditions.
func (f *Fake) writeSeats(line benefit.Benefit, ws []visualstudio.Write, committed func(n int)) error {
	for applied := 0; applied < len(ws); {
		n, touched := 0, map[string]bool{}
		for _, w := range ws[applied:] {
			keys := seatKeys(w.Change)
			if n == store.SeatChangesPerTransaction || (n > 0 && slices.ContainsFunc(keys, func(k string) bool { return touched[k] })) {
				break
			}
			for _, k := range keys {
				touched[k] = true
			}
			n++
		}
		if err := f.transact(line, ws[applied:applied+n]); err != nil {
			return err
		}
		applied += n
		if committed != nil {
			committed(applied)
		}
	}
	return nil
}

// seatKeys are the items a change writes (the real seatWrites' keys).
func seatKeys(c visualstudio.Change) []string {
	seat := func(s visualstudio.Seat) []string { return []string{"seat#" + s.UserID, "user#" + s.UserID} }
	lock := "lock#" + c.Lock.UserID + "#" + c.Lock.AssignedAt.UTC().Format(time.RFC3339Nano)
	switch c.Kind {
	case visualstudio.New:
		return seat(c.Seat)
	case visualstudio.Reclaim, visualstudio.Reuse:
		return append(seat(c.Seat), lock)
	case visualstudio.Move:
		return append(seat(c.Seat), "seat#"+c.From.UserID)
	case visualstudio.Remove:
		return []string{"seat#" + c.Seat.UserID}
	case visualstudio.Release:
		return []string{"seat#" + c.Seat.UserID, lock}
	}
	return nil
}

// transact applies one transaction's changes if every condition of the
// real one holds on the state as it is now; otherwise store.ErrConflict and
// nothing changes.
func (f *Fake) transact(line benefit.Benefit, ws []visualstudio.Write) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(line.PartnerID)
	if p == nil {
		return store.ErrConflict
	}
	now, ok := p.lines[line.ID]
	if !ok {
		return store.ErrConflict
	}
	st := p.sub(line.ID)
	seats, locks := maps.Clone(st.seats), slices.Clone(st.locks)
	delta, gives := 0, false
	var events []audit.Event
	for _, w := range ws {
		c := w.Change
		if w.Event.ID == "" {
			return errors.New("storetest: a seat change without its audit event")
		}
		if c.Kind == visualstudio.Unchanged {
			return errors.New("storetest: nothing to write for an unchanged seat")
		}
		// A seat deleted only as read (assignedAt = :read).
		takeSeat := func(s visualstudio.Seat) bool {
			held, ok := seats[s.UserID]
			if !ok || !held.AssignedAt.Equal(s.AssignedAt) {
				return false
			}
			delete(seats, s.UserID)
			return true
		}
		// A new seat item, for a user in the directory.
		putSeat := func(s visualstudio.Seat) bool {
			if _, ok := seats[s.UserID]; ok || p.users[s.UserID] == nil {
				return false
			}
			seats[s.UserID] = s
			return true
		}
		isLock := func(l visualstudio.Lock) func(visualstudio.Lock) bool {
			return func(x visualstudio.Lock) bool { return x.UserID == l.UserID && x.AssignedAt.Equal(l.AssignedAt) }
		}
		var held bool
		switch c.Kind {
		case visualstudio.New:
			held = putSeat(c.Seat)
		case visualstudio.Reclaim, visualstudio.Reuse:
			i := slices.IndexFunc(locks, isLock(c.Lock))
			if held = i >= 0; held {
				locks = slices.Delete(locks, i, i+1)
				held = putSeat(c.Seat)
			}
		case visualstudio.Move:
			held = takeSeat(c.From) && putSeat(c.Seat)
		case visualstudio.Remove:
			held = takeSeat(c.Seat)
		case visualstudio.Release:
			if held = takeSeat(c.Seat) && !slices.ContainsFunc(locks, isLock(c.Lock)); held {
				locks = append(locks, c.Lock)
			}
		}
		if !held || slices.ContainsFunc(p.events, func(e audit.Event) bool { return e.ID == w.Event.ID && e.At.Equal(w.Event.At) }) {
			return store.ErrConflict
		}
		delta += c.CountDelta()
		gives = gives || c.Kind != visualstudio.Remove && c.Kind != visualstudio.Release
		events = append(events, w.Event)
	}
	// The line's count: never above the quantity, never below zero, and
	// seats are given only on a line still available.
	if now.Used+delta > now.Quantity || now.Used+delta < 0 || (gives && now.Status != benefit.Available) {
		return store.ErrConflict
	}
	slices.SortFunc(locks, func(a, b visualstudio.Lock) int {
		return cmp.Or(cmp.Compare(a.UserID, b.UserID), a.AssignedAt.Compare(b.AssignedAt))
	})
	now.Used += delta
	p.lines[line.ID] = now
	st.seats, st.locks = seats, locks
	p.events = append(p.events, events...)
	return nil
}
