package license_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/licensekey"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The software-key and licence rules of docs/domain.md, through the use
// cases, on the in-memory fake (whose semantics the licence contract checks
// against DynamoDB Local). docs/domain.md links each rule to its test here.

var ctx = context.Background()

func setup(t *testing.T) (license.Keys, *storetest.Fake, storetest.LicenseFixture) {
	t.Helper()
	s := storetest.New()
	return storetest.Keys(s), s, storetest.SeedLicenses(t, s)
}

func events(t *testing.T, s *storetest.Fake, partnerID, benefitID string) []audit.Action {
	t.Helper()
	es, _, err := s.Audit(ctx, partnerID, benefitID, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Action
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func TestSoftwareLineGetsOneKeyAndTakingItActivatesTheLine(t *testing.T) {
	uc, s, fx := setup(t)
	b, err := uc.SoftwareKey(ctx, fx.Partner, fx.Admin, fx.Software[0], fx.At)
	if err != nil || !slices.Contains(fx.PoolKeys, b.Key) {
		t.Fatalf("first key %q, %v", b.Key, err)
	}
	if got, _ := s.Benefit(ctx, fx.Partner, fx.Software[0]); got.Status != benefit.Activated || got.Key != b.Key {
		t.Fatalf("line %+v", got)
	}
	again, err := uc.SoftwareKey(ctx, fx.Partner, "usr_other_admin", fx.Software[0], fx.At.Add(time.Hour))
	if err != nil || again.Key != b.Key {
		t.Fatalf("later call %q, %v", again.Key, err)
	}
	if got := events(t, s, fx.Partner, fx.Software[0]); !slices.Equal(got, []audit.Action{audit.SoftwareKeyIssued}) {
		t.Fatalf("events %v", got)
	}
}

func TestConcurrentFirstKeyCallsAgree(t *testing.T) {
	uc, s, fx := setup(t)
	keys := make([]string, 10)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			b, err := uc.SoftwareKey(ctx, fx.Partner, fx.Admin, fx.Software[0], fx.At)
			if err != nil {
				t.Error(err)
			}
			keys[i] = b.Key
		})
	}
	wg.Wait()
	for _, k := range keys {
		if k == "" || k != keys[0] {
			t.Fatalf("keys %v", keys)
		}
	}
	if got := events(t, s, fx.Partner, fx.Software[0]); len(got) != 1 {
		t.Fatalf("events %v", got)
	}
}

func TestEmptyPoolIsKeyPoolExhaustedAndTheOperatorIsTold(t *testing.T) {
	uc, s, fx := setup(t)
	type heard struct {
		product string
		left    int64
		err     error
	}
	var told []heard
	uc.Watch = func(_ context.Context, product string, left int64, err error) {
		told = append(told, heard{product, left, err})
	}
	for _, id := range fx.Software[:2] { // the pool holds two keys
		if _, err := uc.SoftwareKey(ctx, fx.Partner, fx.Admin, id, fx.At); err != nil {
			t.Fatal(err)
		}
	}
	_, err := uc.SoftwareKey(ctx, fx.Partner, fx.Admin, fx.Software[2], fx.At)
	storetest.WantCode(t, err, "key_pool_exhausted")
	if b, _ := s.Benefit(ctx, fx.Partner, fx.Software[2]); b.Key != "" || b.Status != benefit.Available {
		t.Fatalf("exhausted line %+v", b)
	}
	if len(told) != 3 || told[0].left != 1 || told[1].left != 0 || told[2].left != 0 || !errors.Is(told[2].err, license.ErrKeyPoolExhausted) ||
		told[2].product != storetest.PooledSoftware {
		t.Fatalf("told %+v", told)
	}
	// A signed key or a repeat takes nothing from a pool: nothing to tell.
	told = nil
	if _, err := uc.SoftwareKey(ctx, fx.Partner, fx.Admin, fx.Signed, fx.At); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.SoftwareKey(ctx, fx.Partner, fx.Admin, fx.Software[0], fx.At); err != nil || len(told) != 0 {
		t.Fatalf("told %+v, %v", told, err)
	}
}

