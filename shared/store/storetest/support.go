package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/support"
)

var (
	_ SupportStore   = (*Fake)(nil)
	_ support.Store  = (*Fake)(nil)
	_ advisory.Store = (*Fake)(nil)
)

// holdings is what the real store reads of its holdings index (GSI2),
// copies: with plans, the active purchase of the highest plan (then the
// highest id); the support and advisory lines in a status that can be
// drawn from, by id; the contract.
func (f *Fake) holdings(partnerID string, plans bool) ([]benefit.Purchase, []benefit.Benefit, *support.Activation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return nil, nil, nil
	}
	var purchases []benefit.Purchase
	if plans {
		rank := func(p benefit.Purchase) int { return slices.Index(catalog.Plans, p.Plan) }
		for _, pu := range p.purchases {
			if pu.Status == benefit.PurchaseActive && (len(purchases) == 0 ||
				cmp.Or(cmp.Compare(rank(pu), rank(purchases[0])), cmp.Compare(pu.ID, purchases[0].ID)) > 0) {
				purchases = []benefit.Purchase{pu}
			}
		}
	}
	var lines []benefit.Benefit
	for _, b := range p.lines {
		if (b.Kind == catalog.Support || b.Kind == catalog.AdvisoryHours) && drawableStatus(b.Status) {
			lines = append(lines, b)
		}
	}
	slices.SortFunc(lines, func(a, b benefit.Benefit) int { return cmp.Compare(a.ID, b.ID) })
	var a *support.Activation
	if p.support != nil {
		c := *p.support
		a = &c
	}
	return purchases, lines, a
}

// SupportHoldings reads the partner's lines and contract.
func (f *Fake) SupportHoldings(_ context.Context, partnerID string) (support.Holdings, error) {
	_, lines, a := f.holdings(partnerID, false)
	return support.Holdings{Lines: lines, Activation: a}, nil
}

// AdvisoryHoldings reads the partner's lines.
func (f *Fake) AdvisoryHoldings(_ context.Context, partnerID string) (advisory.Holdings, error) {
	_, lines, _ := f.holdings(partnerID, false)
	return advisory.Holdings{Lines: lines}, nil
}

// UpdateSupport reads, decides and writes conditionally, retrying lost
// rounds with the real store's helper and bounds.
func (f *Fake) UpdateSupport(ctx context.Context, partnerID string, decide support.Decide) error {
	return store.Update(ctx, benefit.DrawAttempts, benefit.ErrBusy,
		func() (support.Holdings, error) {
			purchases, lines, a := f.holdings(partnerID, true)
			return support.Holdings{Purchases: purchases, Lines: lines, Activation: a}, nil
		}, decide,
		func(_ support.Holdings, ch support.Change) error { return f.writeSupport(partnerID, ch) })
}

