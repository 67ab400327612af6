package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/store"
)

// LicenseContract is what every license.Store must do: keep partners
// apart; give a line one key, from the pool or signed, with its event,
// activating a software line and leaving a licence line available; give a
// pooled key to one line and answer key_pool_exhausted when none is left;
// write nothing when the decision refuses; fence every write by the state
// the decision read (the line's key and status, its redemption, the
// tenant's seats and end date), reading and deciding again after a lost
// race, and answering license.ErrBusy after license.Attempts lost rounds.
// newStore returns an empty store per case.
func LicenseContract(t *testing.T, newStore func(t *testing.T) LicenseStore) {
	run := caseRunner(t, newStore, SeedLicenses)
	ctx := store.NoWait(context.Background()) // lost rounds run again at once

	run("NotFoundOutsideThePartnersLines", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		for _, k := range [][2]string{{fx.Partner, fx.OtherLicence}, {fx.Other, fx.Licences[0]}, {fx.Partner, "ben_unknown"}} {
			if _, err := s.Benefit(ctx, k[0], k[1]); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("Benefit(%s, %s): %v, want not found", k[0], k[1], err)
			}
			_, _, err := s.UpdateKey(ctx, k[0], k[1], func(benefit.Benefit) (license.KeyChange, error) {
				t.Errorf("UpdateKey(%s, %s) decided", k[0], k[1])
				return license.KeyChange{}, nil
			})
			if !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("UpdateKey(%s, %s): %v, want not found", k[0], k[1], err)
			}
			_, err = s.UpdateRedemption(ctx, k[0], k[1], "contoso.example", licenceProducts, func(benefit.Benefit) error {
				t.Errorf("UpdateRedemption(%s, %s) checked", k[0], k[1])
				return nil
			}, nil)
			if !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("UpdateRedemption(%s, %s): %v, want not found", k[0], k[1], err)
			}
		}
	})

	run("PoolKeyActivatesASoftwareLineOnce", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		id := fx.Software[0]
		wantLevels(t, s, PooledSoftware, 2, 0)
		b, left, err := s.UpdateKey(ctx, fx.Partner, id, poolKey(fx, audit.SoftwareKeyIssued))
		// left is an estimate (the real store's, from one shard's counter).
		if err != nil || !slices.Contains(fx.PoolKeys, b.Key) || b.Status != benefit.Activated || !b.ActivatedAt.Equal(fx.At) || left < 0 {
			t.Fatalf("first key: %+v left %d, %v", b, left, err)
		}
		wantLevels(t, s, PooledSoftware, 1, 1)
		if got := mustLine(t, s, fx.Partner, id); got.Key != b.Key || got.Status != benefit.Activated || !got.ActivatedAt.Equal(fx.At) {
			t.Fatalf("stored: %+v", got)
		}
		var seen string
		again, left, err := s.UpdateKey(ctx, fx.Partner, id, func(b benefit.Benefit) (license.KeyChange, error) {
			seen = b.Key
			return license.KeyChange{}, nil
		})
		if err != nil || seen != b.Key || again.Key != b.Key || left != -1 {
			t.Fatalf("second call saw %q, got %q left %d, %v", seen, again.Key, left, err)
		}
		es := wantEvents(t, s, fx.Partner, id, audit.SoftwareKeyIssued)
		if es[0].Actor != fx.Admin || !es[0].At.Equal(fx.At) {
			t.Fatalf("event %+v", es[0])
		}
	})

	run("LicenceKeyLeavesTheLineAvailable", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		b, _, err := s.UpdateKey(ctx, fx.Partner, fx.Licences[0], poolKey(fx, audit.LicenseKeyIssued))
		got := mustLine(t, s, fx.Partner, fx.Licences[0])
		if err != nil || b.Key == "" || got.Key != b.Key || got.Status != benefit.Available || !got.KeyIssuedAt.Equal(fx.At) || !got.ActivatedAt.IsZero() {
			t.Fatalf("licence key: %+v, stored %+v, %v", b, got, err)
		}
		wantEvents(t, s, fx.Partner, fx.Licences[0], audit.LicenseKeyIssued)
	})

	run("SignedKeyIsStoredOnce", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		ev := audit.New(ids.New, fx.Partner, fx.Admin, audit.SoftwareKeyIssued, fx.Signed, fx.At)
		b, left, err := s.UpdateKey(ctx, fx.Partner, fx.Signed, func(benefit.Benefit) (license.KeyChange, error) {
			return license.KeyChange{Op: license.KeySigned, Key: "PBK2.signed.one", Event: ev}, nil
		})
		if err != nil || b.Key != "PBK2.signed.one" || left != -1 || mustLine(t, s, fx.Partner, fx.Signed).Status != benefit.Activated {
			t.Fatalf("signed: %+v left %d, %v", b, left, err)
		}
		// A second signed key for the line loses to the first, whose key
		// the next round reads.
		var calls int
		b, _, err = s.UpdateKey(ctx, fx.Partner, fx.Signed, func(b benefit.Benefit) (license.KeyChange, error) {
			if calls++; b.Key != "" {
				return license.KeyChange{}, nil
			}
			return license.KeyChange{}, errors.New("no key read")
		})
		if err != nil || b.Key != "PBK2.signed.one" || calls != 1 {
			t.Fatalf("again: %q after %d decisions, %v", b.Key, calls, err)
		}
	})

	run("LostKeyRaceReadsTheWinnersKey", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		var winner benefit.Benefit
		var calls int
		b, _, err := s.UpdateKey(ctx, fx.Partner, fx.Software[0], func(b benefit.Benefit) (license.KeyChange, error) {
			if calls++; calls == 1 { // another request takes the key meanwhile
				var err error
				if winner, err = Keys(s).SoftwareKey(ctx, fx.Partner, fx.Admin, b.ID, fx.At); err != nil {
					t.Error(err)
				}
			}
			return poolKey(fx, audit.SoftwareKeyIssued)(b)
		})
		if err != nil || calls != 2 || b.Key == "" || b.Key != winner.Key {
			t.Fatalf("got %q after %d decisions, winner %q, %v", b.Key, calls, winner.Key, err)
		}
		wantEvents(t, s, fx.Partner, fx.Software[0], audit.SoftwareKeyIssued)
		wantLevels(t, s, PooledSoftware, 1, 1)
		// The loser took no key from the pool: the other key is still free.
		if b2, left, err := s.UpdateKey(ctx, fx.Partner, fx.Software[1], poolKey(fx, audit.SoftwareKeyIssued)); err != nil || b2.Key == b.Key || left != 0 {
			t.Fatalf("next line: %q left %d, %v", b2.Key, left, err)
		}
	})

	run("ConcurrentFirstCallsGetOneKey", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		keys := make([]string, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				b, err := Keys(s).SoftwareKey(ctx, fx.Partner, fx.Admin, fx.Software[0], fx.At)
				if err != nil {
					t.Error(err)
				}
				keys[i] = b.Key
			})
		}
		wg.Wait()
		if keys[0] == "" || slices.ContainsFunc(keys, func(k string) bool { return k != keys[0] }) {
			t.Fatalf("keys %v", keys)
		}
		wantEvents(t, s, fx.Partner, fx.Software[0], audit.SoftwareKeyIssued)
	})

	run("APoolKeyGoesToOneLineThenThePoolIsExhausted", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		keys := make([]string, len(fx.Software)) // 3 lines, 2 keys
		errs := make([]error, len(fx.Software))
		var wg sync.WaitGroup
		for i, id := range fx.Software {
			wg.Go(func() {
				var b benefit.Benefit
				b, errs[i] = Keys(s).SoftwareKey(ctx, fx.Partner, fx.Admin, id, fx.At)
				keys[i] = b.Key
			})
		}
		wg.Wait()
		var got []string
		var exhausted int
		for i, err := range errs {
			switch {
			case err == nil:
				got = append(got, keys[i])
			case errors.Is(err, license.ErrKeyPoolExhausted):
				exhausted++
				if b := mustLine(t, s, fx.Partner, fx.Software[i]); b.Key != "" || b.Status != benefit.Available {
					t.Errorf("exhausted line written: %+v", b)
				}
				wantEvents(t, s, fx.Partner, fx.Software[i])
			default:
				t.Errorf("line %d: %v", i, err)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, fx.PoolKeys) || exhausted != 1 {
			t.Fatalf("keys %v (want each of %v once), %d exhausted", got, fx.PoolKeys, exhausted)
		}
		_, left, err := s.UpdateKey(ctx, fx.Other, fx.OtherSoftware, poolKey(fx, audit.SoftwareKeyIssued))
		if !errors.Is(err, license.ErrKeyPoolExhausted) || left != 0 {
			t.Fatalf("empty pool: left %d, %v", left, err)
		}
		wantLevels(t, s, PooledSoftware, 0, 2)
	})

	run("RevocationIsFenced", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		var once sync.Once
		var calls int
		b, left, err := s.UpdateKey(ctx, fx.Partner, fx.Licences[0], func(b benefit.Benefit) (license.KeyChange, error) {
			calls++
			once.Do(func() { must(t, s.RevokeLine(ctx, fx.Partner, b.ID, fx.At)) })
			if b.Status == benefit.Revoked {
				return license.KeyChange{}, benefit.ErrRevoked
			}
			return poolKey(fx, audit.LicenseKeyIssued)(b)
		})
		if !errors.Is(err, benefit.ErrRevoked) || calls != 2 || b.Status != benefit.Revoked || b.Key != "" || left != -1 {
			t.Fatalf("after a racing revocation: %+v left %d after %d decisions, %v", b, left, calls, err)
		}
		wantEvents(t, s, fx.Partner, fx.Licences[0])
		// The key stayed in the pool (20 keys, one now taken).
		if _, left, err := s.UpdateKey(ctx, fx.Partner, fx.Licences[1], poolKey(fx, audit.LicenseKeyIssued)); err != nil || left < 0 {
			t.Fatalf("left %d, %v", left, err)
		}
		wantLevels(t, s, LicenceProduct, 19, 1)
	})

	run("KeyWithoutItsEventIsRefused", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		_, _, err := s.UpdateKey(ctx, fx.Partner, fx.Signed, func(benefit.Benefit) (license.KeyChange, error) {
			return license.KeyChange{Op: license.KeySigned, Key: "PBK2.x.y"}, nil
		})
		if err == nil || errors.Is(err, license.ErrKeyRace) || mustLine(t, s, fx.Partner, fx.Signed).Key != "" {
			t.Fatalf("err %v", err)
		}
	})

	run("RedemptionTakesTheKeyThenWritesLineTenantAndEvents", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		id := fx.Licences[0]
		red, err := Keys(s).Redeem(ctx, fx.Partner, fx.Admin, id, "contoso.example", license.AddSeats, fx.At)
		if err != nil || red.After.Seats != 5 || !red.After.EndDate.Equal(benefit.AddMonths(fx.At, 12)) || red.By != fx.Admin {
			t.Fatalf("redemption %+v, %v", red, err)
		}
		b := mustLine(t, s, fx.Partner, id)
		if b.Key == "" || b.Status != benefit.Activated || !b.ActivatedAt.Equal(fx.At) || b.Redemption == nil ||
			*b.Redemption != (benefit.Redemption{TenantID: "contoso.example", Mode: "add-seats", By: fx.Admin, At: fx.At, Seats: 5,
				EndDate: red.After.EndDate}) {
			t.Fatalf("line %+v %+v", b, b.Redemption)
		}
		if sub := mustTenant(t, s, fx, "contoso.example"); !sub.Exists || sub.Seats != 5 || !sub.EndDate.Equal(red.After.EndDate) {
			t.Fatalf("tenant %+v", sub)
		}
		es := wantEvents(t, s, fx.Partner, id, audit.LicenseRedeemed, audit.LicenseKeyIssued)
		if es[0].Detail["tenantId"] != "contoso.example" || es[0].Detail["mode"] != "add-seats" {
			t.Fatalf("event %+v", es[0])
		}
	})

	run("CheckRefusesBeforeAnythingIsDecided", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		_, err := s.UpdateRedemption(ctx, fx.Partner, fx.Licences[0], "contoso.example", licenceProducts,
			func(benefit.Benefit) error { return license.ErrAlreadyRedeemed },
			func(benefit.Benefit, license.Subscription) (license.RedeemChange, error) {
				t.Error("decided")
				return license.RedeemChange{}, nil
			})
		if !errors.Is(err, license.ErrAlreadyRedeemed) || mustLine(t, s, fx.Partner, fx.Licences[0]).Key != "" {
			t.Fatalf("err %v", err)
		}
	})

	run("ATenantIsReadForALineOfAProductNotListed", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		if _, err := Keys(s).Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[1], "contoso.example", license.AddSeats, fx.At); err != nil {
			t.Fatal(err)
		}
		// The products a line may be of come from the current catalogue; a
		// line of a product it no longer lists still reads its tenant.
		for i, products := range [][]string{nil, {"crm-cloud"}} {
			var seen license.Subscription
			_, err := s.UpdateRedemption(ctx, fx.Partner, fx.Licences[i*2], "contoso.example", products, func(benefit.Benefit) error { return nil },
				func(b benefit.Benefit, sub license.Subscription) (license.RedeemChange, error) {
					seen = sub
					return redeemChange(fx, b, sub)
				})
			want := 5 * (i + 1)
			if err != nil || !seen.Exists || seen.Seats != want || seen.Product != LicenceProduct {
				t.Fatalf("products %v: decided on %+v (want %d seats), %v", products, seen, want, err)
			}
		}
		if sub := mustTenant(t, s, fx, "contoso.example"); sub.Seats != 15 {
			t.Fatalf("tenant %+v", sub)
		}
	})

	run("AKeyRedeemsOnceUnderConcurrency", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		tenants := []string{"t1.example", "t2.example", "t3.example", "t4.example", "t5.example"}
		errs := make([]error, len(tenants))
		var wg sync.WaitGroup
		for i, tenant := range tenants {
			wg.Go(func() {
				_, errs[i] = Keys(s).Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[0], tenant, license.ExtendTerm, fx.At)
			})
		}
		wg.Wait()
		var won []string
		for i, err := range errs {
			switch {
			case err == nil:
				won = append(won, tenants[i])
			case !errors.Is(err, license.ErrAlreadyRedeemed):
				t.Errorf("%s: %v", tenants[i], err)
			}
		}
		if len(won) != 1 {
			t.Fatalf("redeemed on %v", won)
		}
		for _, tenant := range tenants {
			if sub := mustTenant(t, s, fx, tenant); sub.Exists != (tenant == won[0]) {
				t.Errorf("tenant %s: %+v", tenant, sub)
			}
		}
		wantEvents(t, s, fx.Partner, fx.Licences[0], audit.LicenseRedeemed, audit.LicenseKeyIssued)
	})

	run("TenantSeatsAreAsRedeemedUnderConcurrency", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		var wg sync.WaitGroup
		for _, id := range fx.Licences { // 3 × 5 licences on one tenant
			wg.Go(func() {
				if _, err := Keys(s).Redeem(ctx, fx.Partner, fx.Admin, id, "contoso.example", license.AddSeats, fx.At); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if sub := mustTenant(t, s, fx, "contoso.example"); sub.Seats != 15 || !sub.EndDate.Equal(benefit.AddMonths(fx.At, 12)) {
			t.Fatalf("tenant %+v, want 15 seats to %v", sub, benefit.AddMonths(fx.At, 12))
		}
	})

	run("TenantIsFencedAndDecidedAgain", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		var seen []int
		_, err := s.UpdateRedemption(ctx, fx.Partner, fx.Licences[0], "contoso.example", licenceProducts, func(benefit.Benefit) error { return nil },
			func(b benefit.Benefit, sub license.Subscription) (license.RedeemChange, error) {
				if seen = append(seen, sub.Seats); len(seen) == 1 { // another key lands on the tenant meanwhile
					if _, err := Keys(s).Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[1], "contoso.example", license.AddSeats, fx.At); err != nil {
						t.Error(err)
					}
				}
				return redeemChange(fx, b, sub)
			})
		if err != nil || !slices.Equal(seen, []int{0, 5}) {
			t.Fatalf("err %v, decisions saw seats %v, want [0 5]", err, seen)
		}
		if sub := mustTenant(t, s, fx, "contoso.example"); sub.Seats != 10 {
			t.Fatalf("tenant %+v", sub)
		}
	})

	run("BusyAfterAttemptsLostRounds", func(t *testing.T, s LicenseStore, fx LicenseFixture) {
		var calls int
		_, err := s.UpdateRedemption(ctx, fx.Partner, fx.Licences[0], "contoso.example", licenceProducts, func(benefit.Benefit) error { return nil },
			func(b benefit.Benefit, sub license.Subscription) (license.RedeemChange, error) {
				// Every round, another key lands on the tenant after the read.
				calls++
				other := fx.Buy(t, s, fx.Partner)[LicenceProduct]
				if _, err := Keys(s).Redeem(ctx, fx.Partner, fx.Admin, other, "contoso.example", license.AddSeats, fx.At); err != nil {
					t.Error(err)
				}
				return redeemChange(fx, b, sub)
			})
		if !errors.Is(err, license.ErrBusy) || calls != license.Attempts {
			t.Fatalf("err %v after %d decisions, want license_busy after %d", err, calls, license.Attempts)
		}
		// The key is taken in the redemption's transaction: a redemption
		// that never won took no key either.
		if b := mustLine(t, s, fx.Partner, fx.Licences[0]); b.Redemption != nil || b.Status != benefit.Available || b.Key != "" {
			t.Fatalf("written: %+v", b)
		}
		wantEvents(t, s, fx.Partner, fx.Licences[0])
	})
}

