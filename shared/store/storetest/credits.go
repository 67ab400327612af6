package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/store"
)

// creditState is the credit item and its seat items.
type creditState struct {
	c       credit.Credit // Holders unused: seats holds them
	revoked bool          // the item's revokedAt
	seats   map[string]credit.Holder
}

var _ CreditStore = (*Fake)(nil)

// RevokeCredit marks a credit revoked, as a committed cancellation does.
func (f *Fake) RevokeCredit(_ context.Context, partnerID, benefitID string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil || p.credits[benefitID] == nil || p.credits[benefitID].revoked {
		return store.ErrConflict
	}
	st := p.credits[benefitID]
	st.revoked = true
	st.c.DueFor = credit.Period{}
	return nil
}

// Credit reads one credit line with its holders (by user id, as the real
// Query returns the seat items).
func (f *Fake) Credit(_ context.Context, partnerID, benefitID string) (credit.Credit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil || p.credits[benefitID] == nil {
		return credit.Credit{}, apperr.ErrNotFound
	}
	st := p.credits[benefitID]
	c := st.c
	c.Grants = slices.Clone(c.Grants)
	c.Holders = nil
	for _, h := range st.seats {
		c.Holders = append(c.Holders, h)
	}
	slices.SortFunc(c.Holders, func(a, b credit.Holder) int { return cmp.Compare(a.UserID, b.UserID) })
	c.Revoked = st.revoked || p.lines[benefitID].Status == benefit.Revoked
	return c, nil
}

// CreditUser reads what the credit rules need of a directory user.
func (f *Fake) CreditUser(_ context.Context, partnerID, userID string) (credit.User, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil || p.users[userID] == nil {
		return credit.User{}, false, nil
	}
	u := p.users[userID]
	return credit.User{ID: u.user.ID, Email: u.user.Email, DisplayName: u.user.DisplayName,
		Offers: slices.Clone(u.offers), Annual: u.annual}, true, nil
}

// UpdateCredit reads, decides and writes conditionally, retrying lost
// rounds with the real store's helper and bounds.
func (f *Fake) UpdateCredit(ctx context.Context, partnerID, benefitID, userID string, decide credit.Decide) error {
	var u credit.User
	var found bool
	return store.Update(ctx, credit.Attempts, credit.ErrBusy, func() (credit.Credit, error) {
		if userID != "" {
			u, found, _ = f.CreditUser(ctx, partnerID, userID)
		}
		return f.Credit(ctx, partnerID, benefitID)
	}, func(c credit.Credit) (credit.Change, error) { return decide(c, u, found) }, f.write)
}