func TestSignedKeyNamesTheLineAndVerifies(t *testing.T) {
	uc, s, fx := setup(t)
	b, err := uc.SoftwareKey(ctx, fx.Partner, fx.Admin, fx.Signed, fx.At)
	if err != nil {
		t.Fatal(err)
	}
	c, err := licensekey.Verify(storetest.TestSignerKey.Public().(ed25519.PublicKey), b.Key, fx.At)
	if err != nil || c.Partner != fx.Partner || c.Benefit != fx.Signed || c.Product != storetest.SignedSoftware || c.Expires != b.ExpiresAt.UTC().Format(time.DateOnly) {
		t.Fatalf("claims %+v, %v", c, err)
	}
	if got, _ := s.Benefit(ctx, fx.Partner, fx.Signed); got.Status != benefit.Activated || got.Key != b.Key {
		t.Fatalf("line %+v", got)
	}
	// Where no signing key is set up, a signed product's key is 503 and
	// nothing is written.
	uc.Signer = nil
	other := fx.Buy(t, s, fx.Partner)[storetest.SignedSoftware]
	_, err = uc.SoftwareKey(ctx, fx.Partner, fx.Admin, other, fx.At)
	storetest.WantCode(t, err, "signing_unavailable")
	if got, _ := s.Benefit(ctx, fx.Partner, other); got.Key != "" || got.Status != benefit.Available {
		t.Fatalf("line %+v", got)
	}
}

func TestKeysOnlyForTheRouteKindAndThePartner(t *testing.T) {
	uc, _, fx := setup(t)
	for _, k := range [][2]string{{fx.Partner, fx.Licences[0]}, {fx.Partner, fx.NotKeyed}, {fx.Partner, fx.OtherSoftware}, {fx.Other, fx.Software[0]}} {
		_, err := uc.SoftwareKey(ctx, k[0], fx.Admin, k[1], fx.At)
		storetest.WantCode(t, err, "not_found")
		_, err = uc.Downloads(ctx, k[0], k[1], fx.At)
		storetest.WantCode(t, err, "not_found")
	}
	for _, k := range [][2]string{{fx.Partner, fx.Software[0]}, {fx.Partner, fx.NotKeyed}, {fx.Partner, fx.OtherLicence}, {fx.Other, fx.Licences[0]}} {
		for _, seesKey := range []bool{true, false} {
			_, err := uc.License(ctx, k[0], fx.Admin, k[1], seesKey, fx.At)
			storetest.WantCode(t, err, "not_found")
		}
		_, err := uc.Redeem(ctx, k[0], fx.Admin, k[1], "contoso.example", license.AddSeats, fx.At)
		storetest.WantCode(t, err, "not_found")
	}
}

func TestRevokedOrExpiredLinesTakeNoKeyAndNoDownloads(t *testing.T) {
	uc, s, fx := setup(t)
	if err := s.RevokeLine(ctx, fx.Partner, fx.Software[0], fx.At); err != nil {
		t.Fatal(err)
	}
	_, err := uc.SoftwareKey(ctx, fx.Partner, fx.Admin, fx.Software[0], fx.At)
	storetest.WantCode(t, err, "benefit_revoked")
	_, err = uc.Downloads(ctx, fx.Partner, fx.Software[0], fx.At)
	storetest.WantCode(t, err, "benefit_revoked")
	later := fx.At.AddDate(1, 1, 0) // past the lines' 12 months
	_, err = uc.SoftwareKey(ctx, fx.Partner, fx.Admin, fx.Software[1], later)
	storetest.WantCode(t, err, "benefit_expired")
	_, err = uc.Downloads(ctx, fx.Partner, fx.Software[1], later)
	storetest.WantCode(t, err, "benefit_expired")
	if b, _ := s.Benefit(ctx, fx.Partner, fx.Software[1]); b.Key != "" {
		t.Fatalf("expired line took %q", b.Key)
	}
}

