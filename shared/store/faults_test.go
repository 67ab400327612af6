package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/expiry"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/money"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// faultScale is FAULT_SCALE (default 1): the fault tests' size multiplier.
func faultScale() int {
	if v, err := strconv.Atoi(os.Getenv("FAULT_SCALE")); err == nil && v > 0 {
		return v
	}
	return 1
}

// TestGrantJobKilledMidRunGrantsExactlyOnce kills the monthly grant after a
// few transactions, resumes it under injected DynamoDB faults (some after
// the write went through) until a run completes, and checks that every
// credit got the month exactly once.
func TestGrantJobKilledMidRunGrantsExactlyOnce(t *testing.T) {
	start := time.Now()
	n := 60 * faultScale()
	db := testenv.DynamoDB(t)
	tbl := testenv.NewTable(t, db)
	s := store.New(db, tbl)
	ctx := context.Background()
	dec := credit.Period{Year: 2026, Month: time.December}
	cs := make([]credit.Credit, n)
	for i := range cs {
		cs[i] = credit.Credit{PartnerID: fmt.Sprintf("ptn_kill%03d", i/50), BenefitID: fmt.Sprintf("ben_kill%06d", i),
			Kind: catalog.CreditMonthly, Product: "cloud-credit-monthly", Quantity: 5, Seats: 2,
			PerSeat: money.Money{Amount: 10000, Currency: "USD"}, NextPeriod: dec, ExpiresAt: dec.Start().AddDate(1, 0, 0)}
	}
	if err := s.LoadDueCredits(ctx, cs, 8); err != nil {
		t.Fatal(err)
	}

	// Run 1 is killed: its context is cancelled once the 4th grant
	// transaction has gone through (others are in flight).
	killCtx, kill := context.WithCancel(ctx)
	defer kill()
	killer := &testenv.CancelAfter{API: db, Op: "TransactWriteItems", N: 4, Cancel: kill}
	job := func(api store.API) *credit.Job {
		return &credit.Job{Store: store.New(api, tbl), BatchSize: 10, PageSize: 20, Workers: 4, Lookback: 1, Log: quiet}
	}
	sum, err := job(killer).Run(killCtx, credit.Request{}, dec1)
	if err == nil || sum.Complete && sum.Failed == 0 {
		t.Fatalf("killed run finished: %+v", sum)
	}
	if sum.Granted >= n {
		t.Fatalf("killed run granted everything (%d): kill it earlier", sum.Granted)
	}
	if through, _ := s.GrantedThrough(ctx); !through.IsZero() {
		t.Fatalf("a killed run recorded %v as complete", through)
	}
	t.Logf("run 1 killed after %d transactions: %+v", killer.Count(), sum)
	granted := sum.Granted

	// Resume under faults: 20% of writes and queries fail before reaching
	// DynamoDB, 10% after their write happened.
	reads := testenv.NewFaults(db, testenv.FaultConfig{Seed: 2, Ops: []string{"Query", "GetItem"}, Rate: 0.005})
	faults := testenv.NewFaults(reads, testenv.FaultConfig{Seed: 1, Ops: []string{"TransactWriteItems", "UpdateItem"},
		Rate: 0.2, AfterRate: 0.1})
	runs := 1
	for ; runs < 30; runs++ {
		sum, err := job(faults).Run(ctx, credit.Request{}, dec1.Add(time.Duration(runs)*time.Minute))
		granted += sum.Granted
		if err == nil && sum.Complete {
			break
		}
	}
	t.Logf("%d runs under faults: writes: %v; reads: %v", runs, faults.Stats(), reads.Stats())
	// A clean run afterwards finds nothing left.
	if sum, err := job(db).Run(ctx, credit.Request{}, dec1.Add(time.Hour)); err != nil || sum.Granted != 0 {
		t.Fatalf("clean re-run: %+v %v", sum, err)
	}
	violations := 0
	var total int64
	for _, c := range cs {
		got, err := s.Credit(ctx, c.PartnerID, c.BenefitID)
		if err != nil {
			t.Fatal(err)
		}
		total += got.Balance
		if len(got.Grants) != 1 || got.Grants[0].Period != dec || got.Grants[0].Amount != 20000 || got.Balance != 20000 ||
			got.DueFor != dec.Next() {
			violations++
			t.Errorf("%s: grants %+v balance %d due %v", c.BenefitID, got.Grants, got.Balance, got.DueFor)
		}
	}
	if total != int64(n)*20000 {
		t.Errorf("sum of balances %d, want %d", total, int64(n)*20000)
	}
	if through, _ := s.GrantedThrough(ctx); through != dec {
		t.Errorf("granted through %v, want %v", through, dec)
	}
	t.Logf("%d credits, 1 kill, %d runs, %d grants reported (ambiguous writes are not reported), %d faults injected; violations %d; %v",
		n, runs+1, granted, faults.Stats().Injected()+reads.Stats().Injected(), violations, time.Since(start).Round(time.Millisecond))
}

