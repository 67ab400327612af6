package partner

import (
	"context"
	"errors"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
)

// The use cases of partners and their directories: the operator adds a
// partner with its first admin, a partner's admin adds users. They take
// plain inputs, decide with the rules of partner.go and access, and leave
// the uniqueness fences to a Store, so they run on DynamoDB (shared/store)
// and on the in-memory fake (shared/store/storetest) alike.

// ErrPartnerExists means the partner id is taken (ids are generated, so only
// a retried creation with the same id can hit it).
var ErrPartnerExists = apperr.New(apperr.Conflict, "partner_exists", "A partner with that id already exists.")

// Store is what the directory use cases need of storage.
type Store interface {
	// CreatePartner writes the partner and its first user in one
	// transaction. Errors: ErrPartnerExists, ErrUserExists.
	CreatePartner(ctx context.Context, p Partner, admin User) error
	// CreateUser adds a user; the email is unique per partner, compared by
	// EmailKey. Errors: ErrUserExists, apperr.ErrNotFound (no partner).
	CreateUser(ctx context.Context, u User) error
}

// Directory runs the partner and directory use cases of one request.
type Directory struct {
	Store Store
	// Members reads, changes and removes directory users (manage.go).
	Members MemberStore
	NewID   ids.Generator
	// Catalog is the current catalogue (cached by the caller); before one
	// is published it answers an apperr not_found error.
	Catalog func(context.Context) (*catalog.Catalog, error)
}

// PartnerInput is the operator's description of a new partner.
type PartnerInput struct {
	Name, Currency, AccountEmail, Language string
}

// AddPartner creates a partner billed in a currency the current catalogue
// prices, with its first directory user: a global admin with the account
// email (FirstAdmin).
func (d Directory) AddPartner(ctx context.Context, in PartnerInput, now time.Time) (Partner, User, error) {
	p, err := NewPartner(Partner{ID: d.NewID("ptn"), Name: in.Name, Currency: in.Currency, AccountEmail: in.AccountEmail, Language: in.Language, CreatedAt: now})
	if err != nil {
		return Partner{}, User{}, err
	}
	cat, err := d.Catalog(ctx)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return Partner{}, User{}, err
	}
	// Every price and credit is per currency: a partner billed in a currency
	// the catalogue lacks (or before any catalogue) could buy nothing.
	if cat == nil || !cat.SupportsCurrency(p.Currency) {
		return Partner{}, User{}, catalog.ErrCurrencyNotSupported
	}
	admin := FirstAdmin(d.NewID("usr"), p, now)
	if err := d.Store.CreatePartner(ctx, p, admin); err != nil {
		return Partner{}, User{}, err
	}
	return p, admin, nil
}

// UserInput is a new directory entry as a partner's admin describes it.
type UserInput struct {
	Email, DisplayName string
	Roles              []access.Role
	Guest              bool
}

// AddUser adds a user to by's partner. by must be allowed to grant every
// role the user is given (access.Caller.CanGrant); the email is unique in
// the partner's directory.
func (d Directory) AddUser(ctx context.Context, by access.Caller, in UserInput, now time.Time) (User, error) {
	u, err := NewUser(User{ID: d.NewID("usr"), PartnerID: by.PartnerID, Email: in.Email, DisplayName: in.DisplayName, Roles: in.Roles, Guest: in.Guest, CreatedAt: now})
	if err != nil {
		return User{}, err
	}
	for _, role := range u.Roles {
		if !by.CanGrant(role) {
			return User{}, apperr.ErrForbiddenRole.With("role", role)
		}
	}
	if err := d.Store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return u, nil
}
