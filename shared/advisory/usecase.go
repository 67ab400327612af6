package advisory

import (
	"context"
	"strconv"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
)

// The use cases of advisory hours: request hours, list the requests. They
// take plain inputs, decide with the rules of advisory.go, build the audit
// event, and leave reading and fencing to a Store, so they run on DynamoDB
// (shared/store) and on the in-memory fake (shared/store/storetest) alike.

// Holdings is what the advisory rules read of a partner, as
// support.Holdings: its active purchases (possibly only the one of the
// highest plan) and its support and advisory lines that can still be drawn
// on (hours).
type Holdings struct {
	Purchases []benefit.Purchase
	Lines     []benefit.Benefit
}

// Change is a decided request. The store writes it with Event in one
// transaction: each line of Request.Takes takes its hours only while it is
// still live and holds them (as read).
type Change struct {
	Request Request
	Event   audit.Event
}

// Decide decides a request on the partner's holdings as read.
type Decide func(h Holdings) (Change, error)

// Store is what the advisory use cases need of storage.
type Store interface {
	// AdvisoryHoldings reads the lines the balance counts (Purchases is
	// left empty).
	AdvisoryHoldings(ctx context.Context, partnerID string) (Holdings, error)
	// AdvisoryRequests reads one page of the partner's requests, newest
	// first.
	AdvisoryRequests(ctx context.Context, partnerID string, limit int, cursor string) ([]Request, string, error)
	// UpdateAdvisory reads the holdings (with Purchases), calls decide,
	// and writes its Change conditionally. On a lost condition it reads
	// and decides again, at most benefit.DrawAttempts rounds, then
	// benefit.ErrBusy. An error of decide (or of the read) comes back as it
	// is, with nothing written.
	UpdateAdvisory(ctx context.Context, partnerID string, decide Decide) error
}

// Hours runs the advisory use cases of one request.
type Hours struct {
	Store Store
	NewID ids.Generator
}

// Request asks for hours on topic on behalf of actorID; they come off the
// lines that expire first. left is the balance after the request.
func (u Hours) Request(ctx context.Context, partnerID, actorID, topic string, hours int, now time.Time) (r Request, left int, err error) {
	r = Request{ID: u.NewID("adv"), PartnerID: partnerID, Topic: topic, Hours: hours, RequestedBy: actorID}
	err = u.Store.UpdateAdvisory(ctx, partnerID, func(h Holdings) (Change, error) {
		takes, err := Check(r, h.Purchases, h.Lines, now)
		if err != nil {
			return Change{}, err
		}
		r.Takes, r.RequestedAt = takes, now
		total, used := Balance(h.Lines, now)
		left = total - used - r.Hours
		ev := audit.New(u.NewID, partnerID, actorID, audit.AdvisoryRequested, takes[0].Line.ID, now).
			About("", map[string]string{"requestId": r.ID, "hours": strconv.Itoa(r.Hours)})
		return Change{Request: r, Event: ev}, nil
	})
	if err != nil {
		return Request{}, 0, err
	}
	return r, left, nil
}

// Page is one page of a partner's requests, newest first, with the
// balance of its live lines.
type Page struct {
	Requests    []Request
	Next        string
	Total, Used int
}

// Left is the hours left to request.
func (p Page) Left() int { return max(0, p.Total-p.Used) }

// List reads one page of the partner's requests and the balance at now.
func (u Hours) List(ctx context.Context, partnerID string, limit int, cursor string, now time.Time) (Page, error) {
	rs, next, err := u.Store.AdvisoryRequests(ctx, partnerID, limit, cursor)
	if err != nil {
		return Page{}, err
	}
	h, err := u.Store.AdvisoryHoldings(ctx, partnerID)
	if err != nil {
		return Page{}, err
	}
	p := Page{Requests: rs, Next: next}
	p.Total, p.Used = Balance(h.Lines, now)
	return p, nil
}
