package credit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The credit rules of docs/domain.md, through the use cases, on the
// in-memory fake (whose semantics the credit contract checks against
// DynamoDB Local). docs/domain.md links each rule to its test here.

var ctx = context.Background()

func setup(t *testing.T) (credit.Seats, *storetest.Fake, storetest.CreditFixture) {
	t.Helper()
	s := storetest.New()
	return storetest.Seats(s), s, storetest.SeedCredits(t, s)
}

func assign(t *testing.T, uc credit.Seats, fx storetest.CreditFixture, benefitID, userID string) credit.Credit {
	t.Helper()
	c, already, err := uc.Assign(ctx, fx.Partner, fx.Admin, benefitID, userID, fx.At)
	if err != nil || already {
		t.Fatalf("assign %s to %s: already=%v %v", userID, benefitID, already, err)
	}
	return c
}

func TestMonthlyCreditTakesUpToQuantityUsers(t *testing.T) {
	uc, _, fx := setup(t)
	for i, u := range fx.Users[:5] {
		if c := assign(t, uc, fx, fx.Monthly, u); c.Seats != i+1 || len(c.Holders) != i+1 {
			t.Fatalf("seat %d: %+v", i+1, c)
		}
	}
	_, _, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[5], fx.At)
	storetest.WantCode(t, err, "no_seats_left")
}

func TestAssigningAHolderAgainChangesNothing(t *testing.T) {
	uc, s, fx := setup(t)
	assign(t, uc, fx, fx.Monthly, fx.Users[0])
	c, already, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[0], fx.At.Add(time.Hour))
	if err != nil || !already || c.Seats != 1 {
		t.Fatalf("again: already=%v seats %d %v", already, c.Seats, err)
	}
	if es, _, _ := s.Audit(ctx, fx.Partner, fx.Monthly, 10, ""); len(es) != 1 {
		t.Fatalf("%d events, want 1", len(es))
	}
}

func TestUserMustBeInThePartnersDirectory(t *testing.T) {
	uc, _, fx := setup(t)
	for _, u := range []string{"usr_unknown", fx.OtherUser} {
		_, _, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.Monthly, u, fx.At)
		storetest.WantCode(t, err, "user_not_found")
	}
	assign(t, uc, fx, fx.Annual, fx.Users[0])
	_, err := uc.Transfer(ctx, fx.Partner, fx.Admin, fx.Annual, fx.OtherUser, fx.At)
	storetest.WantCode(t, err, "user_not_found")
}

func TestAnnualCreditHasOneUserAndIsGrantedAtAssignment(t *testing.T) {
	uc, _, fx := setup(t)
	c := assign(t, uc, fx, fx.Annual, fx.Users[0])
	start, end := credit.Enrolment(fx.At)
	if c.Holder != fx.Users[0] || c.Balance != c.PerSeat.Amount || len(c.Grants) != 1 || !c.EnrolledAt.Equal(start) || !c.EnrolmentEndsAt.Equal(end) {
		t.Fatalf("annual: %+v", c)
	}
	if l, err := uc.Ledger(ctx, fx.Partner, fx.Annual); err != nil || len(l.Grants) != 1 || l.Balance != c.Balance {
		t.Fatalf("ledger: %+v %v", l, err)
	}
	_, _, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[1], fx.At)
	storetest.WantCode(t, err, "no_seats_left")
}

func TestAnnualCreditIsNotCombinableWithAnotherCreditOffer(t *testing.T) {
	uc, _, fx := setup(t)
	assign(t, uc, fx, fx.Monthly, fx.Users[0])
	assign(t, uc, fx, fx.Monthly2, fx.Users[0]) // two monthly credits combine
	_, _, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[0], fx.At)
	storetest.WantCode(t, err, "offer_not_combinable")

	assign(t, uc, fx, fx.Annual, fx.Users[1])
	_, _, err = uc.Assign(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[1], fx.At)
	storetest.WantCode(t, err, "offer_not_combinable")
	_, _, err = uc.Assign(ctx, fx.Partner, fx.Admin, fx.Annual2, fx.Users[1], fx.At)
	storetest.WantCode(t, err, "offer_not_combinable")
	// Nor transferred to a user holding an offer.
	_, err = uc.Transfer(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[0], fx.At)
	storetest.WantCode(t, err, "offer_not_combinable")
}

