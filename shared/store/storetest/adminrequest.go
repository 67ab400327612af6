package storetest

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/adminrequest"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/store"
)

var _ adminrequest.Store = (*Fake)(nil)

// adminRequestState is the global-admin requests of all partners: each
// request by id, and each user's open marker (partner id + "/" + user id →
// request id), as the real store keeps them.
type adminRequestState struct {
	byID map[string]adminrequest.Request
	open map[string]string
}

func (f *Fake) adminReqs() *adminRequestState {
	if f.adminRequests == nil {
		f.adminRequests = &adminRequestState{byID: map[string]adminrequest.Request{}, open: map[string]string{}}
	}
	return f.adminRequests
}

// globalAdmins counts the partner's directory users holding global-admin
// (the real store keeps this count on the profile); f.mu is held.
func globalAdmins(p *partnerState) int {
	n := 0
	for _, u := range p.users {
		if slices.Contains(u.user.Roles, access.GlobalAdmin) {
			n++
		}
	}
	return n
}

// UpdateAsk reads, decides and writes conditionally, retrying lost rounds
// with the real store's helper and bounds.
func (f *Fake) UpdateAsk(ctx context.Context, partnerID, userID string, decide func(adminrequest.AskState) (adminrequest.Asked, error)) error {
	return store.Update(ctx, adminrequest.Attempts, adminrequest.ErrBusy,
		func() (adminrequest.AskState, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			p := f.partner(partnerID)
			if p == nil {
				return adminrequest.AskState{}, apperr.ErrNotFound
			}
			st := adminrequest.AskState{Partner: p.info, GlobalAdmins: globalAdmins(p)}
			if u := p.users[userID]; u != nil {
				st.User, st.InDirectory = u.user, true
			}
			ar := f.adminReqs()
			if id, ok := ar.open[partnerID+"/"+userID]; ok {
				st.Open, st.HasOpen = ar.byID[id], true
			}
			return st, nil
		}, decide,
		func(st adminrequest.AskState, ch adminrequest.Asked) error { return f.writeAsk(partnerID, userID, ch) })
}