func TestLicenceKeyTakenByTheFirstAdminReadOnlyAndTheLineStaysAvailable(t *testing.T) {
	uc, s, fx := setup(t)
	m, err := uc.License(ctx, fx.Partner, "usr_member", fx.Licences[0], false, fx.At)
	if err != nil || m.Key != "" {
		t.Fatalf("member read %+v, %v", m, err)
	}
	if b, _ := s.Benefit(ctx, fx.Partner, fx.Licences[0]); b.Key != "" {
		t.Fatalf("a member's read took %q", b.Key)
	}
	a, err := uc.License(ctx, fx.Partner, fx.Admin, fx.Licences[0], true, fx.At)
	if err != nil || a.Key == "" || a.Status != benefit.Available {
		t.Fatalf("admin read %+v, %v", a, err)
	}
	again, err := uc.License(ctx, fx.Partner, "usr_mpn", fx.Licences[0], true, fx.At.Add(time.Hour))
	if err != nil || again.Key != a.Key {
		t.Fatalf("second read %q, %v", again.Key, err)
	}
	if m, _ := uc.License(ctx, fx.Partner, "usr_member", fx.Licences[0], false, fx.At); m.Key != "" {
		t.Fatalf("a member sees %q", m.Key)
	}
	if got := events(t, s, fx.Partner, fx.Licences[0]); !slices.Equal(got, []audit.Action{audit.LicenseKeyIssued}) {
		t.Fatalf("events %v", got)
	}
}

func TestRevokedLicenceNeverShowsItsKey(t *testing.T) {
	uc, s, fx := setup(t)
	// A line revoked with its key (as cancels did before they fenced
	// licence lines).
	cat, _ := catalog.Parse(catalog.Demo)
	pur, lines, err := benefit.NewPurchase(fx.Partner, "USD", cat, "action-pack-2026", fx.At, ids.New)
	if err != nil {
		t.Fatal(err)
	}
	var legacy string
	for i, b := range lines {
		if b.Product == storetest.LicenceProduct && legacy == "" {
			lines[i].Status, lines[i].Key, legacy = benefit.Revoked, "LEGACY-KEY", b.ID
		}
	}
	if err := s.CreatePurchase(ctx, pur, lines); err != nil {
		t.Fatal(err)
	}
	b, err := uc.License(ctx, fx.Partner, fx.Admin, legacy, true, fx.At)
	if err != nil || b.Key != "" || b.Status != benefit.Revoked {
		t.Fatalf("revoked line %+v, %v", b, err)
	}
	_, err = uc.Redeem(ctx, fx.Partner, fx.Admin, legacy, "contoso.example", license.AddSeats, fx.At)
	storetest.WantCode(t, err, "benefit_revoked")
	// A cancel that revokes the line while an admin's read takes its key:
	// the read answers the revoked line, without a key, and takes none.
	racing := revokingStore{Fake: s, once: &sync.Once{}, t: t}
	uc.Store = racing
	b, err = uc.License(ctx, fx.Partner, fx.Admin, fx.Licences[0], true, fx.At)
	if err != nil || b.Key != "" || b.Status != benefit.Revoked {
		t.Fatalf("raced read %+v, %v", b, err)
	}
	if got := events(t, s, fx.Partner, fx.Licences[0]); len(got) != 0 {
		t.Fatalf("events %v", got)
	}
}

// revokingStore revokes the line between the first key decision's read and
// its write, as a racing cancel does.
type revokingStore struct {
	*storetest.Fake
	once *sync.Once
	t    *testing.T
}

