package storetest

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
)

var _ CancelStore = (*Fake)(nil)

// Partner reads a partner as created.
func (f *Fake) Partner(_ context.Context, partnerID string) (partner.Partner, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return partner.Partner{}, apperr.ErrNotFound
	}
	return p.info, nil
}

// MarkLine writes what a use of a line writes: its status and used count,
// and its key when key is not "".
func (f *Fake) MarkLine(_ context.Context, partnerID, benefitID string, status benefit.Status, used int, key string) error {
	return f.UpdateLine(partnerID, benefitID, func(b *benefit.Benefit) {
		b.Status, b.Used = status, used
		if key != "" {
			b.Key = key
		}
	})
}

// UpdateLine changes a line as a use of another noun would (a licence
// redemption, a key shown…), for use-case tests.
func (f *Fake) UpdateLine(partnerID, benefitID string, change func(*benefit.Benefit)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return apperr.ErrNotFound
	}
	b, ok := p.lines[benefitID]
	if !ok {
		return apperr.ErrNotFound
	}
	change(&b)
	p.lines[benefitID] = b
	return nil
}

// Grant puts a grant on a credit's ledger, as the monthly grant job does.
func (f *Fake) Grant(partnerID, benefitID string, g credit.Grant) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil || p.credits[benefitID] == nil || p.credits[benefitID].revoked {
		return store.ErrConflict
	}
	st := p.credits[benefitID]
	st.c.Grants = append(st.c.Grants, g)
	st.c.Balance += g.Amount
	return nil
}

// OutboxMail reads a queued message by id. Errors: apperr.ErrNotFound.
func (f *Fake) OutboxMail(_ context.Context, id string) (mail.Queued, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.partners {
		for _, m := range p.outbox {
			if m.ID == id {
				return mail.Queued{Message: m, Status: "pending", DueAt: m.CreatedAt}, nil
			}
		}
	}
	return mail.Queued{}, apperr.ErrNotFound
}

