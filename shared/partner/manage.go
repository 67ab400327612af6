package partner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
)

// Changing and removing directory users (docs/domain.md, "Users and
// roles"). Each change is decided on a Member read with it and written in
// one transaction whose conditions hold only if what it was decided from is
// unchanged; a lost condition reads and decides again (Store.UpdateMember).

// Errors of the directory changes.
var (
	// ErrLastGlobalAdmin refuses to demote or remove the partner's last
	// global admin: nobody could assign benefits or grant the role again.
	ErrLastGlobalAdmin = apperr.New(apperr.Conflict, "last_global_admin", "The partner's last global admin can be neither demoted nor removed.")
	// ErrUserHoldsBenefits refuses to remove a user who holds benefits; its
	// holdings member lists them, so the console can offer their release.
	ErrUserHoldsBenefits = apperr.New(apperr.Conflict, "user_holds_benefits", "The user holds benefits: release or transfer them first.")
	// ErrDirectoryBusy: every round lost to concurrent changes of the user.
	ErrDirectoryBusy = apperr.New(apperr.Conflict, "directory_busy", "The user was changed concurrently; try again.")
)

// What a user may hold that keeps them in the directory.
const (
	HoldsCreditSeat         = "credit-seat"
	HoldsAnnualCredit       = "annual-credit"
	HoldsVisualStudioSeat   = "visual-studio-seat"
	HoldsMarketingContact   = "marketing-contact"
	ChangeAttempts          = 5 // rounds of a directory change before ErrDirectoryBusy
	auditRoleSeparator      = ","
	auditBefore, auditAfter = "before", "after"
)

// Holding is one benefit a user holds: a seat or enrolment of a benefit
// line (BenefitID), or the partner's marketing contact.
type Holding struct {
	Kind      string `json:"kind"`
	BenefitID string `json:"benefitId,omitempty"`
}

// Member is a directory user as a change decides on it: the user, what
// they hold, and how many of the partner's users hold global-admin.
type Member struct {
	User         User
	Holdings     []Holding
	GlobalAdmins int
}

// MemberChange is a decided change: After is the user as changed, or nil
// when the user is removed; Events are its audit events (one per kind of
// change), written in its transaction.
type MemberChange struct {
	Before User
	After  *User
	Events []audit.Event
}

// Unchanged reports a patch that changes nothing: nothing is written.
func (c MemberChange) Unchanged() bool { return c.After != nil && len(c.Events) == 0 }

// Admins is how a change moves the partner's global admin count.
func (c MemberChange) Admins() int {
	was := slices.Contains(c.Before.Roles, access.GlobalAdmin)
	is := c.After != nil && slices.Contains(c.After.Roles, access.GlobalAdmin)
	switch {
	case was && !is:
		return -1
	case !was && is:
		return 1
	}
	return 0
}

// MemberStore is what the directory's reads and changes need of storage.
type MemberStore interface {
	// SearchUsers reads one page of the directory (UserQuery); a page
	// reads at most limit index entries, so it may hold fewer users.
	SearchUsers(ctx context.Context, partnerID string, q UserQuery, limit int, cursor string) ([]User, string, error)
	// User reads one user. Errors: ErrUserNotFound.
	User(ctx context.Context, partnerID, userID string) (User, error)
	// UpdateMember reads the member, lets decide choose the change and
	// writes it, again while a condition is lost (ErrDirectoryBusy after
	// ChangeAttempts). Errors: ErrUserNotFound, decide's.
	UpdateMember(ctx context.Context, partnerID, userID string, decide func(Member) (MemberChange, error)) error
}

// UserPatch is a change a partner's admin asks for; nil fields stay.
type UserPatch struct {
	DisplayName *string
	Roles       *[]access.Role
}

// Users reads one page of the caller's directory.
func (d Directory) Users(ctx context.Context, by access.Caller, q UserQuery, limit int, cursor string) ([]User, string, error) {
	if err := ValidateQuery(q); err != nil {
		return nil, "", err
	}
	return d.Members.SearchUsers(ctx, by.PartnerID, q, limit, cursor)
}

// User reads one user of the caller's directory; another partner's id is
// not found.
func (d Directory) User(ctx context.Context, by access.Caller, userID string) (User, error) {
	u, err := d.Members.User(ctx, by.PartnerID, userID)
	if errors.Is(err, ErrUserNotFound) {
		return User{}, apperr.ErrNotFound
	}
	return u, err
}

