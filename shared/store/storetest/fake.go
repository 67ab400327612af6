package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/gtm"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/support"
)

// Fake is the in-memory stand-in for the store: one state for every noun,
// as the real store has one table, so a use case that spans nouns (a
// cancellation revokes lines, credits and seats) sees one world. Each
// noun's file adds the methods of its use case's Store interface, and its
// state to partnerState. Its zero value is ready; it is safe for concurrent
// use. Like the real store it reads, lets a decision run without any lock,
// and writes the decided change only if the conditions of the real
// transaction hold on the state as it is then.
type Fake struct {
	mu       sync.Mutex
	partners map[string]*partnerState
	pools    map[string]*poolState // by product, as the real pools are not a partner's
	// Go-to-market (gtm.go): confirmation links by their token's hash, and
	// rate-limit counters by scope, subject and window, as neither is a
	// partner's item.
	links map[string]gtm.Link
	rates map[string]int
	// catalogs holds each published catalogue document by version, current
	// the live one's (catalog.go).
	catalogs map[string][]byte
	current  []byte
	// adminRequests: the global-admin requests (adminrequest.go).
	adminRequests *adminRequestState
}

type partnerState struct {
	users   map[string]*userState
	lines   map[string]benefit.Benefit
	credits map[string]*creditState
	events  []audit.Event
	subs    map[string]*subState // Visual Studio seats and locks, by line
	// support is the partner's contract (nil before activation);
	// incidents and advisory the requests that drew from its lines.
	support   *support.Activation
	incidents []support.Incident
	advisory  []advisory.Request
	// purchases as bought, by id (the support and advisory rules read the
	// plans). Cancellation (cancel.go): the partner as created, the service
	// request of each cancelled purchase (by purchase id), the mail queued
	// and the purchases whose release is unfinished.
	info      partner.Partner
	purchases map[string]benefit.Purchase
	requests  map[string]cancel.ServiceRequest
	outbox    []mail.Message
	releasing map[string]bool
	tenants   map[string]license.Subscription // by tenantSK; made on first use
	contact   *gtm.Contact                    // the marketing contact (nil before one is named)
}

type userState struct {
	user   partner.User
	offers []string // the credit benefit ids held (DynamoDB's creditOffers set)
	annual string   // the annual credit among them (annualCredit)
}

// New returns an empty fake.
func New() *Fake { return &Fake{} }

func (f *Fake) partner(id string) *partnerState {
	if f.partners == nil {
		f.partners = map[string]*partnerState{}
	}
	return f.partners[id]
}

// CreatePartner adds a partner and its first admin.
func (f *Fake) CreatePartner(_ context.Context, p partner.Partner, admin partner.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.partner(p.ID) != nil {
		return partner.ErrPartnerExists
	}
	f.partners[p.ID] = &partnerState{users: map[string]*userState{admin.ID: {user: admin}},
		lines: map[string]benefit.Benefit{}, credits: map[string]*creditState{},
		info: p, purchases: map[string]benefit.Purchase{}, requests: map[string]cancel.ServiceRequest{}, releasing: map[string]bool{}}
	return nil
}

// CreateUser adds a directory user to an existing partner.
func (f *Fake) CreateUser(_ context.Context, u partner.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(u.PartnerID)
	switch {
	case p == nil:
		return apperr.ErrNotFound
	case p.users[u.ID] != nil || p.hasEmail(u.Email):
		return partner.ErrUserExists
	}
	p.users[u.ID] = &userState{user: u}
	return nil
}

// CreatePurchase adds a purchase's lines; a credit line starts as the real
// store's newCreditItem: no seats, due from the month after the purchase
// once it has a holder. The mail owed is queued with it.
func (f *Fake) CreatePurchase(_ context.Context, pur benefit.Purchase, lines []benefit.Benefit, owed ...mail.Message) error {
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
	p.purchases[pur.ID] = pur
	p.outbox = append(p.outbox, owed...)
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

// Audit lists a partner's events newest first, all or one benefit's, up
// to limit (one page: the fake has no cursor).
func (f *Fake) Audit(_ context.Context, partnerID, benefitID string, limit int, _ string) ([]audit.Event, string, error) {
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

// Benefit reads one line. Errors: apperr.ErrNotFound.
func (f *Fake) Benefit(_ context.Context, partnerID, benefitID string) (benefit.Benefit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return benefit.Benefit{}, apperr.ErrNotFound
	}
	b, ok := p.lines[benefitID]
	if !ok {
		return benefit.Benefit{}, apperr.ErrNotFound
	}
	if b.Redemption != nil { // a copy, as a read of the item would be
		r := *b.Redemption
		b.Redemption = &r
	}
	return b, nil
}