// readPurchase is the purchase with its lines (by id, as the real read
// orders them) and the state of its credit lines, without holders; f.mu is
// held.
func (f *Fake) readPurchase(partnerID, purchaseID string) (cancel.Purchase, error) {
	p := f.partner(partnerID)
	if p == nil {
		return cancel.Purchase{}, apperr.ErrNotFound
	}
	pur, ok := p.purchases[purchaseID]
	if !ok {
		return cancel.Purchase{}, apperr.ErrNotFound
	}
	out := cancel.Purchase{Purchase: pur, Credits: map[string]credit.Credit{}, Partner: p.info}
	for _, b := range p.lines {
		if b.PurchaseID != purchaseID {
			continue
		}
		out.Lines = append(out.Lines, b)
		if st := p.credits[b.ID]; st != nil {
			c := st.c
			c.Grants, c.Holders = slices.Clone(c.Grants), nil
			c.Revoked = st.revoked
			out.Credits[b.ID] = c
		}
	}
	slices.SortFunc(out.Lines, func(a, b benefit.Benefit) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// UpdateCancellation reads, decides and commits, retrying lost rounds with
// the real store's helper and bounds.
func (f *Fake) UpdateCancellation(ctx context.Context, partnerID, purchaseID string, decide cancel.Decision) error {
	return store.Update(ctx, cancel.Attempts, cancel.ErrBusy, func() (cancel.Purchase, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.readPurchase(partnerID, purchaseID)
	}, decide, f.commitCancellation)
}

// commitCancellation applies ch, decided on read, if the conditions of the
// real transaction (store.CancelPurchase) hold now: the purchase active, no
// service request yet, and per line not revoked as read: a credit not
// revoked with the grants read; a software or licence line in the status
// read with no key; a support or advisory line in the status and used
// read; any other line in the status read. A fenced line used meanwhile is
// its refusal (cancel.Blocks on the line as it is now); anything else that
// failed is store.ErrConflict. Nothing changes unless all hold.
func (f *Fake) commitCancellation(read cancel.Purchase, ch cancel.Change) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(read.PartnerID)
	if p == nil || p.purchases[read.ID].Status != benefit.PurchaseActive {
		return store.ErrConflict // cancelled by a racing request
	}
	failed := false
	if _, ok := p.requests[read.ID]; ok {
		failed = true
	}
	var fencedFailed []string
	var live []benefit.Benefit
	for _, b := range read.Lines {
		if b.Status == benefit.Revoked {
			continue
		}
		live = append(live, b)
		now := p.lines[b.ID]
		if cr, ok := read.Credits[b.ID]; ok && !cr.Revoked {
			if st := p.credits[b.ID]; st == nil || st.revoked || len(st.c.Grants) != len(cr.Grants) {
				fencedFailed = append(fencedFailed, b.ID)
			}
		}
		held := now.Status == b.Status
		switch b.Kind {
		case catalog.Software, catalog.License:
			if !held || now.Key != "" {
				fencedFailed = append(fencedFailed, b.ID)
			}
		case catalog.Support, catalog.AdvisoryHours:
			if !held || now.Used != b.Used {
				fencedFailed = append(fencedFailed, b.ID)
			}
		case catalog.GTMOffer:
			if !held {
				fencedFailed = append(fencedFailed, b.ID)
			}
		default:
			failed = failed || !held
		}
	}
	for _, id := range fencedFailed {
		var cr *credit.Credit
		if st := p.credits[id]; st != nil {
			c := st.c
			cr = &c
		}
		if err := cancel.Blocks(p.lines[id], cr); err != nil {
			return err
		}
	}
	if failed || len(fencedFailed) > 0 {
		return store.ErrConflict
	}
	at := ch.Request.RequestedAt
	pur := p.purchases[read.ID]
	pur.Status, pur.CancelledAt = benefit.PurchaseCancelled, at
	p.purchases[read.ID] = pur
	p.releasing[read.ID] = true
	for _, b := range live {
		f.revoke(p, b.ID)
	}
	p.requests[read.ID] = ch.Request
	p.outbox = append(p.outbox, ch.Mail)
	p.events = append(p.events, ch.Event)
	return nil
}

// revoke revokes a line and its credit state; f.mu is held.
func (f *Fake) revoke(p *partnerState, benefitID string) {
	b := p.lines[benefitID]
	b.Status = benefit.Revoked
	p.lines[benefitID] = b
	if st := p.credits[benefitID]; st != nil {
		st.revoked, st.c.DueFor = true, credit.Period{}
	}
}

// FinishCancellation completes a committed cancellation as the real one
// does: the purchase's lines and credits revoked, every credit seat freed
// with its holder's offer, the release no longer pending. A purchase that
// is not cancelled is left alone.
func (f *Fake) FinishCancellation(_ context.Context, partnerID, purchaseID string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	read, err := f.readPurchase(partnerID, purchaseID)
	if err != nil {
		return err
	}
	if read.Status != benefit.PurchaseCancelled {
		return nil
	}
	p := f.partner(partnerID)
	for _, b := range read.Lines {
		f.revoke(p, b.ID)
		st := p.credits[b.ID]
		if st == nil {
			continue
		}
		for id := range st.seats {
			if u := p.users[id]; u != nil {
				u.offers = slices.DeleteFunc(u.offers, func(o string) bool { return o == b.ID })
				if u.annual == b.ID {
					u.annual = ""
				}
			}
			delete(st.seats, id)
		}
	}
	delete(p.releasing, purchaseID)
	return nil
}

// FinishCancellations completes every pending release, as the real
// one does, and says how many.
func (f *Fake) FinishCancellations(ctx context.Context, now time.Time) (int, error) {
	f.mu.Lock()
	var pending [][2]string
	for pid, p := range f.partners {
		for id := range p.releasing {
			pending = append(pending, [2]string{pid, id})
		}
	}
	f.mu.Unlock()
	for _, p := range pending {
		if err := f.FinishCancellation(ctx, p[0], p[1], now); err != nil {
			return 0, err
		}
	}
	return len(pending), nil
}

// ServiceRequest reads a service request by id. Errors: apperr.ErrNotFound.
func (f *Fake) ServiceRequest(_ context.Context, id string) (cancel.ServiceRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.partners {
		for _, sr := range p.requests {
			if sr.ID == id {
				return sr, nil
			}
		}
	}
	return cancel.ServiceRequest{}, apperr.ErrNotFound
}

// ServiceRequests lists service requests in the real index's order (by
// status, then newest first), all or one status's, up to limit (one page:
// the fake has no cursor).
func (f *Fake) ServiceRequests(_ context.Context, status string, limit int, _ string) ([]cancel.ServiceRequest, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cancel.ServiceRequest
	for _, p := range f.partners {
		for _, sr := range p.requests {
			if status == "" || string(sr.Status) == status {
				out = append(out, sr)
			}
		}
	}
	// The real sort key is <status>#<requestedAt>#<id>, read backwards.
	slices.SortFunc(out, func(a, b cancel.ServiceRequest) int {
		return cmp.Or(cmp.Compare(b.Status, a.Status), b.RequestedAt.Compare(a.RequestedAt), cmp.Compare(b.ID, a.ID))
	})
	return out[:min(len(out), max(limit, 0))], "", nil
}

// ResolveServiceRequest records the outcome, with its mail and event, only
// while the request is pending. Errors: cancel.ErrAlreadyResolved.
func (f *Fake) ResolveServiceRequest(_ context.Context, sr cancel.ServiceRequest, owed mail.Message, ev audit.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(sr.PartnerID)
	if p == nil {
		return cancel.ErrAlreadyResolved
	}
	now, ok := p.requests[sr.PurchaseID]
	if !ok || now.ID != sr.ID || now.Status != cancel.Pending {
		return cancel.ErrAlreadyResolved
	}
	now.Status, now.ResolvedBy, now.ResolvedAt, now.Note = sr.Status, sr.ResolvedBy, sr.ResolvedAt, sr.Note
	p.requests[sr.PurchaseID] = now
	p.outbox = append(p.outbox, owed)
	p.events = append(p.events, ev)
	return nil
}

// Outbox is the mail queued for a partner's audiences, oldest first.
func (f *Fake) Outbox(partnerID string) []mail.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.partner(partnerID); p != nil {
		return slices.Clone(p.outbox)
	}
	return nil
}
