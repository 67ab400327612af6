package storetest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
)

// AdvisoryContract is what every advisory.Store must do: write a request
// with the hours it takes off each line and its event, list requests newest
// first in pages and per partner, write nothing when the decision refuses,
// and fence every line drawn from as read (live status, hours left),
// reading and deciding again after a lost race and answering
// benefit.ErrBusy after benefit.DrawAttempts lost rounds. It runs on the
// support fixture.
func AdvisoryContract(t *testing.T, newStore func(t *testing.T) SupportStore) {
	run := caseRunner(t, newStore, SeedSupport)
	ctx := store.NoWait(context.Background()) // lost rounds run again at once

	run("RequestTakesItsHoursOffEachLineWithItsEvent", func(t *testing.T, s SupportStore, fx SupportFixture) {
		r, left, err := Hours(s).Request(ctx, fx.Partner, fx.Admin, "Landing zone", 22, fx.At)
		if err != nil || left != 3 {
			t.Fatalf("request: left %d, %v", left, err)
		}
		lines := mustAdvisoryLines(t, s, fx.Partner)
		if lineOf(t, lines, fx.SilverHours).Used != 20 || lineOf(t, lines, fx.PackHours).Used != 2 {
			t.Fatal("not 20 + 2 hours off the silver and pack lines")
		}
		rs, next, err := s.AdvisoryRequests(ctx, fx.Partner, 10, "")
		if err != nil || next != "" || len(rs) != 1 {
			t.Fatalf("list: %d, %q, %v", len(rs), next, err)
		}
		got := rs[0]
		if got.ID != r.ID || got.Topic != "Landing zone" || got.Hours != 22 || got.RequestedBy != fx.Admin || !got.RequestedAt.Equal(fx.At) ||
			!slices.Equal(takes(got), takesOf(fx.SilverHours+":20", fx.PackHours+":2")) {
			t.Fatalf("listed: %+v", got)
		}
		es := wantEvents(t, s, fx.Partner, "", audit.AdvisoryRequested)
		if e := es[0]; e.BenefitID != fx.SilverHours || e.Detail["requestId"] != r.ID || e.Detail["hours"] != "22" || e.Actor != fx.Admin {
			t.Fatalf("event: %+v", e)
		}
	})

	run("ListsNewestFirstInPagesPerPartner", func(t *testing.T, s SupportStore, fx SupportFixture) {
		var want []string
		for _, topic := range []string{"one", "two", "three"} {
			r, _, err := Hours(s).Request(ctx, fx.Partner, fx.Admin, topic, 1, fx.At)
			if err != nil {
				t.Fatal(err)
			}
			want = append([]string{r.ID}, want...)
		}
		if _, _, err := Hours(s).Request(ctx, fx.Other, fx.OtherAdmin, "elsewhere", 1, fx.At); err != nil {
			t.Fatal(err)
		}
		first, next, err := s.AdvisoryRequests(ctx, fx.Partner, 2, "")
		if err != nil || next == "" {
			t.Fatalf("first page: next %q, %v", next, err)
		}
		second, last, err := s.AdvisoryRequests(ctx, fx.Partner, 2, next)
		if err != nil || last != "" {
			t.Fatalf("second page: next %q, %v", last, err)
		}
		var got []string
		for _, r := range append(first, second...) {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
		if rs, _, _ := s.AdvisoryRequests(ctx, fx.Empty, 10, ""); len(rs) != 0 {
			t.Fatalf("empty partner lists %d", len(rs))
		}
	})

	run("RefusedDecisionWritesNothing", func(t *testing.T, s SupportStore, fx SupportFixture) {
		var calls int
		err := s.UpdateAdvisory(ctx, fx.Partner, func(advisory.Holdings) (advisory.Change, error) {
			calls++
			return advisory.Change{}, advisory.ErrInsufficientHours
		})
		if !errors.Is(err, advisory.ErrInsufficientHours) || calls != 1 {
			t.Fatalf("err %v after %d decisions, want insufficient_hours after 1", err, calls)
		}
		if rs, _, _ := s.AdvisoryRequests(ctx, fx.Partner, 10, ""); len(rs) != 0 {
			t.Fatalf("%d requests written", len(rs))
		}
		wantEvents(t, s, fx.Partner, "")
	})

	run("ConcurrentRequestsNeverOverdraw", func(t *testing.T, s SupportStore, fx SupportFixture) {
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 6 { // 2 hours each, 5 hours
			wg.Go(func() {
				_, _, err := Hours(s).Request(ctx, fx.Other, fx.OtherAdmin, "Race", 2, fx.At)
				switch {
				case err == nil:
					ok.Add(1)
				case !errors.Is(err, advisory.ErrInsufficientHours) && !errors.Is(err, benefit.ErrBusy):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		b := lineOf(t, mustAdvisoryLines(t, s, fx.Other), fx.OtherHours)
		if b.Used != 2*int(ok.Load()) || b.Used > b.Quantity || ok.Load() == 0 {
			t.Fatalf("%d requests, line used %d of %d", ok.Load(), b.Used, b.Quantity)
		}
		if rs, _, _ := s.AdvisoryRequests(ctx, fx.Other, 10, ""); len(rs) != int(ok.Load()) {
			t.Fatalf("%d requests listed for %d", len(rs), ok.Load())
		}
	})

	run("RevokedLineIsRefused", func(t *testing.T, s SupportStore, fx SupportFixture) {
		// The decision takes 6 hours off the silver line; a cancel revokes
		// it before the write, and the pack's 5 hours are not enough.
		err := s.UpdateAdvisory(ctx, fx.Partner, racingRequest(fx, 6, func() {
			if err := s.RevokeLine(ctx, fx.Partner, fx.SilverHours, fx.At); err != nil {
				t.Error(err)
			}
		}))
		ae, _ := apperr.As(err)
		if !errors.Is(err, advisory.ErrInsufficientHours) || ae.Extra["hoursAvailable"] != 5 {
			t.Fatalf("err %v, want insufficient_hours with 5 available", err)
		}
		if slices.Contains(lineIDs(mustAdvisoryLines(t, s, fx.Partner)), fx.SilverHours) {
			t.Fatal("the revoked line is still read as one to draw from")
		}
		wantEvents(t, s, fx.Partner, "")
	})

	run("UsedUpLineIsRefused", func(t *testing.T, s SupportStore, fx SupportFixture) {
		err := s.UpdateAdvisory(ctx, fx.Other, racingRequest(fx, 3, func() {
			if _, _, err := Hours(s).Request(ctx, fx.Other, fx.OtherAdmin, "First", 4, fx.At); err != nil {
				t.Error(err)
			}
		}))
		if !errors.Is(err, advisory.ErrInsufficientHours) {
			t.Fatalf("err %v, want insufficient_hours", err)
		}
		if b := lineOf(t, mustAdvisoryLines(t, s, fx.Other), fx.OtherHours); b.Used != 4 {
			t.Fatalf("used %d, want 4", b.Used)
		}
	})

	run("BusyAfterAttemptsLostRounds", func(t *testing.T, s SupportStore, fx SupportFixture) {
		// Every round decides on the hours as they were before another
		// request took 4 of the 5, so every write loses.
		var stale advisory.Holdings
		if err := s.UpdateAdvisory(ctx, fx.Other, func(h advisory.Holdings) (advisory.Change, error) {
			stale = h
			return advisory.Change{}, errDecided
		}); err != errDecided {
			t.Fatal(err)
		}
		if _, _, err := Hours(s).Request(ctx, fx.Other, fx.OtherAdmin, "First", 4, fx.At); err != nil {
			t.Fatal(err)
		}
		var calls int
		decide := requestDecision(fx, 2)
		err := s.UpdateAdvisory(ctx, fx.Other, func(advisory.Holdings) (advisory.Change, error) {
			calls++
			return decide(stale)
		})
		if !errors.Is(err, benefit.ErrBusy) || calls != benefit.DrawAttempts {
			t.Fatalf("err %v after %d decisions, want benefit_busy after %d", err, calls, benefit.DrawAttempts)
		}
		if b := lineOf(t, mustAdvisoryLines(t, s, fx.Other), fx.OtherHours); b.Used != 4 {
			t.Fatalf("used %d, want 4", b.Used)
		}
		if rs, _, _ := s.AdvisoryRequests(ctx, fx.Other, 100, ""); len(rs) != 1 {
			t.Fatalf("%d requests, want 1", len(rs))
		}
	})
}

// requestDecision is the use case's decision for hours by fx's admin at
// fx.At.
func requestDecision(fx SupportFixture, hours int) advisory.Decide {
	return func(h advisory.Holdings) (advisory.Change, error) {
		r := advisory.Request{ID: ids.New("adv"), Topic: "Race", Hours: hours, RequestedBy: "usr_race", RequestedAt: fx.At}
		takes, err := advisory.Check(r, h.Purchases, h.Lines, fx.At)
		if err != nil {
			return advisory.Change{}, err
		}
		r.Takes = takes
		ev := audit.New(ids.New, takes[0].Line.PartnerID, "usr_race", audit.AdvisoryRequested, takes[0].Line.ID, fx.At)
		return advisory.Change{Request: r, Event: ev}, nil
	}
}

// racingRequest is a request decision that lets race run once, between its
// first read and its write.
func racingRequest(fx SupportFixture, hours int, race func()) advisory.Decide {
	var once sync.Once
	decide := requestDecision(fx, hours)
	return func(h advisory.Holdings) (advisory.Change, error) {
		once.Do(race)
		return decide(h)
	}
}

// errDecided ends a round that only wanted to see what a decision reads.
var errDecided = errors.New("decided")

func mustAdvisoryHoldings(t *testing.T, s advisory.Store, partnerID string) advisory.Holdings {
	t.Helper()
	h, err := s.AdvisoryHoldings(context.Background(), partnerID)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustAdvisoryLines(t *testing.T, s advisory.Store, partnerID string) []benefit.Benefit {
	t.Helper()
	return mustAdvisoryHoldings(t, s, partnerID).Lines
}

// takes is a request's "line:hours", sorted (the real item keeps them in
// a map).
func takes(r advisory.Request) []string {
	var out []string
	for _, t := range r.Takes {
		out = append(out, t.Line.ID+":"+strconv.Itoa(t.Amount))
	}
	return takesOf(out...)
}

func takesOf(s ...string) []string {
	slices.Sort(s)
	return s
}