// ChangeUser renames a user or changes their roles (docs/domain.md): the
// caller must manage the user (access.Caller.CanManage) and grant every
// role given or taken; the last global admin keeps the role. A patch that
// changes nothing writes nothing.
func (d Directory) ChangeUser(ctx context.Context, by access.Caller, userID string, in UserPatch, now time.Time) (User, error) {
	if err := validatePatch(in); err != nil {
		return User{}, err
	}
	var out User
	err := d.update(ctx, by, userID, func(m Member) (MemberChange, error) {
		after := m.User
		after.Roles = slices.Clone(m.User.Roles)
		if in.DisplayName != nil {
			after.DisplayName = strings.TrimSpace(*in.DisplayName)
		}
		if in.Roles != nil {
			after.Roles = slices.Clone(*in.Roles)
		}
		for _, r := range changedRoles(m.User.Roles, after.Roles) {
			if !by.CanGrant(r) {
				return MemberChange{}, apperr.ErrForbiddenRole.With("role", r)
			}
		}
		c := MemberChange{Before: m.User, After: &after}
		if c.Admins() < 0 && m.GlobalAdmins <= 1 {
			return MemberChange{}, ErrLastGlobalAdmin
		}
		if after.DisplayName != m.User.DisplayName {
			c.Events = append(c.Events, d.event(by, audit.UserRenamed, now, after.ID, m.User.DisplayName, after.DisplayName))
		}
		if len(changedRoles(m.User.Roles, after.Roles)) > 0 {
			c.Events = append(c.Events, d.event(by, audit.UserRolesChanged, now, after.ID, joinRoles(m.User.Roles), joinRoles(after.Roles)))
		}
		out = after
		return c, nil
	})
	return out, err
}

// RemoveUser removes a user from the directory, freeing their email: the
// caller must manage the user, who is not the last global admin and holds
// no benefit (ErrUserHoldsBenefits lists them). Guests alike.
func (d Directory) RemoveUser(ctx context.Context, by access.Caller, userID string, now time.Time) error {
	return d.update(ctx, by, userID, func(m Member) (MemberChange, error) {
		c := MemberChange{Before: m.User}
		switch {
		case c.Admins() < 0 && m.GlobalAdmins <= 1:
			return MemberChange{}, ErrLastGlobalAdmin
		case len(m.Holdings) > 0:
			return MemberChange{}, ErrUserHoldsBenefits.With("holdings", m.Holdings)
		}
		ev := d.event(by, audit.UserRemoved, now, userID, joinRoles(m.User.Roles), "")
		ev.Detail["email"], ev.Detail["displayName"] = m.User.Email, m.User.DisplayName
		c.Events = []audit.Event{ev}
		return c, nil
	})
}

// update runs a change of one user, who must be one the caller manages.
func (d Directory) update(ctx context.Context, by access.Caller, userID string, decide func(Member) (MemberChange, error)) error {
	err := d.Members.UpdateMember(ctx, by.PartnerID, userID, func(m Member) (MemberChange, error) {
		if !by.CanManage(m.User.Roles) {
			return MemberChange{}, apperr.ErrForbiddenRole.With("role", firstUngranted(by, m.User.Roles))
		}
		return decide(m)
	})
	if errors.Is(err, ErrUserNotFound) {
		return apperr.ErrNotFound
	}
	return err
}

func (d Directory) event(by access.Caller, a audit.Action, now time.Time, userID, before, after string) audit.Event {
	return audit.New(d.NewID, by.PartnerID, by.UserID, a, "", now).About(userID, map[string]string{auditBefore: before, auditAfter: after})
}

// validatePatch checks a patch's fields as NewUser checks a new user's.
func validatePatch(in UserPatch) error {
	draft := User{Email: "patch@example.com", DisplayName: "-"}
	if in.DisplayName != nil {
		draft.DisplayName = *in.DisplayName
	}
	if in.Roles != nil {
		draft.Roles = *in.Roles
	}
	_, err := NewUser(draft)
	return err
}

// changedRoles are the roles given or taken by a change, sorted.
func changedRoles(before, after []access.Role) []access.Role {
	var out []access.Role
	for _, r := range access.PartnerRoles {
		if slices.Contains(before, r) != slices.Contains(after, r) {
			out = append(out, r)
		}
	}
	return out
}

func firstUngranted(by access.Caller, roles []access.Role) access.Role {
	for _, r := range roles {
		if !by.CanGrant(r) {
			return r
		}
	}
	return ""
}

func joinRoles(roles []access.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, auditRoleSeparator)
}
