package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/store"
)

// poolState is a product's key pool: the registry of every key imported
// (with the line it went to) and the keys still free, oldest first.
type poolState struct {
	registry map[string]string // key → "<partnerId>#<benefitId>", "" while free
	free     []string
}

var _ LicenseStore = (*Fake)(nil)

// ImportKeys adds keys to a product's pool; a key seen before (in this
// input or ever) is a duplicate.
func (f *Fake) ImportKeys(_ context.Context, product string, keys []string, _ time.Time) (imported, duplicates int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pool := f.pool(product)
	for _, k := range keys {
		if _, seen := pool.registry[k]; seen {
			duplicates++
			continue
		}
		pool.registry[k] = ""
		pool.free = append(pool.free, k)
		imported++
	}
	return imported, duplicates, nil
}

// PoolLevels counts a product's free and taken keys.
func (f *Fake) PoolLevels(_ context.Context, product string) (free, taken int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pool := f.pool(product)
	return int64(len(pool.free)), int64(len(pool.registry) - len(pool.free)), nil
}

func (f *Fake) pool(product string) *poolState {
	if f.pools == nil {
		f.pools = map[string]*poolState{}
	}
	if f.pools[product] == nil {
		f.pools[product] = &poolState{registry: map[string]string{}}
	}
	return f.pools[product]
}

// TenantSubscription reads a tenant's subscription to a product.
func (f *Fake) TenantSubscription(_ context.Context, partnerID, tenantID, product string) (license.Subscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.partner(partnerID); p != nil {
		if sub, ok := p.tenants[tenantID+"#"+product]; ok {
			return sub, nil
		}
	}
	return license.Subscription{TenantID: tenantID, Product: product}, nil
}

// RevokeLine revokes a line as a committed cancellation does: only a line
// still live and with no key (the cancel's fence). The licence, support and
// advisory contracts revoke with it.
func (f *Fake) RevokeLine(_ context.Context, partnerID, benefitID string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.partner(partnerID)
	if p == nil {
		return apperr.ErrNotFound
	}
	b, ok := p.lines[benefitID]
	if !ok || b.Key != "" || !b.Live(time.Time{}) {
		return store.ErrConflict
	}
	b.Status = benefit.Revoked
	p.lines[benefitID] = b
	return nil
}

// UpdateKey reads the line, decides, and writes the key conditionally,
// retrying lost rounds as the real store does.
func (f *Fake) UpdateKey(ctx context.Context, partnerID, benefitID string, decide license.DecideKey) (b benefit.Benefit, left int64, err error) {
	left = -1
	err = store.Update(ctx, license.KeyAttempts, license.ErrKeyRace, func() (benefit.Benefit, error) {
		var err error
		b, err = f.Benefit(ctx, partnerID, benefitID)
		return b, err
	}, decide, func(read benefit.Benefit, ch license.KeyChange) (err error) {
		b, left, err = f.writeKey(read, ch)
		return err
	})
	return b, left, err
}

