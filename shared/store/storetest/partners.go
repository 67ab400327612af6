package storetest

import (
	"context"

	"github.com/pbs/benefits/shared/partner"
)

var _ partner.Store = (*Fake)(nil)

// hasEmail reports a directory user with email, compared as the real
// store's email reservation item compares it (partner.EmailKey).
func (p *partnerState) hasEmail(email string) bool {
	for _, u := range p.users {
		if partner.EmailKey(u.user.Email) == partner.EmailKey(email) {
			return true
		}
	}
	return false
}

// User reads one directory user. Errors: partner.ErrUserNotFound.
func (f *Fake) User(_ context.Context, partnerID, userID string) (partner.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil || p.users[userID] == nil {
		return partner.User{}, partner.ErrUserNotFound
	}
	return p.users[userID].user, nil
}
