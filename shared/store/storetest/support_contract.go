package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/support"
)

// SupportContract is what every support.Store must do: read a partner's
// holdings as bought (for a decision, the active purchase of the highest
// plan; the support and advisory lines that can still be drawn on, so not
// a revoked one) and keep partners apart, write an activation once
// (every racing caller gets the winner's ids), write each incident with its
// line's count and event, write nothing when the decision refuses, and
// fence every incident by the line as read (live status, incidents left),
// reading and deciding again after a lost race and answering
// benefit.ErrBusy after benefit.DrawAttempts lost rounds. newStore returns
// an empty store per case.
func SupportContract(t *testing.T, newStore func(t *testing.T) SupportStore) {
	run := caseRunner(t, newStore, SeedSupport)
	ctx := store.NoWait(context.Background()) // lost rounds run again at once

	run("ReadsHoldingsAsBought", func(t *testing.T, s SupportStore, fx SupportFixture) {
		h := mustHoldings(t, s, fx.Partner)
		if len(h.Purchases) != 0 || h.Activation != nil {
			t.Fatalf("summary holdings: purchases %+v, activation %+v", h.Purchases, h.Activation)
		}
		// A decision reads the best plan: silver, not the later action pack.
		d := decisionHoldings(t, s, fx.Partner)
		if len(d.Purchases) != 1 || d.Purchases[0].Plan != catalog.Silver || d.Purchases[0].PartnerID != fx.Partner ||
			d.Purchases[0].Status != benefit.PurchaseActive || !slices.Equal(lineIDs(d.Lines), lineIDs(h.Lines)) || d.Activation != nil {
			t.Fatalf("decision holdings: %+v", d)
		}
		if p := decisionHoldings(t, s, fx.Other).Purchases; len(p) != 1 || p[0].Plan != catalog.ActionPack {
			t.Fatalf("the other partner's best purchase: %+v", p)
		}
		if b := lineOf(t, h.Lines, fx.SilverSupport); b.Quantity != 10 || b.Used != 0 || b.Kind != catalog.Support ||
			!b.ExpiresAt.Equal(fx.SilverExpires) || b.Status != benefit.Available {
			t.Fatalf("silver support line: %+v", b)
		}
		if b := lineOf(t, h.Lines, fx.PackHours); b.Quantity != 5 || b.Kind != catalog.AdvisoryHours {
			t.Fatalf("pack hours line: %+v", b)
		}
		if e := decisionHoldings(t, s, fx.Empty); len(e.Purchases) != 0 || len(e.Lines) != 0 || e.Activation != nil {
			t.Fatalf("empty partner: %+v", e)
		}
	})

	run("PartnersAreApart", func(t *testing.T, s SupportStore, fx SupportFixture) {
		for _, b := range mustHoldings(t, s, fx.Partner).Lines {
			if b.PartnerID != fx.Partner || b.ID == fx.OtherSupport || b.ID == fx.OtherHours {
				t.Fatalf("partner %s reads %+v", fx.Partner, b)
			}
		}
		if _, _, err := Desk(s).Activate(ctx, fx.Other, fx.OtherAdmin, fx.At); err != nil {
			t.Fatal(err)
		}
		openIncidents(t, s, fx.Other, fx.OtherAdmin, 2, fx)
		h := mustHoldings(t, s, fx.Partner)
		if h.Activation != nil || lineOf(t, h.Lines, fx.SilverSupport).Used != 0 || lineOf(t, h.Lines, fx.PackSupport).Used != 0 {
			t.Fatalf("another partner's changes show: %+v", h)
		}
		if lineOf(t, mustHoldings(t, s, fx.Other).Lines, fx.OtherSupport).Used != 2 {
			t.Fatal("the other partner's incidents are not counted")
		}
		wantEvents(t, s, fx.Partner, "")
	})

	run("IncidentsPageNewestFirst", func(t *testing.T, s SupportStore, fx SupportFixture) {
		for _, p := range []struct{ partner, admin string }{{fx.Partner, fx.Admin}, {fx.Other, fx.OtherAdmin}} {
			if _, _, err := Desk(s).Activate(ctx, p.partner, p.admin, fx.At); err != nil {
				t.Fatal(err)
			}
		}
		openIncidents(t, s, fx.Partner, fx.Admin, 5, fx)
		openIncidents(t, s, fx.Other, fx.OtherAdmin, 1, fx)
		var got []support.Incident
		cursor, pages := "", 0
		for {
			page, next, err := Desk(s).Incidents(ctx, fx.Partner, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			got, pages = append(got, page...), pages+1
			if next == "" {
				break
			}
			cursor = next
		}
		if len(got) != 5 || pages != 3 {
			t.Fatalf("%d incidents in %d pages, want 5 in 3", len(got), pages)
		}
		for i, in := range got {
			if in.PartnerID != fx.Partner || in.OpenedBy != fx.Admin || in.Product != "Tenant" || in.BenefitID == "" || !in.OpenedAt.Equal(fx.At) {
				t.Fatalf("incident %d: %+v", i, in)
			}
			if i > 0 && in.ID >= got[i-1].ID {
				t.Fatalf("not newest first: %s after %s", in.ID, got[i-1].ID)
			}
		}
		if none, next, err := Desk(s).Incidents(ctx, fx.Empty, 10, ""); err != nil || len(none) != 0 || next != "" {
			t.Fatalf("a partner with no incidents: %v %q %v", none, next, err)
		}
	})

	run("ActivatesOnceWithItsEvent", func(t *testing.T, s SupportStore, fx SupportFixture) {
		first, created, err := Desk(s).Activate(ctx, fx.Partner, fx.Admin, fx.At)
		if err != nil || !created || first.Activation == nil {
			t.Fatalf("first activation: created=%v %+v %v", created, first, err)
		}
		again, created, err := Desk(s).Activate(ctx, fx.Partner, fx.Admin, fx.At.Add(1))
		if err != nil || created || *again.Activation != *first.Activation {
			t.Fatalf("again: created=%v %+v %v", created, again.Activation, err)
		}
		if a := mustHoldings(t, s, fx.Partner).Activation; a == nil || *a != *first.Activation || a.ActivatedBy != fx.Admin || !a.ActivatedAt.Equal(fx.At) {
			t.Fatalf("stored: %+v", a)
		}
		es := wantEvents(t, s, fx.Partner, "", audit.SupportActivated)
		if e := es[0]; e.Actor != fx.Admin || e.BenefitID != "" || !e.At.Equal(fx.At) {
			t.Fatalf("event: %+v", e)
		}
	})

	run("ConcurrentActivationsAgreeOnOneContract", func(t *testing.T, s SupportStore, fx SupportFixture) {
		var created atomic.Int32
		got := make([]support.Activation, 8)
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() {
				sum, c, err := Desk(s).Activate(ctx, fx.Partner, fx.Admin, fx.At)
				if err != nil {
					t.Error(err)
					return
				}
				if c {
					created.Add(1)
				}
				got[i] = *sum.Activation
			})
		}
		wg.Wait()
		for _, a := range got {
			if a != got[0] {
				t.Fatalf("different contracts: %+v and %+v", a, got[0])
			}
		}
		if created.Load() != 1 {
			t.Fatalf("%d created, want 1", created.Load())
		}
		wantEvents(t, s, fx.Partner, "", audit.SupportActivated)
	})

	run("LostActivationIsDecidedAgain", func(t *testing.T, s SupportStore, fx SupportFixture) {
		// The decision reads no contract; another activation commits before
		// its write, which loses: the second round sees the winner's.
		var once sync.Once
		var winner support.Summary
		var seen []*support.Activation
		err := s.UpdateSupport(ctx, fx.Partner, func(h support.Holdings) (support.Change, error) {
			once.Do(func() {
				var err error
				if winner, _, err = Desk(s).Activate(ctx, fx.Partner, fx.Admin, fx.At); err != nil {
					t.Error(err)
				}
			})
			seen = append(seen, h.Activation)
			if h.Activation != nil {
				return support.Change{}, nil
			}
			return support.Change{Op: support.OpActivate, Activation: support.Activate("usr_late", fx.At),
				Event: audit.New(ids.New, fx.Partner, "usr_late", audit.SupportActivated, "", fx.At)}, nil
		})
		if err != nil || len(seen) != 2 || seen[0] != nil || seen[1] == nil || *seen[1] != *winner.Activation {
			t.Fatalf("rounds saw %v (winner %+v), %v", seen, winner.Activation, err)
		}
		if a := mustHoldings(t, s, fx.Partner).Activation; *a != *winner.Activation {
			t.Fatalf("stored %+v, want the winner's %+v", a, winner.Activation)
		}
		wantEvents(t, s, fx.Partner, "", audit.SupportActivated)
	})

	run("IncidentCountsAgainstItsLineWithItsEvent", func(t *testing.T, s SupportStore, fx SupportFixture) {
		in, err := Desk(s).OpenIncident(ctx, fx.Partner, fx.Admin, support.Incident{Category: support.Cloud, Product: "Portal"}, fx.Catalog, fx.At)
		if err != nil {
			t.Fatal(err)
		}
		if in.BenefitID != fx.SilverSupport || in.ID == "" || in.OpenedBy != fx.Admin || !in.OpenedAt.Equal(fx.At) {
			t.Fatalf("incident: %+v", in)
		}
		h := mustHoldings(t, s, fx.Partner)
		if lineOf(t, h.Lines, fx.SilverSupport).Used != 1 || lineOf(t, h.Lines, fx.PackSupport).Used != 0 {
			t.Fatal("not counted on the silver line only")
		}
		es := wantEvents(t, s, fx.Partner, "", audit.IncidentOpened)
		if e := es[0]; e.BenefitID != fx.SilverSupport || e.Detail["incidentId"] != in.ID || e.Detail["category"] != "cloud" || e.Detail["product"] != "Portal" {
			t.Fatalf("event: %+v", e)
		}
	})

	run("RefusedDecisionWritesNothing", func(t *testing.T, s SupportStore, fx SupportFixture) {
		var calls int
		err := s.UpdateSupport(ctx, fx.Partner, func(support.Holdings) (support.Change, error) {
			calls++
			return support.Change{}, support.ErrNoIncidentsLeft
		})
		if !errors.Is(err, support.ErrNoIncidentsLeft) || calls != 1 {
			t.Fatalf("err %v after %d decisions, want no_incidents_left after 1", err, calls)
		}
		_, _, err = Desk(s).Activate(ctx, fx.Empty, fx.EmptyAdmin, fx.At)
		if !errors.Is(err, support.ErrNoEligiblePlan) || mustHoldings(t, s, fx.Empty).Activation != nil {
			t.Fatalf("activation without a plan: %v", err)
		}
		wantEvents(t, s, fx.Partner, "")
		wantEvents(t, s, fx.Empty, "")
	})

	run("ConcurrentIncidentsNeverExceedTheCount", func(t *testing.T, s SupportStore, fx SupportFixture) {
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 8 { // 5 incidents
			wg.Go(func() {
				_, err := Desk(s).OpenIncident(ctx, fx.Other, fx.OtherAdmin, support.Incident{Category: support.AzureCSP, Product: "Tenant"}, fx.Catalog, fx.At)
				switch {
				case err == nil:
					ok.Add(1)
				case !errors.Is(err, support.ErrNoIncidentsLeft) && !errors.Is(err, benefit.ErrBusy):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		b := lineOf(t, mustHoldings(t, s, fx.Other).Lines, fx.OtherSupport)
		if int(ok.Load()) != b.Used || b.Used > b.Quantity || b.Used == 0 {
			t.Fatalf("%d opened, line used %d of %d", ok.Load(), b.Used, b.Quantity)
		}
		if es, _, _ := s.Audit(ctx, fx.Other, "", 100, ""); len(es) != b.Used {
			t.Fatalf("%d events for %d incidents", len(es), b.Used)
		}
	})

	run("RevokedLineIsRefused", func(t *testing.T, s SupportStore, fx SupportFixture) {
		// The decision reads the line live; a cancel revokes it before the write.
		err := s.UpdateSupport(ctx, fx.Other, racingIncident(fx, func() {
			if err := s.RevokeLine(ctx, fx.Other, fx.OtherSupport, fx.At); err != nil {
				t.Error(err)
			}
		}))
		if !errors.Is(err, support.ErrNoIncidentsLeft) {
			t.Fatalf("err %v, want no_incidents_left", err)
		}
		if slices.Contains(lineIDs(mustHoldings(t, s, fx.Other).Lines), fx.OtherSupport) {
			t.Fatal("the revoked line is still read as one to draw from")
		}
		wantEvents(t, s, fx.Other, "")
	})

	run("UsedUpLineIsRefused", func(t *testing.T, s SupportStore, fx SupportFixture) {
		// The decision reads 5 incidents left; other requests take them all before the write.
		err := s.UpdateSupport(ctx, fx.Other, racingIncident(fx, func() { openIncidents(t, s, fx.Other, fx.OtherAdmin, 5, fx) }))
		if !errors.Is(err, support.ErrNoIncidentsLeft) {
			t.Fatalf("err %v, want no_incidents_left", err)
		}
		if b := lineOf(t, mustHoldings(t, s, fx.Other).Lines, fx.OtherSupport); b.Used != 5 {
			t.Fatalf("used %d, want 5", b.Used)
		}
	})

	run("BusyAfterAttemptsLostRounds", func(t *testing.T, s SupportStore, fx SupportFixture) {
		// Every round decides on the line as it was before a cancel revoked
		// it, so every write loses.
		stale := decisionHoldings(t, s, fx.Other)
		if err := s.RevokeLine(ctx, fx.Other, fx.OtherSupport, fx.At); err != nil {
			t.Fatal(err)
		}
		var calls int
		decide := incidentDecision(fx)
		err := s.UpdateSupport(ctx, fx.Other, func(support.Holdings) (support.Change, error) {
			calls++
			return decide(stale)
		})
		if !errors.Is(err, benefit.ErrBusy) || calls != benefit.DrawAttempts {
			t.Fatalf("err %v after %d decisions, want benefit_busy after %d", err, calls, benefit.DrawAttempts)
		}
		wantEvents(t, s, fx.Other, "") // nothing written (the revoked line is not read any more)
	})
}

// incidentDecision is the use case's decision for an azure-csp incident by
// fx's admin of the deciding partner at fx.At.
func incidentDecision(fx SupportFixture) support.Decide {
	return func(h support.Holdings) (support.Change, error) {
		in := support.Incident{ID: "inc_race", Category: support.AzureCSP, Product: "Tenant", OpenedAt: fx.At}
		line, err := support.CheckIncident(in, h.Purchases, h.Lines, h.Activation != nil, fx.Catalog, fx.At)
		if err != nil {
			return support.Change{}, err
		}
		ev := audit.New(ids.New, line.PartnerID, "usr_race", audit.IncidentOpened, line.ID, fx.At)
		in.BenefitID = line.ID
		return support.Change{Op: support.OpOpenIncident, Incident: in, Line: line, Event: ev}, nil
	}
}

// racingIncident is an incident decision that lets race run once, between
// its first read and its write.
func racingIncident(fx SupportFixture, race func()) support.Decide {
	var once sync.Once
	decide := incidentDecision(fx)
	return func(h support.Holdings) (support.Change, error) {
		once.Do(race)
		return decide(h)
	}
}

func openIncidents(t *testing.T, s support.Store, partnerID, actorID string, n int, fx SupportFixture) {
	t.Helper()
	for range n {
		if _, err := Desk(s).OpenIncident(context.Background(), partnerID, actorID,
			support.Incident{Category: support.AzureCSP, Product: "Tenant"}, fx.Catalog, fx.At); err != nil {
			t.Fatalf("open an incident for %s: %v", partnerID, err)
		}
	}
}

func mustHoldings(t *testing.T, s support.Store, partnerID string) support.Holdings {
	t.Helper()
	h, err := s.SupportHoldings(context.Background(), partnerID)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// decisionHoldings is what UpdateSupport's decision reads: a round that
// decides to write nothing.
func decisionHoldings(t *testing.T, s support.Store, partnerID string) support.Holdings {
	t.Helper()
	var h support.Holdings
	if err := s.UpdateSupport(context.Background(), partnerID, func(read support.Holdings) (support.Change, error) {
		h = read
		return support.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	return h
}

func lineIDs(lines []benefit.Benefit) []string {
	var ids []string
	for _, b := range lines {
		ids = append(ids, b.ID)
	}
	return ids
}

func lineOf(t *testing.T, lines []benefit.Benefit, id string) benefit.Benefit {
	t.Helper()
	i := slices.IndexFunc(lines, func(b benefit.Benefit) bool { return b.ID == id })
	if i < 0 {
		t.Fatalf("no line %s", id)
	}
	return lines[i]
}
