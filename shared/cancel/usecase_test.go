package cancel_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The cancellation rules of docs/domain.md ("Cancelling a package", the
// refund table row by row), through the use cases, on the in-memory fake
// (whose fences the cancellation contract checks against DynamoDB Local).
// docs/domain.md links each rule to its test here.

var ctx = context.Background()

func setup(t *testing.T) (cancel.Requests, *storetest.Fake, storetest.CancelFixture) {
	t.Helper()
	s := storetest.New()
	return storetest.Requests(s), s, storetest.SeedCancellations(t, s)
}

// refused checks a cancel refused naming line benefitID, with nothing
// written.
func refused(t *testing.T, uc cancel.Requests, s *storetest.Fake, fx storetest.CancelFixture, purchaseID, benefitID, code string) {
	t.Helper()
	_, err := uc.Cancel(ctx, fx.Partner, fx.Admin, purchaseID, "", fx.At)
	if e := storetest.WantCode(t, err, code); e.Extra["benefitId"] != benefitID {
		t.Fatalf("refusal names %v, want %s", e.Extra["benefitId"], benefitID)
	}
	if b, _ := s.Benefit(ctx, fx.Partner, benefitID); b.Status == benefit.Revoked {
		t.Fatalf("a refused cancel revoked %+v", b)
	}
	if srs, _, _ := s.ServiceRequests(ctx, "", 10, ""); len(srs) != 0 {
		t.Fatalf("a refused cancel opened %+v", srs)
	}
}

// allowed checks a cancel that goes through: a pending full refund, every
// line of the purchase revoked.
func allowed(t *testing.T, uc cancel.Requests, s *storetest.Fake, fx storetest.CancelFixture, purchaseID string, lines map[catalog.Kind]string) {
	t.Helper()
	sr, err := uc.Cancel(ctx, fx.Partner, fx.Admin, purchaseID, "", fx.At)
	if err != nil || sr.Status != cancel.Pending || sr.PurchaseID != purchaseID || sr.Refund.Amount <= 0 {
		t.Fatalf("cancel: %+v %v", sr, err)
	}
	for kind, id := range lines {
		if b, _ := s.Benefit(ctx, fx.Partner, id); b.Status != benefit.Revoked {
			t.Fatalf("%s line after the cancel: %s", kind, b.Status)
		}
	}
}

func mark(t *testing.T, s *storetest.Fake, fx storetest.CancelFixture, id string, change func(*benefit.Benefit)) {
	t.Helper()
	if err := s.UpdateLine(fx.Partner, id, change); err != nil {
		t.Fatal(err)
	}
}

func TestSoftwareWithItsKeyTakenRefusesTheRefund(t *testing.T) {
	uc, s, fx := setup(t)
	id, lines := fx.Buy(t, "silver-2026")
	mark(t, s, fx, lines[catalog.Software], func(b *benefit.Benefit) { b.Key, b.Status = "KEY-1", benefit.Activated })
	refused(t, uc, s, fx, id, lines[catalog.Software], "software_benefit_activated")

	untouched, lines := fx.Buy(t, "silver-2026")
	allowed(t, uc, s, fx, untouched, lines)
}

func TestLicenceShownOrRedeemedRefusesTheRefund(t *testing.T) {
	uc, s, fx := setup(t)
	for name, use := range map[string]func(*benefit.Benefit){
		"shown": func(b *benefit.Benefit) { b.Key, b.KeyIssuedAt = "LIC-1", fx.At },
		"redeemed": func(b *benefit.Benefit) {
			b.Redemption, b.Status = &benefit.Redemption{TenantID: "t.example"}, benefit.Activated
		},
	} {
		id, lines := fx.Buy(t, "silver-2026")
		mark(t, s, fx, lines[catalog.License], use)
		t.Log(name)
		refused(t, uc, s, fx, id, lines[catalog.License], "software_benefit_activated")
	}
	untouched, lines := fx.Buy(t, "silver-2026") // a member's read takes no key
	allowed(t, uc, s, fx, untouched, lines)
}

func TestMonthlyCreditGrantedRefusesAssignedIsReleased(t *testing.T) {
	uc, s, fx := setup(t)
	granted, lines := fx.Buy(t, "action-pack-2026")
	monthly := lines[catalog.CreditMonthly]
	if err := s.Grant(fx.Partner, monthly, credit.Grant{Period: credit.PeriodOf(fx.At).Next(), Amount: 100, Seats: 1}); err != nil {
		t.Fatal(err)
	}
	refused(t, uc, s, fx, granted, monthly, "benefit_consumed")

	assigned, lines := fx.Buy(t, "action-pack-2026")
	monthly = lines[catalog.CreditMonthly]
	if _, _, err := storetest.Seats(s).Assign(ctx, fx.Partner, fx.Admin, monthly, fx.User, fx.At); err != nil {
		t.Fatal(err)
	}
	allowed(t, uc, s, fx, assigned, lines)
	if c, _ := s.Credit(ctx, fx.Partner, monthly); !c.Revoked {
		t.Fatalf("credit after the cancel: %+v", c)
	}
	release(t, s, 1)
	if c, _ := s.Credit(ctx, fx.Partner, monthly); !c.Revoked || len(c.Holders) != 0 {
		t.Fatalf("credit after the release: %+v", c)
	}
	if u, _, _ := s.CreditUser(ctx, fx.Partner, fx.User); len(u.Offers) != 0 {
		t.Fatalf("the holder keeps %v", u.Offers)
	}
}

// release runs the finish-cancellations job and checks it completed n
// cancellations.
func release(t *testing.T, s cancel.ReleaseStore, n int) {
	t.Helper()
	sum, err := cancel.Releases{Store: s}.Run(ctx, time.Now())
	if err != nil || sum.Released != n {
		t.Fatalf("release job: %+v %v, want %d released", sum, err, n)
	}
}

func TestAnnualCreditAssignedRefusesTheRefund(t *testing.T) {
	uc, s, fx := setup(t)
	id, lines := fx.Buy(t, "silver-2026")
	annual := lines[catalog.CreditAnnual]
	if _, _, err := storetest.Seats(s).Assign(ctx, fx.Partner, fx.Admin, annual, fx.User, fx.At); err != nil {
		t.Fatal(err) // granted at assignment
	}
	refused(t, uc, s, fx, id, annual, "benefit_consumed")

	noHolder, lines := fx.Buy(t, "silver-2026")
	allowed(t, uc, s, fx, noHolder, lines)
	_, _, err := storetest.Seats(s).Assign(ctx, fx.Partner, fx.Admin, lines[catalog.CreditAnnual], fx.User, fx.At)
	storetest.WantCode(t, err, "benefit_revoked")
}

func TestVisualStudioIsWithdrawnByTheCancel(t *testing.T) {
	uc, s, fx := setup(t)
	id, lines := fx.Buy(t, "silver-2026")
	mark(t, s, fx, lines[catalog.VisualStudio], func(b *benefit.Benefit) { b.Used = 3 }) // seats assigned
	allowed(t, uc, s, fx, id, lines)
}

func TestSupportWithAnIncidentRefusesTheRefund(t *testing.T) {
	uc, s, fx := setup(t)
	id, lines := fx.Buy(t, "silver-2026")
	mark(t, s, fx, lines[catalog.Support], func(b *benefit.Benefit) { b.Used = 1 })
	refused(t, uc, s, fx, id, lines[catalog.Support], "benefit_consumed")

	activated, lines := fx.Buy(t, "silver-2026") // support activated, no incident
	mark(t, s, fx, lines[catalog.Support], func(b *benefit.Benefit) { b.Status = benefit.Activated })
	allowed(t, uc, s, fx, activated, lines)
}

func TestAdvisoryHoursUsedRefuseTheRefund(t *testing.T) {
	uc, s, fx := setup(t)
	id, lines := fx.Buy(t, "silver-2026")
	mark(t, s, fx, lines[catalog.AdvisoryHours], func(b *benefit.Benefit) { b.Used = 1 })
	refused(t, uc, s, fx, id, lines[catalog.AdvisoryHours], "benefit_consumed")

	untouched, lines := fx.Buy(t, "silver-2026")
	allowed(t, uc, s, fx, untouched, lines)
}

func TestOfferConfirmedRefusesPendingIsWithdrawn(t *testing.T) {
	uc, s, fx := setup(t)
	id, lines := fx.Buy(t, "silver-2026")
	mark(t, s, fx, lines[catalog.GTMOffer], func(b *benefit.Benefit) { b.Status, b.ActivatedAt = benefit.Active, fx.At })
	refused(t, uc, s, fx, id, lines[catalog.GTMOffer], "benefit_consumed")

	pending, lines := fx.Buy(t, "silver-2026")
	mark(t, s, fx, lines[catalog.GTMOffer], func(b *benefit.Benefit) { b.Status = benefit.Pending })
	allowed(t, uc, s, fx, pending, lines)
}

func TestCancelOnlyWithin30DaysOfThePurchase(t *testing.T) {
	uc, _, fx := setup(t)
	id, _ := fx.Buy(t, "silver-2026")
	closes := fx.At.Add(30 * 24 * time.Hour)
	_, err := uc.Cancel(ctx, fx.Partner, fx.Admin, id, "", closes)
	if e := storetest.WantCode(t, err, "cancel_window_closed"); e.Extra["windowClosedAt"] != closes {
		t.Fatalf("windowClosedAt %v, want %v", e.Extra["windowClosedAt"], closes)
	}
	if _, err := uc.Cancel(ctx, fx.Partner, fx.Admin, id, "", closes.Add(-time.Millisecond)); err != nil {
		t.Fatalf("in the last millisecond: %v", err)
	}
}

func TestCancelledPurchaseIsAlreadyCancelledAndTheJobReleasesIt(t *testing.T) {
	uc, s, fx := setup(t)
	id, _ := fx.Buy(t, "silver-2026")
	if _, err := uc.Cancel(ctx, fx.Partner, fx.Admin, id, "", fx.At); err != nil {
		t.Fatal(err)
	}
	_, err := uc.Cancel(ctx, fx.Partner, fx.Admin, id, "", fx.At)
	storetest.WantCode(t, err, "already_cancelled")
	release(t, s, 1)

	// The request commits; the seats wait for the release job, which a
	// repeated cancel (already_cancelled) does not run.
	id, lines := fx.Buy(t, "action-pack-2026")
	monthly := lines[catalog.CreditMonthly]
	if _, _, err := storetest.Seats(s).Assign(ctx, fx.Partner, fx.Admin, monthly, fx.User, fx.At); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Cancel(ctx, fx.Partner, fx.Admin, id, "", fx.At); err != nil {
		t.Fatal(err)
	}
	_, err = uc.Cancel(ctx, fx.Partner, fx.Admin, id, "", fx.At)
	storetest.WantCode(t, err, "already_cancelled")
	if c, _ := s.Credit(ctx, fx.Partner, monthly); len(c.Holders) != 1 {
		t.Fatalf("released before the job: %+v", c)
	}
	release(t, s, 1)
	if c, _ := s.Credit(ctx, fx.Partner, monthly); len(c.Holders) != 0 {
		t.Fatalf("seats after the release: %+v", c)
	}
	release(t, s, 0) // done once
}

func TestReasonIsAtMost1000Characters(t *testing.T) {
	uc, _, fx := setup(t)
	id, _ := fx.Buy(t, "silver-2026")
	_, err := uc.Cancel(ctx, fx.Partner, fx.Admin, id, strings.Repeat("é", 1001), fx.At)
	if e := storetest.WantCode(t, err, "validation_failed"); len(e.Fields) != 1 || e.Fields[0].Field != "reason" || e.Fields[0].Code != "too_long" {
		t.Fatalf("fields: %+v", e.Fields)
	}
	sr, err := uc.Cancel(ctx, fx.Partner, fx.Admin, id, "  "+strings.Repeat("é", 1000)+"  ", fx.At)
	if err != nil || sr.Reason != strings.Repeat("é", 1000) {
		t.Fatalf("1000 characters: %q %v", sr.Reason, err)
	}
}

func TestCancelMailsTheAdminsAndWritesItsEvent(t *testing.T) {
	uc, s, fx := setup(t)
	id, _ := fx.Buy(t, "silver-2026")
	sr, err := uc.Cancel(ctx, fx.Partner, fx.User, id, "not needed", fx.At)
	if err != nil {
		t.Fatal(err)
	}
	es, _, _ := s.Audit(ctx, fx.Partner, "", 10, "")
	if len(es) != 1 || es[0].Action != audit.PurchaseCancelled || es[0].Actor != fx.User || es[0].Detail["purchaseId"] != id ||
		es[0].Detail["serviceRequestId"] != sr.ID || es[0].Detail["refund"] != sr.Refund.String() {
		t.Fatalf("events: %+v", es)
	}
	m := mailOf(t, s, fx, "purchase-cancelled")
	if m.AdminsOf != fx.Partner || len(m.To) != 0 || m.Language != "en" || m.Data["partnerName"] != "Partner "+fx.Partner ||
		m.Data["serviceRequestId"] != sr.ID || m.Data["reason"] != "not needed" || m.Data["cancelledBy"] != fx.User ||
		m.Data["cancelledAt"] != "2026-11-24 09:00 UTC" || m.Data["packageName"] == "" {
		t.Fatalf("mail: %+v", m)
	}
}

func TestAnotherPartnersPurchaseIsNotFound(t *testing.T) {
	uc, _, fx := setup(t)
	_, err := uc.Cancel(ctx, fx.Partner, fx.Admin, fx.OtherPurchase, "", fx.At)
	storetest.WantCode(t, err, "not_found")
}

func TestRefundIsResolvedOnceCompletedOrRejected(t *testing.T) {
	uc, s, fx := setup(t)
	var srs []cancel.ServiceRequest
	for range 2 {
		id, _ := fx.Buy(t, "silver-2026")
		sr, err := uc.Cancel(ctx, fx.Partner, fx.Admin, id, "", fx.At)
		if err != nil {
			t.Fatal(err)
		}
		srs = append(srs, sr)
	}
	_, err := uc.Resolve(ctx, fx.Operator, srs[0].ID, "pending", "", fx.At)
	storetest.WantCode(t, err, "validation_failed")
	_, err = uc.Resolve(ctx, fx.Operator, srs[0].ID, "completed", strings.Repeat("n", 1001), fx.At)
	storetest.WantCode(t, err, "validation_failed")
	_, err = uc.Resolve(ctx, fx.Operator, "sr_unknown", "completed", "", fx.At)
	storetest.WantCode(t, err, "not_found")

	done, err := uc.Resolve(ctx, fx.Operator, srs[0].ID, "completed", " paid ", fx.At.Add(time.Hour))
	if err != nil || done.Status != cancel.Completed || done.Note != "paid" || done.ResolvedBy != fx.Operator {
		t.Fatalf("completed: %+v %v", done, err)
	}
	if m := mailOf(t, s, fx, "refund-resolved"); m.AdminsOf != fx.Partner || m.Data["outcome"] != "completed" || m.Data["note"] != "paid" {
		t.Fatalf("mail: %+v", m)
	}
	rejected, err := uc.Resolve(ctx, fx.Operator, srs[1].ID, "rejected", "", fx.At.Add(time.Hour))
	if err != nil || rejected.Status != cancel.Rejected {
		t.Fatalf("rejected: %+v %v", rejected, err)
	}
	for _, sr := range srs {
		for _, outcome := range []string{"completed", "rejected"} {
			_, err := uc.Resolve(ctx, fx.Operator, sr.ID, outcome, "", fx.At)
			storetest.WantCode(t, err, "service_request_resolved")
		}
	}
	es, _, _ := s.Audit(ctx, fx.Partner, "", 10, "")
	if len(es) != 4 || es[0].Action != audit.RefundRejected || es[1].Action != audit.RefundCompleted || es[1].Actor != "operator:"+fx.Operator ||
		es[1].Detail["serviceRequestId"] != srs[0].ID {
		t.Fatalf("events: %+v", es)
	}
}

func TestOperatorListsServiceRequestsByStatus(t *testing.T) {
	uc, _, fx := setup(t)
	id, _ := fx.Buy(t, "silver-2026")
	sr, err := uc.Cancel(ctx, fx.Partner, fx.Admin, id, "", fx.At)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := uc.List(ctx, "pending", 10, ""); err != nil || len(got) != 1 || got[0].ID != sr.ID {
		t.Fatalf("pending: %+v %v", got, err)
	}
	if got, _, err := uc.List(ctx, "completed", 10, ""); err != nil || len(got) != 0 {
		t.Fatalf("completed: %+v %v", got, err)
	}
	_, _, err = uc.List(ctx, "cancelled", 10, "")
	storetest.WantCode(t, err, "validation_failed")
}

// mailOf is the one message with template queued.
func mailOf(t *testing.T, s *storetest.Fake, fx storetest.CancelFixture, template string) mail.Message {
	t.Helper()
	ms := s.Outbox(fx.Partner)
	var out []mail.Message
	for _, m := range ms {
		if m.Template == template {
			out = append(out, m)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d %s messages", len(out), template)
	}
	return out[0]
}