func TestAnnualCreditIsTransferredOnlyWithinItsEnrolmentYear(t *testing.T) {
	uc, s, fx := setup(t)
	_, err := uc.Transfer(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[1], fx.At)
	storetest.WantCode(t, err, "credit_not_assigned")
	c := assign(t, uc, fx, fx.Annual, fx.Users[0])
	_, err = uc.Transfer(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[1], fx.At)
	storetest.WantCode(t, err, "credit_not_transferable")

	last := c.EnrolmentEndsAt.Add(-time.Second)
	after, err := uc.Transfer(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[1], last)
	if err != nil || after.Holder != fx.Users[1] || after.Balance != c.Balance {
		t.Fatalf("transfer in the last second: %+v %v", after, err)
	}
	if same, err := uc.Transfer(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[1], last); err != nil || same.Holder != fx.Users[1] {
		t.Fatalf("transfer to the holder: %+v %v", same, err)
	}
	es, _, _ := s.Audit(ctx, fx.Partner, fx.Annual, 10, "")
	if len(es) != 2 || es[0].Action != audit.CreditTransferred || es[0].Detail["fromUserId"] != fx.Users[0] || es[0].UserID != fx.Users[1] {
		t.Fatalf("events: %+v", es)
	}
	_, err = uc.Transfer(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[2], c.EnrolmentEndsAt)
	storetest.WantCode(t, err, "transfer_window_closed")
}

func TestAnnualCreditIsNeverRemoved(t *testing.T) {
	uc, _, fx := setup(t)
	assign(t, uc, fx, fx.Annual, fx.Users[0])
	storetest.WantCode(t, uc.Remove(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[0], fx.At), "credit_not_removable")
}

func TestMonthlyCreditUserIsRemovable(t *testing.T) {
	uc, s, fx := setup(t)
	assign(t, uc, fx, fx.Monthly, fx.Users[0])
	if err := uc.Remove(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[0], fx.At); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Credit(ctx, fx.Partner, fx.Monthly); c.Seats != 0 || len(c.Holders) != 0 {
		t.Fatalf("after removal: %+v", c)
	}
	storetest.WantCode(t, uc.Remove(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[0], fx.At), "not_found")
	assign(t, uc, fx, fx.Annual, fx.Users[0]) // the freed user may now take an annual credit
}

func TestRevokedAndExpiredCreditsRefuseSeatChanges(t *testing.T) {
	uc, s, fx := setup(t)
	assign(t, uc, fx, fx.Monthly, fx.Users[0])
	assign(t, uc, fx, fx.Annual, fx.Users[1])
	expired := fx.MonthlyExpires
	_, _, err := uc.Assign(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[2], expired)
	storetest.WantCode(t, err, "benefit_expired")
	storetest.WantCode(t, uc.Remove(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[0], expired), "benefit_expired")
	_, _, err = uc.Assign(ctx, fx.Partner, fx.Admin, fx.Annual2, fx.Users[2], fx.AnnualExpires)
	storetest.WantCode(t, err, "benefit_expired")

	for _, b := range []string{fx.Monthly, fx.Annual} {
		if err := s.RevokeCredit(ctx, fx.Partner, b, fx.At); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = uc.Assign(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[2], fx.At)
	storetest.WantCode(t, err, "benefit_revoked")
	storetest.WantCode(t, uc.Remove(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[0], fx.At), "benefit_revoked")
	_, err = uc.Transfer(ctx, fx.Partner, fx.Admin, fx.Annual, fx.Users[3], fx.At)
	if !errors.Is(err, benefit.ErrRevoked) {
		t.Fatalf("transfer of a revoked credit: %v", err)
	}
}

func TestAnotherPartnersCreditIsNotFound(t *testing.T) {
	uc, _, fx := setup(t)
	_, _, err := uc.Assign(ctx, fx.Other, "usr_admin_"+fx.Other, fx.Monthly, fx.OtherUser, fx.At)
	storetest.WantCode(t, err, "not_found")
	storetest.WantCode(t, uc.Remove(ctx, fx.Other, "usr_admin_"+fx.Other, fx.Monthly, fx.OtherUser, fx.At), "not_found")
	_, err = uc.Transfer(ctx, fx.Other, "usr_admin_"+fx.Other, fx.Annual, fx.OtherUser, fx.At)
	storetest.WantCode(t, err, "not_found")
	_, err = uc.Ledger(ctx, fx.Other, fx.Annual)
	storetest.WantCode(t, err, "not_found")
}

func TestEverySeatChangeWritesItsAuditEvent(t *testing.T) {
	uc, s, fx := setup(t)
	assign(t, uc, fx, fx.Monthly, fx.Users[0])
	later := fx.At.Add(time.Hour)
	if err := uc.Remove(ctx, fx.Partner, fx.Admin, fx.Monthly, fx.Users[0], later); err != nil {
		t.Fatal(err)
	}
	es, _, _ := s.Audit(ctx, fx.Partner, fx.Monthly, 10, "")
	want := []struct {
		action audit.Action
		at     time.Time
	}{{audit.CreditRemoved, later}, {audit.CreditAssigned, fx.At}}
	if len(es) != len(want) {
		t.Fatalf("events: %+v", es)
	}
	for i, w := range want {
		if e := es[i]; e.Action != w.action || !e.At.Equal(w.at) || e.Actor != fx.Admin || e.PartnerID != fx.Partner ||
			e.BenefitID != fx.Monthly || e.UserID != fx.Users[0] || e.ID == "" {
			t.Errorf("event %d: %+v, want %s at %s", i, e, w.action, w.at)
		}
	}
}
