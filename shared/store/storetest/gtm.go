package storetest

import (
	"context"
	"slices"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/gtm"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store"
)

var (
	_ GTMStore  = (*Fake)(nil)
	_ gtm.Store = (*Fake)(nil)
)

// Contact reads the partner's marketing contact.
func (f *Fake) Contact(_ context.Context, partnerID string) (gtm.Contact, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.partner(partnerID); p != nil && p.contact != nil {
		return *p.contact, true, nil
	}
	return gtm.Contact{}, false, nil
}

// ContactState reads the partner, the user named and the contact at one
// moment, as the real store's one BatchGetItem does.
func (f *Fake) ContactState(_ context.Context, partnerID, userID string) (gtm.ContactState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var st gtm.ContactState
	p := f.partner(partnerID)
	if p == nil {
		return st, apperr.ErrNotFound
	}
	st.Partner = p.info
	if u, ok := p.users[userID]; ok {
		st.User, st.Found = u.user, true
	}
	if p.contact != nil {
		st.Old, st.HadOld = *p.contact, true
	}
	return st, nil
}

// OfferState reads a line, its partner's name and contact at one moment,
// as the real store's one BatchGetItem does.
func (f *Fake) OfferState(_ context.Context, partnerID, benefitID string) (gtm.OfferState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var st gtm.OfferState
	p := f.partner(partnerID)
	if p == nil {
		return st, apperr.ErrNotFound
	}
	b, ok := p.lines[benefitID]
	if !ok {
		return st, apperr.ErrNotFound
	}
	st.Line, st.PartnerName = b, p.info.Name
	if p.contact != nil {
		st.Contact, st.HasContact = *p.contact, true
	}
	return st, nil
}

func rateKey(q gtm.Quota) string {
	return q.Scope + "|" + q.Subject + "|" + q.Start.UTC().Format(time.RFC3339)
}

// SetContact writes the contact, its mail and event, and counts the mail
// in each quota, as the real transaction: the user must be in the
// directory and every counter under its Max, or nothing is written.
func (f *Fake) SetContact(_ context.Context, c gtm.Contact, owed mail.Message, ev audit.Event, quotas []gtm.Quota) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(c.PartnerID)
	if p == nil || p.users[c.UserID] == nil {
		return apperr.New(apperr.Unprocessable, "user_not_found", "No user with that id in this partner's directory.")
	}
	for _, q := range quotas {
		if f.rates[rateKey(q)] >= q.Max {
			return &gtm.QuotaExceeded{Quota: q}
		}
	}
	if f.rates == nil {
		f.rates = map[string]int{}
	}
	for _, q := range quotas {
		f.rates[rateKey(q)]++
	}
	p.contact = &c
	p.outbox = append(p.outbox, owed)
	p.events = append(p.events, ev)
	return nil
}

// UpdateOffer reads the OfferState, decides, and writes the activation
// conditionally, retrying lost rounds with the real store's helper and
// bounds.
func (f *Fake) UpdateOffer(ctx context.Context, partnerID, benefitID string, decide gtm.DecideOffer) error {
	return store.Update(ctx, benefit.DrawAttempts, benefit.ErrBusy, func() (gtm.OfferState, error) {
		return f.OfferState(ctx, partnerID, benefitID)
	}, decide, func(st gtm.OfferState, ch gtm.OfferChange) error {
		if ch.Link.Hash == "" {
			return nil
		}
		return f.requestOffer(st.Line, ch)
	})
}

// requestOffer applies an activation if the real transaction's conditions
// hold: the line's status, link expiry and address as read, a new token,
// and the contact still at the link's address. Otherwise store.ErrConflict.
func (f *Fake) requestOffer(read benefit.Benefit, ch gtm.OfferChange) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(read.PartnerID)
	if p == nil {
		return store.ErrConflict
	}
	b, ok := p.lines[read.ID]
	_, used := f.links[ch.Link.Hash]
	if !ok || b.Status != read.Status || !b.LinkExpiresAt.Equal(read.LinkExpiresAt) || b.LinkSentTo != read.LinkSentTo ||
		used || p.contact == nil || p.contact.Email != ch.Link.Contact || f.hasEvent(p, ch.Event) {
		return store.ErrConflict
	}
	b.Status, b.LinkExpiresAt, b.LinkSentTo, b.LinkHash = benefit.Pending, ch.Link.ExpiresAt, ch.Link.Contact, ch.Link.Hash
	p.lines[b.ID] = b
	if f.links == nil {
		f.links = map[string]gtm.Link{}
	}
	f.links[ch.Link.Hash] = ch.Link
	p.outbox = append(p.outbox, ch.Mail)
	p.events = append(p.events, ch.Event)
	return nil
}

// LinkOf reads a confirmation link by its token's hash.
func (f *Fake) LinkOf(_ context.Context, hash string) (gtm.Link, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.links[hash]
	return l, ok, nil
}

// ConfirmOffer uses l once, as the real transaction: the token still
// there, the line pending with l as its link (or none recorded), the
// contact still at l's address; otherwise gtm.ErrTokenInvalid.
func (f *Fake) ConfirmOffer(_ context.Context, l gtm.Link, read benefit.Benefit, activeUntil, now time.Time, ev audit.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(read.PartnerID)
	_, live := f.links[l.Hash]
	if p == nil || !live {
		return gtm.ErrTokenInvalid
	}
	b, ok := p.lines[read.ID]
	if !ok || b.Status != benefit.Pending || (b.LinkHash != "" && b.LinkHash != l.Hash) ||
		p.contact == nil || p.contact.Email != l.Contact || f.hasEvent(p, ev) {
		return gtm.ErrTokenInvalid
	}
	delete(f.links, l.Hash)
	b.Status, b.ActivatedAt, b.ExpiresAt = benefit.Active, now, activeUntil
	b.LinkExpiresAt, b.LinkSentTo, b.LinkHash = time.Time{}, "", ""
	p.lines[b.ID] = b
	p.events = append(p.events, ev)
	return nil
}

// Links lists the live confirmation links of a line, for use-case tests.
func (f *Fake) Links(benefitID string) []gtm.Link {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []gtm.Link
	for _, l := range f.links {
		if l.BenefitID == benefitID {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b gtm.Link) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	return out
}