// writeAsk applies ch if the real transaction's conditions hold now: no
// unexpired open request of the user, the user in the directory and not a
// global admin, the partner's count on the side ch.Request.Via says.
func (f *Fake) writeAsk(partnerID, userID string, ch adminrequest.Asked) error {
	if ch.Event.ID == "" {
		return errors.New("storetest: a request without its audit event")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ar, r := f.partner(partnerID), f.adminReqs(), ch.Request
	if p == nil {
		return store.ErrConflict
	}
	if id, ok := ar.open[partnerID+"/"+userID]; ok && ar.byID[id].StatusAt(r.RequestedAt) == adminrequest.Open {
		return store.ErrConflict
	}
	u := p.users[userID]
	if u == nil || slices.Contains(u.user.Roles, access.GlobalAdmin) || (globalAdmins(p) > 0) != (r.Via == adminrequest.ViaAdmins) {
		return store.ErrConflict
	}
	if _, taken := ar.byID[r.ID]; taken {
		return store.ErrConflict
	}
	ar.byID[r.ID] = r
	ar.open[partnerID+"/"+userID] = r.ID
	if ch.Mail != nil {
		p.outbox = append(p.outbox, *ch.Mail)
	}
	p.events = append(p.events, ch.Event)
	return nil
}

// UpdateDecision reads, decides and writes conditionally, as UpdateAsk.
func (f *Fake) UpdateDecision(ctx context.Context, partnerID, id string, decide func(adminrequest.DecideState) (adminrequest.Decided, error)) error {
	return store.Update(ctx, adminrequest.Attempts, adminrequest.ErrBusy,
		func() (adminrequest.DecideState, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			r, ok := f.adminReqs().byID[id]
			if !ok || partnerID != "" && r.PartnerID != partnerID || partnerID == "" && r.Via != adminrequest.ViaOperator {
				return adminrequest.DecideState{}, apperr.ErrNotFound
			}
			p := f.partner(r.PartnerID)
			st := adminrequest.DecideState{Request: r, Partner: p.info}
			if u := p.users[r.RequestedBy]; u != nil {
				st.Requester, st.InDirectory = u.user, true
				st.Requester.Roles = slices.Clone(u.user.Roles)
			}
			return st, nil
		}, decide,
		func(_ adminrequest.DecideState, ch adminrequest.Decided) error { return f.writeDecision(ch) })
}

// writeDecision applies ch if the real transaction's conditions hold now:
// the request still open and unexpired at the decision; with Grant, the
// requester in the directory and not yet a global admin.
func (f *Fake) writeDecision(ch adminrequest.Decided) error {
	if ch.Event.ID == "" {
		return errors.New("storetest: a decision without its audit event")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ar, r := f.adminReqs(), ch.Request
	now, ok := ar.byID[r.ID]
	if !ok || now.StatusAt(r.DecidedAt) != adminrequest.Open {
		return store.ErrConflict
	}
	p := f.partner(r.PartnerID)
	if ch.Grant {
		u := p.users[r.RequestedBy]
		if u == nil || slices.Contains(u.user.Roles, access.GlobalAdmin) {
			return store.ErrConflict
		}
		u.user.Roles = append(slices.Clone(u.user.Roles), access.GlobalAdmin)
	}
	ar.byID[r.ID] = r
	if key := r.PartnerID + "/" + r.RequestedBy; ar.open[key] == r.ID {
		delete(ar.open, key)
	}
	if ch.Mail != nil {
		p.outbox = append(p.outbox, *ch.Mail)
	}
	p.events = append(p.events, ch.Event)
	return nil
}

// AdminRequests pages through a partner's requests (all, or one user's),
// newest first; the cursor is the last id.
func (f *Fake) AdminRequests(_ context.Context, partnerID, requestedBy string, limit int, cursor string) ([]adminrequest.Request, string, error) {
	return f.pageAdminRequests(limit, cursor, func(r adminrequest.Request) bool {
		return r.PartnerID == partnerID && (requestedBy == "" || r.RequestedBy == requestedBy)
	}, func(a, b adminrequest.Request) int { return cmp.Compare(b.ID, a.ID) })
}

// OperatorRequests pages through the requests that went to the operator,
// in the real index's order: by status (open, declined, approved), then
// latest expiry (open) or decision first.
func (f *Fake) OperatorRequests(_ context.Context, status adminrequest.Status, limit int, cursor string) ([]adminrequest.Request, string, error) {
	at := func(r adminrequest.Request) string {
		t := r.DecidedAt
		if r.Status == adminrequest.Open {
			t = r.ExpiresAt
		}
		return string(r.Status) + "#" + t.UTC().Format("2006-01-02T15:04:05.000Z") + "#" + r.ID
	}
	return f.pageAdminRequests(limit, cursor, func(r adminrequest.Request) bool {
		return r.Via == adminrequest.ViaOperator && (status == "" || r.Status == status)
	}, func(a, b adminrequest.Request) int { return cmp.Compare(at(b), at(a)) })
}

func (f *Fake) pageAdminRequests(limit int, cursor string, keep func(adminrequest.Request) bool, order func(a, b adminrequest.Request) int) ([]adminrequest.Request, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []adminrequest.Request
	for _, r := range f.adminReqs().byID {
		if keep(r) {
			all = append(all, r)
		}
	}
	slices.SortFunc(all, order)
	if cursor != "" {
		i := slices.IndexFunc(all, func(r adminrequest.Request) bool { return r.ID == cursor })
		if i < 0 {
			return nil, "", store.ErrBadCursor
		}
		all = all[i+1:]
	}
	if limit <= 0 || len(all) <= limit {
		return all, "", nil
	}
	return all[:limit], all[limit-1].ID, nil
}
