package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/money"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// BenchmarkMonthlyCreditGrant grants BENCH_CREDITS (default 100,000)
// monthly credits against DynamoDB Local and compares the rate with a plain
// BatchWriteItem of the same items in the same run (which is also how they
// are loaded), and the write capacity a grant consumes per credit-month
// with the plain write's as its floor. Run: make bench (or go test -run '^$' -bench MonthlyCreditGrant
// ./shared/store/ under withstack). One iteration is one whole month.
func BenchmarkMonthlyCreditGrant(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("BENCH_CREDITS")); err == nil && v > 0 {
		n = v
	}
	db := testenv.DynamoDB(b)
	dec := credit.Period{Year: 2026, Month: time.December}
	cs := make([]credit.Credit, n)
	for i := range cs {
		cs[i] = credit.Credit{PartnerID: fmt.Sprintf("ptn_bench%04d", i/100), BenefitID: fmt.Sprintf("ben_bench%07d", i),
			Kind: catalog.CreditMonthly, Product: "cloud-credit-monthly", Quantity: 5, Seats: 2,
			PerSeat: money.Money{Amount: 10000, Currency: "USD"}, NextPeriod: dec, ExpiresAt: dec.Start().AddDate(1, 0, 0)}
	}
	var loadRate, grantRate, calls, loadWCU, grantWCU float64
	for b.Loop() {
		b.StopTimer()
		counting := testenv.NewCounting(db)
		s := store.New(counting, testenv.NewTable(b, db))
		start := time.Now()
		if err := s.LoadDueCredits(context.Background(), cs, 16); err != nil {
			b.Fatal(err)
		}
		loadRate = float64(n) / time.Since(start).Seconds()
		_, loadWCU = counting.Capacity()
		counting.Reset()
		job := &credit.Job{Store: s, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
		b.StartTimer()
		start = time.Now()
		sum, err := job.Run(context.Background(), credit.Request{}, dec.Start())
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil || sum.Granted != n || sum.Failed != 0 {
			b.Fatalf("%+v %v", sum, err)
		}
		grantRate = float64(n) / elapsed.Seconds()
		_, grantWCU = counting.Capacity()
		total := 0
		for _, c := range counting.Reset() {
			total += c
		}
		calls = float64(total) / float64(n)
		b.StartTimer()
	}
	b.ReportMetric(grantRate, "credits/s")
	b.ReportMetric(loadRate, "batchwrite-items/s")
	b.ReportMetric(grantRate/loadRate, "ratio")
	b.ReportMetric(calls, "ddb-calls/credit")
	b.ReportMetric(grantWCU/float64(n), "wcu/credit")
	b.ReportMetric(loadWCU/float64(n), "floor-wcu/credit")
}