func (r revokingStore) UpdateKey(ctx context.Context, partnerID, benefitID string, decide license.DecideKey) (benefit.Benefit, int64, error) {
	return r.Fake.UpdateKey(ctx, partnerID, benefitID, func(b benefit.Benefit) (license.KeyChange, error) {
		r.once.Do(func() {
			if err := r.Fake.RevokeLine(ctx, partnerID, benefitID, b.CreatedAt); err != nil {
				r.t.Error(err)
			}
		})
		return decide(b)
	})
}

func TestExpiredLicenceStillShowsItsKeyAndRedemptionButIsNotRedeemed(t *testing.T) {
	uc, _, fx := setup(t)
	a, err := uc.License(ctx, fx.Partner, fx.Admin, fx.Licences[0], true, fx.At)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[0], "contoso.example", license.AddSeats, fx.At); err != nil {
		t.Fatal(err)
	}
	later := fx.At.AddDate(1, 1, 0)
	b, err := uc.License(ctx, fx.Partner, fx.Admin, fx.Licences[0], true, later)
	if err != nil || b.Key != a.Key || b.Redemption == nil || b.EffectiveStatus(later) != benefit.Expired {
		t.Fatalf("expired line %+v, %v", b, err)
	}
	// An expired line nobody read takes no key, and is not redeemed.
	if b, err := uc.License(ctx, fx.Partner, fx.Admin, fx.Licences[1], true, later); err != nil || b.Key != "" {
		t.Fatalf("expired unread line %+v, %v", b, err)
	}
	_, err = uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[1], "contoso.example", license.AddSeats, later)
	storetest.WantCode(t, err, "benefit_expired")
}

func TestAKeyRedeemsOnce(t *testing.T) {
	uc, s, fx := setup(t)
	if _, err := uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[0], "contoso.example", license.AddSeats, fx.At); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []license.Mode{license.AddSeats, license.ExtendTerm} {
		_, err := uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[0], "fabrikam.example", mode, fx.At)
		storetest.WantCode(t, err, "key_already_redeemed")
	}
	if sub, _ := s.TenantSubscription(ctx, fx.Partner, "fabrikam.example", storetest.LicenceProduct); sub.Exists {
		t.Fatalf("second tenant %+v", sub)
	}
}

func TestRedeemingAKeyNobodyReadTakesItFirst(t *testing.T) {
	uc, s, fx := setup(t)
	red, err := uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[0], "contoso.example", license.ExtendTerm, fx.At)
	if err != nil || red.By != fx.Admin || !red.At.Equal(fx.At) {
		t.Fatalf("redemption %+v, %v", red, err)
	}
	b, _ := s.Benefit(ctx, fx.Partner, fx.Licences[0])
	if b.Key == "" || b.Status != benefit.Activated || b.Redemption == nil || b.Redemption.TenantID != "contoso.example" || b.Redemption.Mode != "extend-term" {
		t.Fatalf("line %+v", b)
	}
	want := []audit.Action{audit.LicenseRedeemed, audit.LicenseKeyIssued}
	if got := events(t, s, fx.Partner, fx.Licences[0]); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestNewOrLapsedTenantGetsQuantitySeatsForAFullTerm(t *testing.T) {
	uc, _, fx := setup(t)
	red, err := uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[0], "contoso.example", license.ExtendTerm, fx.At)
	if err != nil || red.After.Seats != 5 || !red.After.EndDate.Equal(benefit.AddMonths(fx.At, 12)) || red.TermUnder12Months {
		t.Fatalf("new tenant %+v, %v", red, err)
	}
	// Past the end date the subscription has lapsed: a new full term,
	// whichever the mode (the line bought later is still live).
	lapsed := fx.At.AddDate(1, 0, 1)
	other := buyAt(t, uc, fx, lapsed.AddDate(0, -1, 0))
	red, err = uc.Redeem(ctx, fx.Partner, fx.Admin, other, "contoso.example", license.AddSeats, lapsed)
	if err != nil || red.After.Seats != 5 || !red.After.EndDate.Equal(benefit.AddMonths(lapsed, 12)) || red.TermUnder12Months {
		t.Fatalf("lapsed tenant %+v, %v", red, err)
	}
}