// writeSupport applies ch if the real transaction's conditions hold now:
// no contract yet (activate); the line live with an incident left as read,
// and a new incident id (incident). Otherwise store.ErrConflict.
func (f *Fake) writeSupport(partnerID string, ch support.Change) error {
	if ch.Op == support.OpNone {
		return nil
	}
	if ch.Event.ID == "" {
		return errors.New("storetest: a support change without its audit event")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil || f.hasEvent(p, ch.Event) {
		return store.ErrConflict
	}
	switch ch.Op {
	case support.OpActivate:
		if p.support != nil {
			return store.ErrConflict
		}
		a := ch.Activation
		p.support = &a
	case support.OpOpenIncident:
		if slices.ContainsFunc(p.incidents, func(in support.Incident) bool { return in.ID == ch.Incident.ID }) ||
			!canDraw(p, benefit.Take{Line: ch.Line, Amount: 1}) {
			return store.ErrConflict
		}
		draw(p, benefit.Take{Line: ch.Line, Amount: 1})
		in := ch.Incident
		in.PartnerID = partnerID
		p.incidents = append(p.incidents, in)
	default:
		return fmt.Errorf("storetest: unknown support change %d", ch.Op)
	}
	p.events = append(p.events, ch.Event)
	return nil
}

// UpdateAdvisory reads, decides and writes conditionally, as UpdateSupport.
func (f *Fake) UpdateAdvisory(ctx context.Context, partnerID string, decide advisory.Decide) error {
	return store.Update(ctx, benefit.DrawAttempts, benefit.ErrBusy,
		func() (advisory.Holdings, error) {
			purchases, lines, _ := f.holdings(partnerID, true)
			return advisory.Holdings{Purchases: purchases, Lines: lines}, nil
		}, decide,
		func(_ advisory.Holdings, ch advisory.Change) error { return f.writeAdvisory(partnerID, ch) })
}

// writeAdvisory applies ch if every line it takes from is still live and
// holds the hours as read, and the request id is new; otherwise
// store.ErrConflict.
func (f *Fake) writeAdvisory(partnerID string, ch advisory.Change) error {
	if ch.Event.ID == "" || len(ch.Request.Takes) == 0 {
		return errors.New("storetest: an advisory request without its audit event or hours")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil || f.hasEvent(p, ch.Event) ||
		slices.ContainsFunc(p.advisory, func(r advisory.Request) bool { return r.ID == ch.Request.ID }) {
		return store.ErrConflict
	}
	for _, t := range ch.Request.Takes {
		if !canDraw(p, t) {
			return store.ErrConflict
		}
	}
	for _, t := range ch.Request.Takes {
		draw(p, t)
	}
	r := ch.Request
	r.PartnerID = partnerID
	// The real item keeps only the line ids and amounts.
	r.Takes = nil
	for _, t := range ch.Request.Takes {
		r.Takes = append(r.Takes, benefit.Take{Line: benefit.Benefit{ID: t.Line.ID}, Amount: t.Amount})
	}
	p.advisory = append(p.advisory, r)
	p.events = append(p.events, ch.Event)
	return nil
}

// AdvisoryRequests lists the partner's requests newest first (by id, as
// the real sort key), one page; the cursor is the last id of the page.
func (f *Fake) AdvisoryRequests(_ context.Context, partnerID string, limit int, cursor string) ([]advisory.Request, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return nil, "", nil
	}
	rs := slices.Clone(p.advisory)
	slices.SortFunc(rs, func(a, b advisory.Request) int { return cmp.Compare(b.ID, a.ID) })
	if cursor != "" {
		rs = slices.DeleteFunc(rs, func(r advisory.Request) bool { return r.ID >= cursor })
	}
	if limit <= 0 || len(rs) <= limit {
		return rs, "", nil
	}
	return rs[:limit], rs[limit-1].ID, nil
}

// Incidents pages through the partner's incidents as the real one does:
// newest (highest id) first; the cursor is the last id of the page.
func (f *Fake) Incidents(_ context.Context, partnerID string, limit int, cursor string) ([]support.Incident, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return nil, "", nil
	}
	out := slices.Clone(p.incidents)
	slices.SortFunc(out, func(a, b support.Incident) int { return cmp.Compare(b.ID, a.ID) })
	if cursor != "" {
		out = slices.DeleteFunc(out, func(in support.Incident) bool { return in.ID >= cursor })
	}
	if limit <= 0 || len(out) <= limit {
		return out, "", nil
	}
	return out[:limit], out[limit-1].ID, nil
}

func (f *Fake) hasEvent(p *partnerState, ev audit.Event) bool {
	return slices.ContainsFunc(p.events, func(e audit.Event) bool { return e.ID == ev.ID && e.At.Equal(ev.At) })
}

// canDraw is the real drawWrite's condition: the line exists, its status
// is live, and used stays within the quantity as read.
func canDraw(p *partnerState, t benefit.Take) bool {
	b, ok := p.lines[t.Line.ID]
	return ok && drawableStatus(b.Status) && b.Used <= t.Line.Quantity-t.Amount
}

// drawableStatus: a line in it can be drawn from (the real liveStatuses).
func drawableStatus(s benefit.Status) bool {
	switch s {
	case benefit.Available, benefit.Activated, benefit.Pending, benefit.Active:
		return true
	}
	return false
}

func draw(p *partnerState, t benefit.Take) {
	b := p.lines[t.Line.ID]
	b.Used += t.Amount
	p.lines[t.Line.ID] = b
}
