package storetest

import (
	"cmp"
	"context"
	"encoding/base64"
	"reflect"
	"slices"
	"strings"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
)

var _ partner.MemberStore = (*Fake)(nil)

// SearchUsers pages as the real store does: the index entries in key
// order (by id, or by token then id for a search), limit+1 read after the
// cursor, kept by partner.UserQuery.Page.
func (f *Fake) SearchUsers(_ context.Context, partnerID string, q partner.UserQuery, limit int, cursor string) ([]partner.User, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tag, prefix, after := q.Tag(), q.Prefix(), ""
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		l, position, ok := strings.Cut(string(raw), "\n")
		if err != nil || !ok || l != tag || position == "" || prefix != "" && !strings.HasPrefix(position, prefix) {
			return nil, "", store.ErrBadCursor
		}
		after = position
	}
	var entries []partner.Entry
	if p := f.partner(partnerID); p != nil {
		for _, u := range p.users {
			if prefix == "" {
				entries = append(entries, partner.Entry{Position: u.user.ID, User: u.user})
				continue
			}
			for _, t := range partner.SearchTokens(u.user) {
				if strings.HasPrefix(t, prefix) {
					entries = append(entries, partner.Entry{Position: t + "#" + u.user.ID, Token: t, User: u.user})
				}
			}
		}
	}
	slices.SortFunc(entries, func(a, b partner.Entry) int { return cmp.Compare(a.Position, b.Position) })
	entries = slices.DeleteFunc(entries, func(e partner.Entry) bool { return after != "" && e.Position <= after })
	users, pos := q.Page(entries[:min(len(entries), limit+1)], limit, false)
	next := ""
	if pos != "" {
		next = base64.RawURLEncoding.EncodeToString([]byte(tag + "\n" + pos))
	}
	return users, next, nil
}

// member reads what a directory change is decided on: the user, what they
// hold (credit offers, Visual Studio seats, the marketing contact) and the
// partner's global admins.
func (f *Fake) member(partnerID, userID string) (partner.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.memberLocked(partnerID, userID)
}

func (f *Fake) memberLocked(partnerID, userID string) (partner.Member, error) {
	p := f.partner(partnerID)
	if p == nil || p.users[userID] == nil {
		return partner.Member{}, partner.ErrUserNotFound
	}
	u := p.users[userID]
	m := partner.Member{User: u.user}
	m.User.Roles = slices.Clone(u.user.Roles)
	for _, id := range u.offers {
		if id != u.annual {
			m.Holdings = append(m.Holdings, partner.Holding{Kind: partner.HoldsCreditSeat, BenefitID: id})
		}
	}
	if u.annual != "" {
		m.Holdings = append(m.Holdings, partner.Holding{Kind: partner.HoldsAnnualCredit, BenefitID: u.annual})
	}
	var vs []string
	for id, sub := range p.subs {
		if _, ok := sub.seats[userID]; ok {
			vs = append(vs, id)
		}
	}
	slices.Sort(vs)
	for _, id := range vs {
		m.Holdings = append(m.Holdings, partner.Holding{Kind: partner.HoldsVisualStudioSeat, BenefitID: id})
	}
	if p.contact != nil && p.contact.UserID == userID {
		m.Holdings = append(m.Holdings, partner.Holding{Kind: partner.HoldsMarketingContact})
	}
	for _, other := range p.users {
		if slices.Contains(other.user.Roles, access.GlobalAdmin) {
			m.GlobalAdmins++
		}
	}
	return m, nil
}

// UpdateMember reads, decides and writes conditionally, as the real store:
// the write holds only if the user is as read, a removed user holds
// nothing, and a demotion leaves a global admin.
func (f *Fake) UpdateMember(ctx context.Context, partnerID, userID string, decide func(partner.Member) (partner.MemberChange, error)) error {
	return store.Update(ctx, partner.ChangeAttempts, partner.ErrDirectoryBusy,
		func() (partner.Member, error) { return f.member(partnerID, userID) }, decide,
		func(read partner.Member, c partner.MemberChange) error {
			if c.Unchanged() {
				return nil
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			now, err := f.memberLocked(partnerID, userID)
			switch {
			case err != nil || !reflect.DeepEqual(now.User, read.User):
				return store.ErrConflict
			case c.After == nil && len(now.Holdings) > 0, c.Admins() < 0 && now.GlobalAdmins <= 1:
				return store.ErrConflict
			}
			p := f.partner(partnerID)
			if c.After == nil {
				delete(p.users, userID)
			} else {
				p.users[userID].user = *c.After
			}
			p.events = append(p.events, c.Events...)
			return nil
		})
}
