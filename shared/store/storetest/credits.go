package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
)

// Credits is the in-memory fake of credit.Store, with the fixture writes
// of CreditStore. Its zero value is ready; it is safe for concurrent use.
// Like the real store it reads a credit and a user as two separate reads,
// lets the decision run without any lock, and writes the decided change
// only if the conditions of the real transaction (shared/store/credits.go,
// ACCESS_PATTERNS.md) hold on the state as it is now.
type Credits struct {
	mu       sync.Mutex
	partners map[string]*partnerState
}

var _ CreditStore = (*Credits)(nil)

type partnerState struct {
	users   map[string]*userState
	lines   map[string]benefit.Benefit
	credits map[string]*creditState
	events  []audit.Event
}

type userState struct {
	user   partner.User
	offers []string // the credit benefit ids held (DynamoDB's creditOffers set)
	annual string   // the annual credit among them (annualCredit)
}

// creditState is the credit item and its seat items.
type creditState struct {
	c       credit.Credit // Holders unused: seats holds them
	revoked bool          // the item's revokedAt
	seats   map[string]credit.Holder
}

// NewCredits returns an empty fake.
func NewCredits() *Credits { return &Credits{} }

func (f *Credits) partner(id string) *partnerState {
	if f.partners == nil {
		f.partners = map[string]*partnerState{}
	}
	return f.partners[id]
}

// CreatePartner adds a partner and its first admin.
func (f *Credits) CreatePartner(_ context.Context, p partner.Partner, admin partner.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.partner(p.ID) != nil {
		return fmt.Errorf("storetest: partner %s exists", p.ID)
	}
	f.partners[p.ID] = &partnerState{users: map[string]*userState{admin.ID: {user: admin}},
		lines: map[string]benefit.Benefit{}, credits: map[string]*creditState{}}
	return nil
}

// CreateUser adds a directory user to an existing partner.
func (f *Credits) CreateUser(_ context.Context, u partner.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(u.PartnerID)
	switch {
	case p == nil:
		return apperr.ErrNotFound
	case p.users[u.ID] != nil:
		return partner.ErrUserExists
	}
	p.users[u.ID] = &userState{user: u}
	return nil
}

// CreatePurchase adds a purchase's lines; a credit line starts as the real
// store's newCreditItem: no seats, due from the month after the purchase
// once it has a holder. The mail is not kept.
func (f *Credits) CreatePurchase(_ context.Context, pur benefit.Purchase, lines []benefit.Benefit, _ ...mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(pur.PartnerID)
	if p == nil {
		return apperr.ErrNotFound
	}
	for _, b := range lines {
		if _, ok := p.lines[b.ID]; ok {
			return fmt.Errorf("storetest: line %s exists", b.ID)
		}
	}
	for _, b := range lines {
		p.lines[b.ID] = b
		if !b.Kind.IsCredit() || b.Credit == nil {
			continue
		}
		p.credits[b.ID] = &creditState{seats: map[string]credit.Holder{}, c: credit.Credit{
			BenefitID: b.ID, PartnerID: b.PartnerID, Kind: b.Kind, Product: b.Product, Quantity: b.Quantity,
			PerSeat: *b.Credit, NextPeriod: credit.PeriodOf(b.CreatedAt).Next(), ExpiresAt: b.ExpiresAt}}
	}
	return nil
}

// RevokeCredit marks a credit revoked, as a committed cancellation does.
func (f *Credits) RevokeCredit(_ context.Context, partnerID, benefitID string, _ time.Time) error {
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

// Audit lists a partner's events newest first, all or one benefit's, up
// to limit (one page: the fake has no cursor).
func (f *Credits) Audit(_ context.Context, partnerID, benefitID string, limit int, _ string) ([]audit.Event, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return nil, "", nil
	}
	var out []audit.Event
	for _, e := range p.events {
		if benefitID == "" || e.BenefitID == benefitID {
			out = append(out, e)
		}
	}
	// The real sort key is the time, then the id; newest first.
	slices.SortFunc(out, func(a, b audit.Event) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.ID, a.ID))
	})
	return out[:min(len(out), max(limit, 0))], "", nil
}

// Credit reads one credit line with its holders (by user id, as the real
// Query returns the seat items).
func (f *Credits) Credit(_ context.Context, partnerID, benefitID string) (credit.Credit, error) {
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
func (f *Credits) CreditUser(_ context.Context, partnerID, userID string) (credit.User, bool, error) {
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
func (f *Credits) UpdateCredit(ctx context.Context, partnerID, benefitID, userID string, decide credit.Decide) error {
	err := store.RetryConflicts(ctx, credit.Attempts, func() error {
		c, err := f.Credit(ctx, partnerID, benefitID)
		if err != nil {
			return err
		}
		var u credit.User
		var found bool
		if userID != "" {
			u, found, _ = f.CreditUser(ctx, partnerID, userID)
		}
		ch, err := decide(c, u, found)
		if err != nil {
			return err
		}
		return f.write(c, ch)
	})
	if errors.Is(err, store.ErrConflict) {
		return credit.ErrBusy
	}
	return err
}

// write applies ch, decided on c, if the real transaction's conditions hold
// now; otherwise store.ErrConflict and nothing changes.
func (f *Credits) write(c credit.Credit, ch credit.Change) error {
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
func (f *Credits) assign(p *partnerState, st *creditState, c credit.Credit, a credit.Assignment) func() {
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
func (f *Credits) remove(p *partnerState, st *creditState, c credit.Credit, userID string) func() {
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
func (f *Credits) transfer(p *partnerState, st *creditState, c credit.Credit, a credit.Assignment) func() {
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
