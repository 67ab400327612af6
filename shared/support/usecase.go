package support

import (
	"context"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
)

// The use cases of product support: activate, read, open an incident. They
// take plain inputs, decide with the rules of support.go, build the audit
// event, and leave reading and fencing to a Store, so they run on DynamoDB
// (shared/store) and on the in-memory fake (shared/store/storetest) alike.

// Holdings is what the support rules read of a partner: its active
// purchases, of which the store may give only the one of the highest plan
// (catalog.Plans order), since that decides every rule (every plan is
// eligible, and Gold and Silver, which have signature cloud support, rank
// above Action Pack); its support and advisory lines that can still be
// drawn on (incident counts; not revoked, not expired by the expiry job:
// the rules still check the date); and its contract, if activated.
type Holdings struct {
	Purchases  []benefit.Purchase
	Lines      []benefit.Benefit
	Activation *Activation
}

// Op is the kind of write a support decision chose.
type Op int

const (
	// OpNone writes nothing: support is activated already.
	OpNone Op = iota
	OpActivate
	OpOpenIncident
)

// Change is a decided support change. The store writes it with Event in
// one transaction, under conditions that hold only if what the decision
// read is still so: no contract yet (OpActivate); the line still live with
// an incident left (OpOpenIncident).
type Change struct {
	Op         Op
	Activation Activation // OpActivate
	Incident   Incident   // OpOpenIncident, counted against Line
	Line       benefit.Benefit
	Event      audit.Event
}

// Decide decides a support change on the partner's holdings as read.
type Decide func(h Holdings) (Change, error)

// Store is what the support use cases need of storage.
type Store interface {
	// SupportHoldings reads what the summary shows: the partner's lines
	// and contract (Purchases is left empty).
	SupportHoldings(ctx context.Context, partnerID string) (Holdings, error)
	// UpdateSupport reads the holdings (with Purchases), calls decide, and
	// writes its Change conditionally. On a lost condition it reads and
	// decides again, at most benefit.DrawAttempts rounds, then
	// benefit.ErrBusy. An error of decide (or of the read) comes back as it
	// is, with nothing written.
	UpdateSupport(ctx context.Context, partnerID string, decide Decide) error
	// Incidents pages through the partner's incidents, newest first (one
	// Query): limit at most, and the cursor of the next page ("" at the
	// end). Errors: a cursor that is not this list's.
	Incidents(ctx context.Context, partnerID string, limit int, cursor string) ([]Incident, string, error)
}

// Summary is what every user of the partner sees of support: the contract,
// if activated, and the incidents of the live support lines.
type Summary struct {
	Activation *Activation
	Quantity   int
	Used       int
}

// Remaining is the incidents left to open.
func (s Summary) Remaining() int { return max(0, s.Quantity-s.Used) }

// Summarize counts the incidents of the live support lines at now.
func Summarize(h Holdings, now time.Time) Summary {
	s := Summary{Activation: h.Activation}
	for _, b := range h.Lines {
		if b.Kind == catalog.Support && b.Live(now) {
			s.Quantity += b.Quantity
			s.Used += b.Used
		}
	}
	return s
}

// Desk runs the support use cases of one request.
type Desk struct {
	Store Store
	NewID ids.Generator
}

// Activate creates the partner's Access ID and Contract ID once, on behalf
// of actorID. created is false when the partner had them already (an
// earlier or a racing activation): every caller gets the same ids.
func (d Desk) Activate(ctx context.Context, partnerID, actorID string, now time.Time) (sum Summary, created bool, err error) {
	err = d.Store.UpdateSupport(ctx, partnerID, func(h Holdings) (Change, error) {
		if h.Activation != nil {
			sum, created = Summarize(h, now), false
			return Change{}, nil
		}
		if err := Eligible(h.Purchases); err != nil {
			return Change{}, err
		}
		a := Activate(actorID, now)
		h.Activation = &a
		sum, created = Summarize(h, now), true
		ev := audit.New(d.NewID, partnerID, actorID, audit.SupportActivated, "", now)
		return Change{Op: OpActivate, Activation: a, Event: ev}, nil
	})
	if err != nil {
		return Summary{}, false, err
	}
	return sum, created, nil
}

// Get shows the contract ids and the incidents left.
func (d Desk) Get(ctx context.Context, partnerID string, now time.Time) (Summary, error) {
	h, err := d.Store.SupportHoldings(ctx, partnerID)
	if err != nil {
		return Summary{}, err
	}
	return Summarize(h, now), nil
}

// Incidents lists the partner's incidents, newest first, a page at a time:
// what any user of the partner may read of its support.
func (d Desk) Incidents(ctx context.Context, partnerID string, limit int, cursor string) ([]Incident, string, error) {
	return d.Store.Incidents(ctx, partnerID, limit, cursor)
}

// OpenIncident opens in (category, product, productVersion) for actorID
// and counts it against the support line that expires first. The catalogue
// says which versions of an on-premises product are supported.
func (d Desk) OpenIncident(ctx context.Context, partnerID, actorID string, in Incident, cat *catalog.Catalog, now time.Time) (Incident, error) {
	in.ID, in.PartnerID, in.OpenedBy = d.NewID("inc"), partnerID, actorID
	err := d.Store.UpdateSupport(ctx, partnerID, func(h Holdings) (Change, error) {
		line, err := CheckIncident(in, h.Purchases, h.Lines, h.Activation != nil, cat, now)
		if err != nil {
			return Change{}, err
		}
		in.OpenedAt, in.BenefitID = now, line.ID
		ev := audit.New(d.NewID, partnerID, actorID, audit.IncidentOpened, line.ID, now).
			About("", map[string]string{"incidentId": in.ID, "category": string(in.Category), "product": in.Product})
		return Change{Op: OpOpenIncident, Incident: in, Line: line, Event: ev}, nil
	})
	if err != nil {
		return Incident{}, err
	}
	return in, nil
}