// licenceProducts are what the use case passes UpdateRedemption: the
// licence products the line may be of (the fixture's and another).
var licenceProducts = []string{"crm-cloud", LicenceProduct}

// wantLevels checks a pool's free and taken keys as its store counts them.
func wantLevels(t *testing.T, s LicenseStore, product string, free, taken int64) {
	t.Helper()
	if f, tk, err := s.PoolLevels(context.Background(), product); err != nil || f != free || tk != taken {
		t.Fatalf("pool %s: %d free, %d taken, %v; want %d, %d", product, f, tk, err, free, taken)
	}
}

// poolKey decides a pool key by fx.Admin at fx.At.
func poolKey(fx LicenseFixture, action audit.Action) license.DecideKey {
	return func(b benefit.Benefit) (license.KeyChange, error) {
		if b.Key != "" {
			return license.KeyChange{}, nil
		}
		return license.KeyChange{Op: license.KeyFromPool, Event: audit.New(ids.New, b.PartnerID, fx.Admin, action, b.ID, fx.At)}, nil
	}
}

// redeemChange is an add-seats redemption of a line that has its key.
func redeemChange(fx LicenseFixture, b benefit.Benefit, sub license.Subscription) (license.RedeemChange, error) {
	key, err := poolKey(fx, audit.LicenseKeyIssued)(b)
	if err != nil {
		return license.RedeemChange{}, err
	}
	red, err := license.Redeem(b, sub, license.AddSeats, fx.Admin, fx.At)
	ev := audit.New(ids.New, fx.Partner, fx.Admin, audit.LicenseRedeemed, b.ID, fx.At)
	return license.RedeemChange{Key: key, Redemption: red, Event: ev}, err
}

func mustLine(t *testing.T, s LicenseStore, partnerID, benefitID string) benefit.Benefit {
	t.Helper()
	b, err := s.Benefit(context.Background(), partnerID, benefitID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustTenant(t *testing.T, s LicenseStore, fx LicenseFixture, tenantID string) license.Subscription {
	t.Helper()
	sub, err := s.TenantSubscription(context.Background(), fx.Partner, tenantID, LicenceProduct)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}