func TestAddSeatsKeepsTheTenantsEndDateAndSaysWhenUnder12MonthsAreLeft(t *testing.T) {
	uc, s, fx := setup(t)
	first, _ := uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[0], "contoso.example", license.AddSeats, fx.At)
	three := fx.At.AddDate(0, 3, 0)
	red, err := uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[1], "contoso.example", license.AddSeats, three)
	if err != nil || red.After.Seats != 10 || !red.After.EndDate.Equal(first.After.EndDate) || !red.TermUnder12Months {
		t.Fatalf("add-seats %+v, %v", red, err)
	}
	if sub, _ := s.TenantSubscription(ctx, fx.Partner, "contoso.example", storetest.LicenceProduct); sub.Seats != 10 || !sub.EndDate.Equal(first.After.EndDate) {
		t.Fatalf("tenant %+v", sub)
	}
}

func TestExtendTermMovesTheEndDate12MonthsOnAndKeepsTheSeats(t *testing.T) {
	uc, s, fx := setup(t)
	first, _ := uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[0], "contoso.example", license.AddSeats, fx.At)
	_, _ = uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[1], "contoso.example", license.AddSeats, fx.At) // 10 seats
	red, err := uc.Redeem(ctx, fx.Partner, fx.Admin, fx.Licences[2], "contoso.example", license.ExtendTerm, fx.At.AddDate(0, 3, 0))
	want := benefit.AddMonths(first.After.EndDate, 12)
	if err != nil || red.After.Seats != 10 || !red.After.EndDate.Equal(want) || red.TermUnder12Months {
		t.Fatalf("extend-term %+v, %v", red, err)
	}
	if sub, _ := s.TenantSubscription(ctx, fx.Partner, "contoso.example", storetest.LicenceProduct); sub.Seats != 10 || !sub.EndDate.Equal(want) {
		t.Fatalf("tenant %+v", sub)
	}
}

func TestConcurrentRedemptionsOnOneTenantKeepEverySeat(t *testing.T) {
	uc, s, fx := setup(t)
	var wg sync.WaitGroup
	for _, id := range fx.Licences {
		wg.Go(func() {
			if _, err := uc.Redeem(ctx, fx.Partner, fx.Admin, id, "contoso.example", license.AddSeats, fx.At); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if sub, _ := s.TenantSubscription(ctx, fx.Partner, "contoso.example", storetest.LicenceProduct); sub.Seats != 15 {
		t.Fatalf("tenant %+v, want 15 seats", sub)
	}
}

func TestRedemptionTenantAndModeAreCheckedTogether(t *testing.T) {
	_, _, err := license.ParseRedemption("", "both")
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "validation_failed" || len(ae.Fields) != 2 {
		t.Fatalf("err %v", err)
	}
	tenant, mode, err := license.ParseRedemption(" Contoso.onmicrosoft.com ", "extend-term")
	if err != nil || tenant != "contoso.onmicrosoft.com" || mode != license.ExtendTerm {
		t.Fatalf("%q %q %v", tenant, mode, err)
	}
}

// buyAt buys an action pack at at and returns its licence line.
func buyAt(t *testing.T, uc license.Keys, fx storetest.LicenseFixture, at time.Time) string {
	t.Helper()
	cat, _ := catalog.Parse(catalog.Demo)
	pur, lines, err := benefit.NewPurchase(fx.Partner, "USD", cat, "action-pack-2026", at, ids.New)
	if err != nil {
		t.Fatal(err)
	}
	if err := uc.Store.(*storetest.Fake).CreatePurchase(ctx, pur, lines); err != nil {
		t.Fatal(err)
	}
	for _, b := range lines {
		if b.Product == storetest.LicenceProduct {
			return b.ID
		}
	}
	t.Fatal("no licence line")
	return ""
}