// TestExpiryJobKilledMidRunRemindsAndExpiresOnce kills the expiry job mid
// run, at the 30-day reminder, the 7-day one and the expiry itself, resumes
// each under injected faults, and checks every line is reminded and expired
// once, with one mail per partner and reminder and one audit event per line.
func TestExpiryJobKilledMidRunRemindsAndExpiresOnce(t *testing.T) {
	start := time.Now()
	db := testenv.DynamoDB(t)
	tbl := testenv.NewTable(t, db)
	s := store.New(db, tbl)
	ctx := context.Background()
	cat := demoCatalog(t)
	gen := ids.Sequence()
	partners := 4 * faultScale()
	var lines []benefit.Benefit
	for i := range partners {
		p := mustPartner(t, s, fmt.Sprintf("ptn_exp%03d", i))
		for range 2 {
			pur, ls, err := benefit.NewPurchase(p.ID, "USD", cat, "action-pack-2026", now, gen)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreatePurchase(ctx, pur, ls); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, ls...)
		}
	}
	days := map[time.Time]bool{}
	for _, b := range lines {
		e := b.ExpiresAt.UTC()
		days[time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, time.UTC)] = true
	}
	if len(days) != 1 {
		t.Fatalf("lines expire on %d days; the test assumes one", len(days))
	}
	expires := lines[0].ExpiresAt
	job := func(api store.API) *expiry.Job {
		return &expiry.Job{Store: store.New(api, tbl), NewID: ids.New, Log: quiet}
	}
	kills, runs, injected := 0, 0, 0
	// phase: kill a run after n transactions, resume under faults until a
	// run succeeds, then a clean run must find nothing to do.
	phase := func(name string, at time.Time, killAfter int) {
		t.Helper()
		killCtx, kill := context.WithCancel(ctx)
		defer kill()
		killer := &testenv.CancelAfter{API: db, Op: "TransactWriteItems", N: killAfter, Cancel: kill}
		sum, err := job(killer).Run(killCtx, expiry.Request{}, at)
		if err == nil {
			t.Fatalf("%s: killed run finished: %+v", name, sum)
		}
		kills++
		t.Logf("%s: run killed after %d transactions: %+v", name, killer.Count(), sum)
		reads := testenv.NewFaults(db, testenv.FaultConfig{Seed: uint64(at.Unix()) + 1, Ops: []string{"Query", "GetItem"}, Rate: 0.005})
		faults := testenv.NewFaults(reads, testenv.FaultConfig{Seed: uint64(at.Unix()), Ops: []string{"TransactWriteItems"},
			Rate: 0.2, AfterRate: 0.15})
		var i int
		for i = 1; i < 40; i++ {
			if _, err := job(faults).Run(ctx, expiry.Request{}, at.Add(time.Duration(i)*time.Second)); err == nil {
				break
			}
		}
		runs += i + 1
		injected += faults.Stats().Injected() + reads.Stats().Injected()
		t.Logf("%s: %d runs under faults: writes: %v; reads: %v", name, i, faults.Stats(), reads.Stats())
		sum, err = job(db).Run(ctx, expiry.Request{}, at.Add(time.Minute))
		if err != nil || sum.Expired+sum.Reminded30+sum.Reminded7+sum.Emails != 0 {
			t.Fatalf("%s: clean re-run did work: %+v %v", name, sum, err)
		}
	}
	phase("30-day reminder", expires.AddDate(0, 0, -30), 2)
	phase("7-day reminder", expires.AddDate(0, 0, -7), 3)
	phase("expiry", expires.Add(time.Hour), 5)

	violations := 0
	perLine := map[string]int{}
	for _, b := range lines {
		got, err := s.Benefit(ctx, b.PartnerID, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != benefit.Expired || got.Reminded30.IsZero() || got.Reminded7.IsZero() {
			violations++
			t.Errorf("%s: status %s reminded30 %v reminded7 %v", b.ID, got.Status, got.Reminded30, got.Reminded7)
		}
		events, _, err := s.Audit(ctx, b.PartnerID, b.ID, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Action == audit.BenefitExpired {
				perLine[b.ID]++
			}
		}
		if perLine[b.ID] != 1 {
			violations++
			t.Errorf("%s: %d benefit.expired events", b.ID, perLine[b.ID])
		}
	}
	// Outbox: one reminder per partner and threshold (each partner's lines
	// fit one mail).
	pending, err := s.PendingMail(ctx, expires.AddDate(1, 0, 0), 1000)
	if err != nil {
		t.Fatal(err)
	}
	mails := map[string]int{}
	for _, m := range pending {
		if m.Template == "benefit-expiry-reminder" {
			mails[m.AdminsOf+" "+m.Data["days"]]++
		}
	}
	keys := slices.Sorted(maps.Keys(mails))
	if len(mails) != 2*partners {
		violations++
		t.Errorf("reminders for %d (partner, threshold) pairs, want %d: %v", len(mails), 2*partners, keys)
	}
	for k, c := range mails {
		if c != 1 {
			violations++
			t.Errorf("%d reminder mails for %s", c, k)
		}
	}
	t.Logf("%d partners, %d lines, %d kills, %d runs, %d faults injected, %d reminder mails; violations %d; %v",
		partners, len(lines), kills, runs, injected, len(pending), violations, time.Since(start).Round(time.Millisecond))
}
