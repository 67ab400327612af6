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

	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// throttledImportKeys is how many keys TestKeyImportSlowsDownWhenThrottled
// imports: 1,000 in make test; make bench sets BENCH_IMPORT_KEYS=100000.
func throttledImportKeys(t *testing.T) int {
	if v := os.Getenv("BENCH_IMPORT_KEYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return 1000
}

// TestKeyImportSlowsDownWhenThrottled: a key import through the capacity
// simulator meets throttled transactions and completes anyway, slower:
// every key imported once, none lost, no error. Before, the first
// ThrottlingError aborted the import and its 15 other workers. In make
// test the table is held low (so any machine meets it); with
// BENCH_IMPORT_KEYS (make bench) the limits are AWS's (a partition 1,000
// WCU/s, a new on-demand table 4,000) with one simulated second lasting
// 4 s here.
func TestKeyImportSlowsDownWhenThrottled(t *testing.T) {
	t.Parallel()
	name := testenv.NewTable(t, testenv.DynamoDB(t))
	// AWS's limits, with the table's held to 400 WCU a second: any
	// machine that imports over 100 keys a second meets it, so the test
	// never passes by running too slowly to be throttled.
	limits := testenv.AWSLimits
	limits.TableWCU = 400
	if os.Getenv("BENCH_IMPORT_KEYS") != "" {
		limits = testenv.AWSLimits
		limits.Window = 4 * time.Second
	}
	db, capacity := testenv.ThrottledDynamoDB(t, limits)
	s := store.New(db, name)
	n := throttledImportKeys(t)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("THR-%07d-ABCDE", i)
	}
	start := time.Now()
	imported, dups, err := s.ImportKeys(context.Background(), "office-suite-pro", keys, now)
	took := time.Since(start)
	st := capacity.Stats()
	if err != nil || imported != n || dups != 0 {
		t.Fatalf("import of %d keys: imported %d, duplicates %d, err %v (%+v)", n, imported, dups, err, st)
	}
	if st.ThrottledTransactions == 0 {
		t.Errorf("no transaction was throttled (%+v): the simulator's limits were not reached, the test proves nothing", st)
	}
	free, taken, err := s.PoolLevels(context.Background(), "office-suite-pro")
	if err != nil || free != int64(n) || taken != 0 {
		t.Errorf("pool levels: %d free, %d taken, %v; want %d free", free, taken, err, n)
	}
	peaks := capacity.Peaks()
	t.Logf("%d keys in %s: %d calls, %d throttled transactions; hottest: %v", n, took.Round(time.Millisecond), st.Calls, st.ThrottledTransactions, peaks[:min(3, len(peaks))])
}

// TestGrantJobSlowsDownWhenThrottled: the monthly grant through the
// capacity simulator at AWS's limits, time scaled so that the table's
// ceiling is reached, meets throttled transactions and still grants every
// credit once, in one run, none failed.
func TestGrantJobSlowsDownWhenThrottled(t *testing.T) {
	t.Parallel()
	name := testenv.NewTable(t, testenv.DynamoDB(t))
	// The table held to 200 WCU a second, as in the import's test: any
	// machine that grants over 100 credits a second meets it.
	limits := testenv.AWSLimits
	limits.TableWCU = 200
	db, capacity := testenv.ThrottledDynamoDB(t, limits)
	s := store.New(db, name)
	capacity.Enable(false)
	loadDueCredits(t, s, 500)
	capacity.Enable(true)
	dec := credit.Period{Year: 2026, Month: time.December}
	sum, err := (&credit.Job{Store: s, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}).Run(context.Background(), credit.Request{}, dec.Start())
	st := capacity.Stats()
	if err != nil || sum.Granted != 500 || sum.Failed != 0 || !sum.Complete {
		t.Fatalf("grant under throttling: %+v, %v (%+v)", sum, err, st)
	}
	if st.ThrottledTransactions == 0 {
		t.Errorf("no transaction was throttled (%+v): the test proves nothing", st)
	}
	t.Logf("500 credits granted; simulator %+v; hottest %v", st, capacity.Peaks()[:3])
}
