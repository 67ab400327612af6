package license

import (
	"context"
	"slices"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/licensekey"
)

// The use cases of product keys: a software line's key, a licence line's
// view and key, its redemption on a tenant, and a software line's
// downloads. Software keys live here with licences because a licence key is
// a software key: the same pool, the same signer, the same "first call
// takes it, once" decision serve both kinds. They take plain inputs, decide
// with the rules of license.go and shared/benefit, build the audit events,
// and leave reading and fencing to a Store, so they run on DynamoDB
// (shared/store) and on the in-memory fake (shared/store/storetest) alike.

// Attempts bounds the read–decide–write rounds of one redemption; when every
// round lost to a concurrent change the answer is ErrBusy.
const Attempts = 8

// KeyAttempts bounds the rounds of giving a line its key: the first, and
// one more after a lost race, whose read finds the winner's key (or the
// revocation that won). Then ErrKeyRace.
const KeyAttempts = 2

// Errors of keys and redemptions.
var (
	// ErrBusy: the licence or the tenant kept changing under the redemption.
	ErrBusy = apperr.New(apperr.Conflict, "license_busy", "This licence or tenant is being changed by other requests; retry.")
	// ErrKeyRace: the line changed under us and still has no key; a retry settles it.
	ErrKeyRace            = apperr.New(apperr.Conflict, "benefit_changed", "The benefit changed while its key was being taken; retry.")
	ErrKeyPoolExhausted   = apperr.New(apperr.Conflict, "key_pool_exhausted", "No keys are left for this product; the program operator has been told.")
	ErrSigningUnavailable = apperr.New(apperr.Unavailable, "signing_unavailable", "Signed licence keys are not set up in this environment.")
)

// KeyOp is how a line gets its key.
type KeyOp int

const (
	// KeyNone writes nothing: the line has its key, or takes none.
	KeyNone KeyOp = iota
	// KeyFromPool takes a free key of the product's pool.
	KeyFromPool
	// KeySigned stores the signed key Key.
	KeySigned
)

// KeyChange is a decided first key. The store writes it, at Event.At, with
// Event in one transaction, only if the line still has no key and is
// available; a software line becomes activated, a licence line only records
// when its key was issued.
type KeyChange struct {
	Op    KeyOp
	Key   string // KeySigned
	Event audit.Event
}

// DecideKey decides a line's key on the line as read.
type DecideKey func(b benefit.Benefit) (KeyChange, error)

// RedeemChange is a decided redemption with its event and, for a line that
// has no key yet, the key it takes (Key): the store writes them in one
// transaction, so a redemption that loses a race takes no key either.
type RedeemChange struct {
	Key        KeyChange
	Redemption Redemption
	Event      audit.Event
}

// DecideRedemption decides a redemption on the line and the tenant's
// subscription to its product, as read.
type DecideRedemption func(b benefit.Benefit, sub Subscription) (RedeemChange, error)

// Store is what the key and licence use cases need of storage.
type Store interface {
	// Benefit reads one line of the partner. Errors: apperr.ErrNotFound.
	Benefit(ctx context.Context, partnerID, benefitID string) (benefit.Benefit, error)
	// UpdateKey reads the line, calls decide, and writes its KeyChange
	// conditionally. On a lost condition it reads and decides again, at most
	// KeyAttempts rounds, then ErrKeyRace. It returns the line as last read
	// with the key it was given, and, when a pool key was taken, the
	// approximate number of free keys left (-1 otherwise or unknown; 0 with
	// ErrKeyPoolExhausted). decide's errors come back as they are.
	UpdateKey(ctx context.Context, partnerID, benefitID string, decide DecideKey) (b benefit.Benefit, left int64, err error)
	// UpdateRedemption reads the line and calls check; reads the tenant's
	// subscription to the line's product; calls decide (only for a line
	// check accepts); and writes the RedeemChange conditionally, in one
	// transaction with the key it takes, if any. products are the licence
	// products the line may be of (the current catalogue's): a store may
	// read the tenant's subscriptions to all of them with the line, so the
	// reads do not wait for the line; a line of another product still gets
	// its own. On a lost condition it reads and decides again, at most
	// Attempts rounds, then ErrBusy. left is as for UpdateKey.
	UpdateRedemption(ctx context.Context, partnerID, benefitID, tenantID string, products []string, check func(benefit.Benefit) error, decide DecideRedemption) (left int64, err error)
}

// Signer signs licence keys (the service's Ed25519 key, an adapter).
type Signer interface {
	Sign(c licensekey.Claims) (string, error)
}

// Keys runs the key and licence use cases of one request.
type Keys struct {
	Store Store
	NewID ids.Generator
	// Catalog is the current catalogue: a key's source is the product's.
	Catalog func(context.Context) (*catalog.Catalog, error)
	// Signer is nil where no signing key is set up.
	Signer Signer
	// Watch, when set, hears of every pool key taken (or refused as
	// exhausted): the product, the keys left and the error.
	Watch func(ctx context.Context, product string, left int64, err error)
}

// SoftwareKey returns a software line with its key. The first call takes a
// key from the product's pool (or signs one) and activates the line; every
// later call, and every call that lost the race to the first, returns the
// same key.
func (k Keys) SoftwareKey(ctx context.Context, partnerID, actorID, benefitID string, now time.Time) (benefit.Benefit, error) {
	var pooled bool
	b, left, err := k.Store.UpdateKey(ctx, partnerID, benefitID, func(b benefit.Benefit) (KeyChange, error) {
		if err := b.Usable(catalog.Software, now); err != nil {
			return KeyChange{}, err
		}
		ch, err := k.keyChange(ctx, b, actorID, audit.SoftwareKeyIssued, now)
		pooled = pooled || ch.Op == KeyFromPool
		return ch, err
	})
	k.watch(ctx, pooled, b.Product, left, err)
	return b, err
}

