package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store"
)

// CancelContract is what every cancel.Store must do: hand the decision the
// purchase with its lines and credits, keep partners apart, commit a
// cancellation with its service request, mail and event and revoke every
// line and credit, write nothing when the decision refuses, fence each
// line whose use refuses the refund by its state as read (a line used
// between the read and the commit is that refusal, with nothing written),
// read and decide again after a lost round (a racing cancel is
// already_cancelled) and answer cancel.ErrBusy after cancel.Attempts lost
// rounds; finish a cancellation by freeing its credit seats; resolve a
// service request once. newStore returns an empty store per case.
func CancelContract(t *testing.T, newStore func(t *testing.T) CancelStore) {
	run := caseRunner(t, newStore, SeedCancellations)
	ctx := store.NoWait(context.Background()) // lost rounds run again at once
	commit := func(fx CancelFixture) cancel.Decision {
		return func(p cancel.Purchase) (cancel.Change, error) { return cancelChange(fx, p, fx.At) }
	}

	run("DecisionGetsThePurchaseWithItsLinesAndCredits", func(t *testing.T, s CancelStore, fx CancelFixture) {
		id, lines := fx.Buy(t, "action-pack-2026")
		p := readPurchase(t, s, fx.Partner, id)
		if p.ID != id || p.PartnerID != fx.Partner || p.Status != benefit.PurchaseActive || !p.PurchasedAt.Equal(fx.At) ||
			p.Price.Amount <= 0 || p.PackageName == "" || len(p.Lines) != 9 {
			t.Fatalf("purchase as read: %+v", p)
		}
		for _, b := range p.Lines {
			if b.PurchaseID != id || b.Status != benefit.Available {
				t.Fatalf("line %+v", b)
			}
		}
		if c, ok := p.Credits[lines[catalog.CreditMonthly]]; !ok || c.Kind != catalog.CreditMonthly || c.Revoked || len(c.Grants) != 0 {
			t.Fatalf("credit as read: %+v (%v)", c, ok)
		}
	})

	run("NotFoundOutsideThePartnersPurchases", func(t *testing.T, s CancelStore, fx CancelFixture) {
		id, _ := fx.Buy(t, "silver-2026")
		for _, k := range [][2]string{{fx.Partner, fx.OtherPurchase}, {fx.Other, id}, {fx.Partner, "pur_unknown"}} {
			err := s.UpdateCancellation(ctx, k[0], k[1], func(cancel.Purchase) (cancel.Change, error) {
				t.Errorf("UpdateCancellation(%s, %s) decided", k[0], k[1])
				return cancel.Change{}, nil
			})
			if !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("UpdateCancellation(%s, %s): %v, want not found", k[0], k[1], err)
			}
		}
		if _, err := s.ServiceRequest(ctx, "sr_unknown"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("unknown service request: %v", err)
		}
	})

	run("CommitCancelsRevokesAndWritesRequestMailAndEvent", func(t *testing.T, s CancelStore, fx CancelFixture) {
		id, lines := fx.Buy(t, "silver-2026")
		var ch cancel.Change
		if err := s.UpdateCancellation(ctx, fx.Partner, id, func(p cancel.Purchase) (c cancel.Change, err error) {
			ch, err = cancelChange(fx, p, fx.At)
			return ch, err
		}); err != nil {
			t.Fatal(err)
		}
		p := readPurchase(t, s, fx.Partner, id)
		if p.Status != benefit.PurchaseCancelled {
			t.Fatalf("purchase after the commit: %+v", p.Purchase)
		}
		for _, b := range p.Lines {
			if b.Status != benefit.Revoked {
				t.Fatalf("line after the commit: %s %s", b.Kind, b.Status)
			}
		}
		if c := mustCredit(t, s, fx.Partner, lines[catalog.CreditAnnual]); !c.Revoked {
			t.Fatalf("credit after the commit: %+v", c)
		}
		sr, err := s.ServiceRequest(ctx, ch.Request.ID)
		if err != nil || sr.PurchaseID != id || sr.PartnerID != fx.Partner || sr.Status != cancel.Pending || sr.Refund != p.Price ||
			sr.RequestedBy != fx.Admin || !sr.RequestedAt.Equal(fx.At) || sr.Reason != "contract" {
			t.Fatalf("service request: %+v %v", sr, err)
		}
		if srs, _, err := s.ServiceRequests(ctx, "pending", 10, ""); err != nil || len(srs) != 1 || srs[0].ID != sr.ID {
			t.Fatalf("pending list: %+v %v", srs, err)
		}
		if m, err := s.OutboxMail(ctx, ch.Mail.ID); err != nil || m.Template != "purchase-cancelled" || m.AdminsOf != fx.Partner {
			t.Fatalf("mail: %+v %v", m, err)
		}
		es := wantEvents(t, s, fx.Partner, "", audit.PurchaseCancelled)
		if es[0].ID != ch.Event.ID || es[0].Detail["purchaseId"] != id {
			t.Fatalf("event: %+v", es[0])
		}
	})

	run("RefusedDecisionWritesNothing", func(t *testing.T, s CancelStore, fx CancelFixture) {
		id, _ := fx.Buy(t, "silver-2026")
		calls := 0
		err := s.UpdateCancellation(ctx, fx.Partner, id, func(cancel.Purchase) (cancel.Change, error) {
			calls++
			return cancel.Change{}, cancel.ErrWindowClosed
		})
		if !errors.Is(err, cancel.ErrWindowClosed) || calls != 1 {
			t.Fatalf("err %v after %d decisions", err, calls)
		}
		if p := readPurchase(t, s, fx.Partner, id); p.Status != benefit.PurchaseActive || p.Lines[0].Status != benefit.Available {
			t.Fatalf("written: %+v", p.Purchase)
		}
		wantEvents(t, s, fx.Partner, "")
	})

	// Each line whose use refuses the refund, used between the read and
	// the commit: the commit's fence loses, and the answer is the refusal
	// naming the line, with nothing written.
	for _, tc := range []struct {
		kind catalog.Kind
		code string
		use  func(t *testing.T, s CancelStore, fx CancelFixture, lineID string)
	}{
		{catalog.Software, "software_benefit_activated", func(t *testing.T, s CancelStore, fx CancelFixture, id string) {
			mustMark(t, s, fx.Partner, id, benefit.Activated, 0, "KEY-SW")
		}},
		{catalog.License, "software_benefit_activated", func(t *testing.T, s CancelStore, fx CancelFixture, id string) {
			mustMark(t, s, fx.Partner, id, benefit.Available, 0, "KEY-LIC")
		}},
		{catalog.Support, "benefit_consumed", func(t *testing.T, s CancelStore, fx CancelFixture, id string) {
			mustMark(t, s, fx.Partner, id, benefit.Available, 1, "")
		}},
		{catalog.AdvisoryHours, "benefit_consumed", func(t *testing.T, s CancelStore, fx CancelFixture, id string) {
			mustMark(t, s, fx.Partner, id, benefit.Available, 1, "")
		}},
		{catalog.GTMOffer, "benefit_consumed", func(t *testing.T, s CancelStore, fx CancelFixture, id string) {
			mustMark(t, s, fx.Partner, id, benefit.Active, 0, "")
		}},
		{catalog.CreditAnnual, "benefit_consumed", func(t *testing.T, s CancelStore, fx CancelFixture, id string) {
			// An annual credit is granted at assignment.
			if _, _, err := Seats(s).Assign(ctx, fx.Partner, fx.Admin, id, fx.User, fx.At); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		run("LineUsedAfterTheReadRefuses/"+string(tc.kind), func(t *testing.T, s CancelStore, fx CancelFixture) {
			id, lines := fx.Buy(t, "silver-2026")
			var once sync.Once
			err := s.UpdateCancellation(ctx, fx.Partner, id, func(p cancel.Purchase) (cancel.Change, error) {
				once.Do(func() { tc.use(t, s, fx, lines[tc.kind]) })
				return cancelChange(fx, p, fx.At)
			})
			if e, ok := apperr.As(err); !ok || e.Code != tc.code || e.Extra["benefitId"] != lines[tc.kind] {
				t.Fatalf("err %v, want %s naming %s", err, tc.code, lines[tc.kind])
			}
			p := readPurchase(t, s, fx.Partner, id)
			for _, b := range p.Lines {
				if b.Status == benefit.Revoked {
					t.Fatalf("revoked: %+v", b)
				}
			}
			if p.Status != benefit.PurchaseActive {
				t.Fatalf("cancelled: %+v", p.Purchase)
			}
			if srs, _, _ := s.ServiceRequests(ctx, "", 10, ""); len(srs) != 0 {
				t.Fatalf("service requests: %+v", srs)
			}
		})
	}

	run("SeatsAssignedAfterTheReadAreReleased", func(t *testing.T, s CancelStore, fx CancelFixture) {
		// A monthly credit assigned but not granted does not refuse the
		// refund: its fence holds, and the finish frees the seat.
		id, lines := fx.Buy(t, "action-pack-2026")
		monthly := lines[catalog.CreditMonthly]
		var once sync.Once
		if err := s.UpdateCancellation(ctx, fx.Partner, id, func(p cancel.Purchase) (cancel.Change, error) {
			once.Do(func() {
				if _, _, err := Seats(s).Assign(ctx, fx.Partner, fx.Admin, monthly, fx.User, fx.At); err != nil {
					t.Error(err)
				}
			})
			return cancelChange(fx, p, fx.At)
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishCancellation(ctx, fx.Partner, id, fx.At); err != nil {
			t.Fatal(err)
		}
		if c := mustCredit(t, s, fx.Partner, monthly); !c.Revoked || len(c.Holders) != 0 {
			t.Fatalf("credit after the finish: %+v", c)
		}
		if u := mustUser(t, s, fx.Partner, fx.User); len(u.Offers) != 0 || u.Annual != "" {
			t.Fatalf("holder's offers after the finish: %+v", u)
		}
		if err := s.FinishCancellation(ctx, fx.Partner, id, fx.At); err != nil { // idempotent
			t.Fatal(err)
		}
	})

	run("RacingCancelIsReadAndDecidedAgain", func(t *testing.T, s CancelStore, fx CancelFixture) {
		id, _ := fx.Buy(t, "silver-2026")
		var once sync.Once
		calls := 0
		err := s.UpdateCancellation(ctx, fx.Partner, id, func(p cancel.Purchase) (cancel.Change, error) {
			calls++
			once.Do(func() {
				if err := s.UpdateCancellation(ctx, fx.Partner, id, commit(fx)); err != nil {
					t.Error(err)
				}
			})
			return cancelChange(fx, p, fx.At)
		})
		if !errors.Is(err, cancel.ErrAlreadyCancelled) || calls != 2 {
			t.Fatalf("err %v after %d decisions, want already_cancelled after 2", err, calls)
		}
		if srs, _, _ := s.ServiceRequests(ctx, "", 10, ""); len(srs) != 1 {
			t.Fatalf("%d service requests", len(srs))
		}
		wantEvents(t, s, fx.Partner, "", audit.PurchaseCancelled)
	})

	run("BusyAfterAttemptsLostRounds", func(t *testing.T, s CancelStore, fx CancelFixture) {
		// Every round, the offer moves between available and pending (a
		// change that does not refuse the refund) after the read.
		id, lines := fx.Buy(t, "silver-2026")
		calls := 0
		err := s.UpdateCancellation(ctx, fx.Partner, id, func(p cancel.Purchase) (cancel.Change, error) {
			calls++
			next := benefit.Pending
			if calls%2 == 0 {
				next = benefit.Available
			}
			mustMark(t, s, fx.Partner, lines[catalog.GTMOffer], next, 0, "")
			return cancelChange(fx, p, fx.At)
		})
		if !errors.Is(err, cancel.ErrBusy) || calls != cancel.Attempts {
			t.Fatalf("err %v after %d decisions, want purchase_busy after %d", err, calls, cancel.Attempts)
		}
		if p := readPurchase(t, s, fx.Partner, id); p.Status != benefit.PurchaseActive {
			t.Fatalf("written: %+v", p.Purchase)
		}
	})

	run("ResolvesOnce", func(t *testing.T, s CancelStore, fx CancelFixture) {
		id, _ := fx.Buy(t, "silver-2026")
		if err := s.UpdateCancellation(ctx, fx.Partner, id, commit(fx)); err != nil {
			t.Fatal(err)
		}
		srs, _, err := s.ServiceRequests(ctx, "pending", 10, "")
		if err != nil || len(srs) != 1 {
			t.Fatalf("pending: %+v %v", srs, err)
		}
		stale := srs[0]
		sr, err := Requests(s).Resolve(ctx, fx.Operator, stale.ID, "completed", "paid", fx.At)
		if err != nil || sr.Status != cancel.Completed {
			t.Fatalf("resolve: %+v %v", sr, err)
		}
		got, err := s.ServiceRequest(ctx, stale.ID)
		if err != nil || got.Status != cancel.Completed || got.ResolvedBy != fx.Operator || !got.ResolvedAt.Equal(fx.At) || got.Note != "paid" {
			t.Fatalf("after resolve: %+v %v", got, err)
		}
		if srs, _, _ := s.ServiceRequests(ctx, "completed", 10, ""); len(srs) != 1 || srs[0].Status != cancel.Completed {
			t.Fatalf("completed list: %+v", srs)
		}
		if srs, _, _ := s.ServiceRequests(ctx, "pending", 10, ""); len(srs) != 0 {
			t.Fatalf("pending list: %+v", srs)
		}
		// A second outcome decided on the stale (pending) read.
		again, _ := cancel.Resolve(stale, "rejected", "", fx.Operator, fx.At)
		msg := mail.Message{ID: ids.New("msg"), AdminsOf: fx.Partner, Template: "refund-resolved", Language: "en", CreatedAt: fx.At}
		ev := audit.New(ids.New, fx.Partner, "operator:"+fx.Operator, audit.RefundRejected, "", fx.At)
		if err := s.ResolveServiceRequest(ctx, again, msg, ev); !errors.Is(err, cancel.ErrAlreadyResolved) {
			t.Fatalf("second resolve: %v", err)
		}
		wantEvents(t, s, fx.Partner, "", audit.RefundCompleted, audit.PurchaseCancelled)
	})

	run("ListsByStatusNewestFirst", func(t *testing.T, s CancelStore, fx CancelFixture) {
		var ids []string
		for i := range 3 {
			id, _ := fx.Buy(t, "silver-2026")
			at := fx.At.Add(time.Duration(i) * time.Hour)
			if err := s.UpdateCancellation(ctx, fx.Partner, id, func(p cancel.Purchase) (cancel.Change, error) {
				return cancelChange(fx, p, at)
			}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		srs, _, err := s.ServiceRequests(ctx, "", 10, "")
		if err != nil || len(srs) != 3 || srs[0].PurchaseID != ids[2] || srs[2].PurchaseID != ids[0] {
			t.Fatalf("list: %+v %v", srs, err)
		}
		if _, err := Requests(s).Resolve(ctx, fx.Operator, srs[2].ID, "rejected", "", fx.At); err != nil {
			t.Fatal(err)
		}
		if srs, _, _ := s.ServiceRequests(ctx, "pending", 10, ""); len(srs) != 2 || srs[0].PurchaseID != ids[2] {
			t.Fatalf("pending: %+v", srs)
		}
		if srs, _, _ := s.ServiceRequests(ctx, "rejected", 10, ""); len(srs) != 1 || srs[0].PurchaseID != ids[0] {
			t.Fatalf("rejected: %+v", srs)
		}
	})
}

// readPurchase reads a purchase as a cancellation's decision sees it,
// deciding nothing.
func readPurchase(t *testing.T, s cancel.Store, partnerID, purchaseID string) cancel.Purchase {
	t.Helper()
	var got cancel.Purchase
	errRead := errors.New("read only")
	if err := s.UpdateCancellation(context.Background(), partnerID, purchaseID, func(p cancel.Purchase) (cancel.Change, error) {
		got = p
		return cancel.Change{}, errRead
	}); !errors.Is(err, errRead) {
		t.Fatalf("read purchase %s: %v", purchaseID, err)
	}
	return got
}

func mustMark(t *testing.T, s CancelStore, partnerID, benefitID string, status benefit.Status, used int, key string) {
	t.Helper()
	if err := s.MarkLine(context.Background(), partnerID, benefitID, status, used, key); err != nil {
		t.Fatal(err)
	}
}