// write applies ch, decided on c, if the real transaction's conditions hold
// now; otherwise store.ErrConflict and nothing changes.
func (f *Fake) write(c credit.Credit, ch credit.Change) error {
	if ch.Op == credit.OpNone {
		return nil
	}
	if ch.Event.ID == "" {
		return errors.New("storetest: a credit change without its audit event")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(c.PartnerID)
	if p == nil || p.credits[c.BenefitID] == nil {
		return store.ErrConflict
	}
	st := p.credits[c.BenefitID]
	if slices.ContainsFunc(p.events, func(e audit.Event) bool { return e.ID == ch.Event.ID && e.At.Equal(ch.Event.At) }) {
		return store.ErrConflict
	}
	var apply func()
	switch ch.Op {
	case credit.OpAssign:
		apply = f.assign(p, st, c, ch.Assignment)
	case credit.OpRemove:
		apply = f.remove(p, st, c, ch.UserID)
	case credit.OpTransfer:
		apply = f.transfer(p, st, c, ch.Assignment)
	default:
		return fmt.Errorf("storetest: unknown credit change %d", ch.Op)
	}
	if apply == nil {
		return store.ErrConflict
	}
	apply()
	p.events = append(p.events, ch.Event)
	return nil
}

// assign checks the conditions of the real assignCredit and returns the
// write, or nil when one fails.
func (f *Fake) assign(p *partnerState, st *creditState, c credit.Credit, a credit.Assignment) func() {
	now := st.c
	var creditOK bool
	switch {
	case c.Kind == catalog.CreditAnnual:
		creditOK = now.Seats == 0 && now.EnrolledAt.IsZero() && !st.revoked
	case a.FirstSeat:
		creditOK = now.Seats == 0 && now.NextPeriod == c.NextPeriod && !st.revoked
	default:
		creditOK = now.Seats > 0 && now.Seats < c.Quantity && !st.revoked
	}
	_, seated := st.seats[a.Holder.UserID]
	if !creditOK || seated || !canTakeOffer(p.users[a.Holder.UserID], c.Kind) {
		return nil
	}
	return func() {
		switch {
		case c.Kind == catalog.CreditAnnual:
			g := *a.Grant
			st.c.Seats, st.c.Holder = 1, a.Holder.UserID
			st.c.EnrolledAt, st.c.EnrolmentEndsAt = credit.Enrolment(a.Holder.AssignedAt)
			st.c.Balance += g.Amount
			// grants.<month> = entry: one entry per month.
			st.c.Grants = append(slices.DeleteFunc(st.c.Grants, func(x credit.Grant) bool { return x.Period == g.Period }), g)
			slices.SortFunc(st.c.Grants, func(x, y credit.Grant) int { return x.Period.Start().Compare(y.Period.Start()) })
		case a.FirstSeat:
			st.c.Seats, st.c.NextPeriod, st.c.DueFor = 1, a.NextPeriod, a.NextPeriod
		default:
			st.c.Seats++
		}
		st.seats[a.Holder.UserID] = a.Holder
		takeOffer(p.users[a.Holder.UserID], c)
	}
}

// remove checks the conditions of the real removeCreditHolder (which, like
// it, do not look at revocation: the decision did).
func (f *Fake) remove(p *partnerState, st *creditState, c credit.Credit, userID string) func() {
	last := c.Seats <= 1
	_, seated := st.seats[userID]
	u := p.users[userID]
	if (last && st.c.Seats != 1) || (!last && st.c.Seats <= 1) || !seated || u == nil {
		return nil
	}
	return func() {
		st.c.Seats--
		if last {
			st.c.DueFor = credit.Period{}
		}
		delete(st.seats, userID)
		dropOffer(u, c)
	}
}

// transfer checks the conditions of the real transferCredit.
func (f *Fake) transfer(p *partnerState, st *creditState, c credit.Credit, a credit.Assignment) func() {
	from, to := p.users[c.Holder], p.users[a.Holder.UserID]
	_, fromSeated := st.seats[c.Holder]
	_, toSeated := st.seats[a.Holder.UserID]
	if st.c.Holder != c.Holder || st.revoked || !fromSeated || toSeated || from == nil || !canTakeOffer(to, c.Kind) {
		return nil
	}
	return func() {
		st.c.Holder = a.Holder.UserID
		delete(st.seats, c.Holder)
		st.seats[a.Holder.UserID] = a.Holder
		dropOffer(from, c)
		takeOffer(to, c)
	}
}

// canTakeOffer is takeOffer's condition: the user exists; an annual credit
// needs a user with no credit offer, any other a user with no annual one.
func canTakeOffer(u *userState, kind catalog.Kind) bool {
	if u == nil {
		return false
	}
	if kind == catalog.CreditAnnual {
		return len(u.offers) == 0
	}
	return u.annual == ""
}

func takeOffer(u *userState, c credit.Credit) {
	if !slices.Contains(u.offers, c.BenefitID) {
		u.offers = append(u.offers, c.BenefitID)
		slices.Sort(u.offers)
	}
	if c.Kind == catalog.CreditAnnual {
		u.annual = c.BenefitID
	}
}

func dropOffer(u *userState, c credit.Credit) {
	u.offers = slices.DeleteFunc(u.offers, func(id string) bool { return id == c.BenefitID })
	if c.Kind == catalog.CreditAnnual {
		u.annual = ""
	}
}
