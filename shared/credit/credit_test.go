package credit

import (
	"errors"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/money"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func monthly(seats int) Credit {
	c := Credit{BenefitID: "ben_1", Kind: catalog.CreditMonthly, Quantity: 2, PerSeat: money.Money{Amount: 10000, Currency: "USD"},
		Seats: seats, NextPeriod: Period{2026, 12}, ExpiresAt: now.AddDate(1, 0, 0)}
	for i := range seats {
		c.Holders = append(c.Holders, Holder{UserID: string(rune('a' + i))})
	}
	return c
}

func TestPeriod(t *testing.T) {
	p, err := ParsePeriod("2026-12")
	if err != nil || p.Next().String() != "2027-01" || p.Add(-12).String() != "2025-12" || !p.Before(p.Next()) {
		t.Fatalf("%v %v", p, err)
	}
	for _, bad := range []string{"2026-13", "26-12", "2026-1", ""} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestAssignRules(t *testing.T) {
	u := User{ID: "z"}
	cases := []struct {
		name  string
		c     Credit
		u     User
		found bool
		want  error
	}{
		{"user not in the directory", monthly(0), u, false, ErrUserNotFound},
		{"full", monthly(2), u, true, ErrNoSeatsLeft},
		{"holder of an annual credit", monthly(0), User{ID: "z", Annual: "ben_9", Offers: []string{"ben_9"}}, true, ErrNotCombinable},
		{"annual to a user with a monthly credit", Credit{Kind: catalog.CreditAnnual, Quantity: 1, ExpiresAt: now.Add(time.Hour)}, User{ID: "z", Offers: []string{"ben_2"}}, true, ErrNotCombinable},
		{"revoked", Credit{Kind: catalog.CreditMonthly, Quantity: 1, Revoked: true, ExpiresAt: now.Add(time.Hour)}, u, true, benefit.ErrRevoked},
		{"expired", Credit{Kind: catalog.CreditMonthly, Quantity: 1, ExpiresAt: now}, u, true, benefit.ErrExpired},
	}
	for _, tc := range cases {
		if _, err := tc.c.Assign(tc.u, tc.found, now); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// The first seat enters the due index at the next month to start: a
	// month whose 1st passed unassigned is not owed.
	stale := monthly(0)
	stale.NextPeriod = Period{2026, 6}
	a, err := stale.Assign(u, true, now)
	if err != nil || !a.FirstSeat || a.NextPeriod != (Period{2026, 12}) {
		t.Fatalf("first seat: %+v %v", a, err)
	}
	if a, _ := monthly(1).Assign(User{ID: "a"}, true, now); !a.Already {
		t.Error("a holder assigned again is Already")
	}
}

func TestPlanGrant(t *testing.T) {
	dec := Period{2026, 12}
	due := monthly(2)
	due.DueFor = dec
	s := PlanGrant(due, dec, now)
	if s.Action != ActionGrant || s.Grant.Amount != 20000 || s.Next != (Period{2027, 1}) {
		t.Fatalf("grant: %+v", s)
	}
	if s := PlanGrant(due, Period{2027, 1}, now); s.Action != ActionNone {
		t.Errorf("stale index entry: %+v", s)
	}
	granted := due
	granted.Grants = []Grant{{Period: dec}}
	if s := PlanGrant(granted, dec, now); s.Action != ActionAdvance {
		t.Errorf("already granted: %+v", s)
	}
	empty := monthly(0)
	empty.DueFor = dec
	if s := PlanGrant(empty, dec, now); s.Action != ActionRetire {
		t.Errorf("no seats: %+v", s)
	}
	last := due
	last.ExpiresAt = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) // January never starts live
	if s := PlanGrant(last, dec, now); s.Action != ActionGrant || !s.Next.IsZero() {
		t.Errorf("last month: %+v", s)
	}
	last.DueFor = Period{2027, 1}
	if s := PlanGrant(last, Period{2027, 1}, now); s.Action != ActionRetire {
		t.Errorf("a month starting after the expiry is not granted: %+v", s)
	}
}