// writeKey applies the real store's writeKey: a pool key is found first
// (none in the pool: exhausted, whatever the line), then the line's
// condition "no key and available" decides.
func (f *Fake) writeKey(b benefit.Benefit, ch license.KeyChange) (benefit.Benefit, int64, error) {
	if ch.Op == license.KeyNone {
		return b, -1, nil
	}
	if ch.Event.ID == "" {
		return b, -1, errors.New("storetest: a key without its audit event")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var k string
	var pool *poolState
	switch ch.Op {
	case license.KeyFromPool:
		if pool = f.pool(b.Product); len(pool.free) == 0 {
			return b, 0, license.ErrKeyPoolExhausted
		}
		k = pool.free[0]
	case license.KeySigned:
		k = ch.Key
	default:
		return b, -1, fmt.Errorf("storetest: unknown key change %d", ch.Op)
	}
	p := f.partner(b.PartnerID)
	line, ok := p.lines[b.ID]
	if !ok || line.Key != "" || line.Status != benefit.Available {
		return b, -1, store.ErrConflict
	}
	left := int64(-1)
	if pool != nil {
		pool.free = pool.free[1:]
		pool.registry[k] = b.PartnerID + "#" + b.ID
		left = int64(len(pool.free))
	}
	at := ch.Event.At
	line.Key = k
	if line.Kind == catalog.License {
		line.KeyIssuedAt = at
	} else {
		line.Status, line.ActivatedAt = benefit.Activated, at
	}
	p.lines[b.ID] = line
	p.events = append(p.events, ch.Event)
	b.Key, b.Status, b.KeyIssuedAt, b.ActivatedAt = line.Key, line.Status, line.KeyIssuedAt, line.ActivatedAt
	return b, left, nil
}

// UpdateRedemption reads the line, checks it, reads the tenant, decides,
// and writes the redemption (with the key, if decided) conditionally,
// retrying lost rounds as the real store does. It reads the tenant's
// subscription to the line's product whatever products says, as the real
// store does in the end.
func (f *Fake) UpdateRedemption(ctx context.Context, partnerID, benefitID, tenantID string, _ []string, check func(benefit.Benefit) error, decide license.DecideRedemption) (left int64, err error) {
	left = -1
	var sub license.Subscription
	err = store.Update(ctx, license.Attempts, license.ErrBusy, func() (benefit.Benefit, error) {
		b, err := f.Benefit(ctx, partnerID, benefitID)
		if err != nil {
			return b, err
		}
		if err := check(b); err != nil {
			return b, err
		}
		sub, _ = f.TenantSubscription(ctx, partnerID, tenantID, b.Product)
		return b, nil
	}, func(b benefit.Benefit) (license.RedeemChange, error) { return decide(b, sub) }, func(b benefit.Benefit, ch license.RedeemChange) error {
		l, err := f.redeem(b, ch)
		if ch.Key.Op == license.KeyFromPool {
			left = l
		}
		return err
	})
	return left, err
}

// redeem applies the real Redeem's transaction (or redeemWithKey's, for a
// line that takes its key with the redemption): the line still has the key
// read (or none, and takes a pool key or the signed one), is available and
// not redeemed; the tenant is as read (or absent).
func (f *Fake) redeem(b benefit.Benefit, ch license.RedeemChange) (left int64, err error) {
	left = -1
	if ch.Event.ID == "" || (ch.Key.Op != license.KeyNone && ch.Key.Event.ID == "") {
		return left, errors.New("storetest: a redemption without its audit event")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := b.Key
	var pool *poolState
	switch ch.Key.Op {
	case license.KeyNone:
	case license.KeyFromPool:
		if pool = f.pool(b.Product); len(pool.free) == 0 {
			return 0, license.ErrKeyPoolExhausted
		}
		k = pool.free[0]
	case license.KeySigned:
		k = ch.Key.Key
	default:
		return left, fmt.Errorf("storetest: unknown key change %d", ch.Key.Op)
	}
	p := f.partner(b.PartnerID)
	r := ch.Redemption
	line := p.lines[b.ID]
	tk := r.TenantID + "#" + b.Product
	cur, exists := p.tenants[tk]
	tenantOK := !exists
	if r.Before.Exists {
		tenantOK = exists && cur.Seats == r.Before.Seats && cur.EndDate.Equal(r.Before.EndDate)
	}
	if line.Key != b.Key || line.Status != benefit.Available || line.Redemption != nil || !tenantOK {
		return left, store.ErrConflict
	}
	if pool != nil {
		pool.free = pool.free[1:]
		pool.registry[k] = b.PartnerID + "#" + b.ID
		left = int64(len(pool.free))
	}
	if ch.Key.Op != license.KeyNone {
		line.Key, line.KeyIssuedAt = k, r.At
		p.events = append(p.events, ch.Key.Event)
	}
	line.Status, line.ActivatedAt = benefit.Activated, r.At
	line.Redemption = &benefit.Redemption{TenantID: r.TenantID, Mode: string(r.Mode), By: r.By, At: r.At,
		Seats: r.After.Seats, EndDate: r.After.EndDate, TermUnder12Months: r.TermUnder12Months}
	p.lines[b.ID] = line
	if p.tenants == nil {
		p.tenants = map[string]license.Subscription{}
	}
	after := r.After
	after.TenantID, after.Product, after.Exists = r.TenantID, b.Product, true
	p.tenants[tk] = after
	p.events = append(p.events, ch.Event)
	return left, nil
}