// Downloads returns a software line that can still be used.
func (k Keys) Downloads(ctx context.Context, partnerID, benefitID string, now time.Time) (benefit.Benefit, error) {
	b, err := k.Store.Benefit(ctx, partnerID, benefitID)
	if err != nil {
		return benefit.Benefit{}, err
	}
	return b, b.Usable(catalog.Software, now)
}

// License returns a licence line as its reader may see it. seesKey is true
// for the roles that get keys: their first read of a live line takes its
// key (once, under any concurrency); any other reader never takes one and
// never sees it. A revoked line never shows its key.
func (k Keys) License(ctx context.Context, partnerID, actorID, benefitID string, seesKey bool, now time.Time) (benefit.Benefit, error) {
	var (
		b   benefit.Benefit
		err error
	)
	if seesKey {
		var pooled bool
		var left int64
		b, left, err = k.Store.UpdateKey(ctx, partnerID, benefitID, func(b benefit.Benefit) (KeyChange, error) {
			if b.Kind != catalog.License {
				return KeyChange{}, apperr.ErrNotFound
			}
			if b.Usable(catalog.License, now) != nil {
				return KeyChange{}, nil // a revoked or expired line is shown, and takes no key
			}
			ch, err := k.keyChange(ctx, b, actorID, audit.LicenseKeyIssued, now)
			pooled = pooled || ch.Op == KeyFromPool
			return ch, err
		})
		k.watch(ctx, pooled, b.Product, left, err)
	} else if b, err = k.Store.Benefit(ctx, partnerID, benefitID); err == nil && b.Kind != catalog.License {
		err = apperr.ErrNotFound
	}
	if err != nil {
		return benefit.Benefit{}, err
	}
	if !seesKey || b.Status == benefit.Revoked {
		b.Key = "" // a revoked line's key, shown before the cancel, never again
	}
	return b, nil
}

// Redeem redeems a licence line's key on tenantID (as ParseTenant gave it)
// in mode, once, on behalf of actorID at now: a line whose key nobody has
// read yet takes it first. It returns the redemption as written.
func (k Keys) Redeem(ctx context.Context, partnerID, actorID, benefitID, tenantID string, mode Mode, now time.Time) (red Redemption, err error) {
	var pooled bool
	var product string
	check := func(b benefit.Benefit) error {
		if err := b.Usable(catalog.License, now); err != nil {
			return err
		}
		if b.Redemption != nil {
			return ErrAlreadyRedeemed
		}
		return nil
	}
	cat, err := k.Catalog(ctx)
	if err != nil {
		return Redemption{}, err
	}
	left, err := k.Store.UpdateRedemption(ctx, partnerID, benefitID, tenantID, licenceProducts(cat), check, func(b benefit.Benefit, sub Subscription) (RedeemChange, error) {
		key, err := k.keyChange(ctx, b, actorID, audit.LicenseKeyIssued, now)
		pooled, product = pooled || key.Op == KeyFromPool, b.Product
		if err != nil {
			return RedeemChange{}, err
		}
		if red, err = Redeem(b, sub, mode, actorID, now); err != nil {
			return RedeemChange{}, err
		}
		ev := audit.New(k.NewID, partnerID, actorID, audit.LicenseRedeemed, b.ID, now).
			About("", map[string]string{"tenantId": tenantID, "mode": string(mode)})
		return RedeemChange{Key: key, Redemption: red, Event: ev}, nil
	})
	k.watch(ctx, pooled, product, left, err)
	if err != nil {
		return Redemption{}, err
	}
	return red, nil
}

// licenceProducts are the catalogue's licence products, in name order.
func licenceProducts(cat *catalog.Catalog) []string {
	var out []string
	for name, p := range cat.Products {
		if p.Kind == catalog.License {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// keyChange decides how line b gets its key: none when it has one, else a
// signed key or a pool key as its product says, with the event action.
func (k Keys) keyChange(ctx context.Context, b benefit.Benefit, actorID string, action audit.Action, now time.Time) (KeyChange, error) {
	if b.Key != "" {
		return KeyChange{}, nil
	}
	cat, err := k.Catalog(ctx)
	if err != nil {
		return KeyChange{}, err
	}
	ev := audit.New(k.NewID, b.PartnerID, actorID, action, b.ID, now)
	if cat.Products[b.Product].KeySource != catalog.KeySigned {
		return KeyChange{Op: KeyFromPool, Event: ev}, nil
	}
	if k.Signer == nil {
		return KeyChange{}, ErrSigningUnavailable
	}
	// The key names who may use it and until when, so a product checks it
	// offline with the published public key.
	key, err := k.Signer.Sign(licensekey.Claims{Partner: b.PartnerID, Product: b.Product, Benefit: b.ID,
		Expires: b.ExpiresAt.UTC().Format(time.DateOnly)})
	if err != nil {
		return KeyChange{}, err
	}
	return KeyChange{Op: KeySigned, Key: key, Event: ev}, nil
}

// watch tells Watch of a pool key decided in any round (a later round may
// find the key the earlier one took).
func (k Keys) watch(ctx context.Context, pooled bool, product string, left int64, err error) {
	if pooled && k.Watch != nil {
		k.Watch(ctx, product, left, err)
	}
}
