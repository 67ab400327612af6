package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/expiry"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/money"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// hotWorkload is one of the stated loads of docs/performance.md "Hot keys":
// run small through the capacity simulator (metering only), then scaled.
type hotWorkload struct {
	name   string
	stated float64       // the stated load, in the units run counts
	within time.Duration // the stated time it happens in; 0: as fast as AWS lets it
	run    func(t *testing.T, s *store.Store) (ran float64)
}

// TestHotKeys meters four stated loads through the capacity simulator,
// partition key by partition key (the table's and each index's), scales
// them up, and states each one's hottest keys, their worst write rate, and
// how long the load takes on AWS at on-demand defaults (a partition at
// most 1,000 WCU/s, a new table 4,000). It fails if, at the rate a load
// must be served (1,000 partners buying in one minute), any partition
// passes its limit. `go test -v -run TestHotKeys` prints the table that
// docs/performance.md shows.
func TestHotKeys(t *testing.T) {
	cat := demoCatalog(t)
	day := time.Date(2027, 12, 2, 0, 0, 0, 0, time.UTC)
	loads := []hotWorkload{
		{name: "1,000 partners buy a Gold package in one minute", stated: 1000, within: time.Minute,
			run: func(t *testing.T, s *store.Store) float64 {
				for i := range 100 {
					buyGold(t, s, cat, fmt.Sprintf("ptn_hot%04d", i), now)
				}
				return 100
			}},
		{name: "a 100,000-key import", stated: 100_000,
			run: func(t *testing.T, s *store.Store) float64 {
				keys := make([]string, 4000)
				for i := range keys {
					keys[i] = fmt.Sprintf("HOT-%07d-ABCDE", i)
				}
				if _, _, err := s.ImportKeys(context.Background(), "office-suite-pro", keys, now); err != nil {
					t.Fatal(err)
				}
				return 4000
			}},
		{name: "1,000,000 monthly grants", stated: 1_000_000,
			run: func(t *testing.T, s *store.Store) float64 {
				dec := credit.Period{Year: 2026, Month: time.December}
				sum, err := (&credit.Job{Store: s, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}).Run(context.Background(), credit.Request{}, dec.Start())
				if err != nil || sum.Granted != 2000 {
					t.Fatalf("grant: %+v %v", sum, err)
				}
				return float64(sum.Granted)
			}},
		{name: "100,000 lines expiring in one day", stated: 100_000,
			run: func(t *testing.T, s *store.Store) float64 {
				sum, err := (&expiry.Job{Store: s, NewID: ids.New}).Run(context.Background(), expiry.Request{}, day.Add(2*time.Hour))
				if err != nil || sum.Expired == 0 {
					t.Fatalf("expiry: %+v %v", sum, err)
				}
				return float64(sum.Expired)
			}},
	}
	var table strings.Builder
	table.WriteString("| load | hottest partitions (WCU at the stated load) | worst WCU/s of one partition | time on AWS at on-demand defaults |\n|---|---|---|---|\n")
	for i, w := range loads {
		name := testenv.NewTable(t, testenv.DynamoDB(t))
		db, capacity := testenv.ThrottledDynamoDB(t, testenv.CapacityLimits{PartitionWCU: math.Inf(1), PartitionRCU: math.Inf(1),
			TableWCU: math.Inf(1), TableRCU: math.Inf(1), Window: 24 * time.Hour})
		s := store.New(db, name)
		// Set-up, unmetered: credits due for the grant run, lines
		// expiring on one day for the expiry run.
		capacity.Enable(false)
		switch i {
		case 2:
			loadDueCredits(t, s, 2000)
		case 3:
			for p := range 100 {
				buyGold(t, s, cat, fmt.Sprintf("ptn_exp%04d", p), day.AddDate(-1, 0, 0))
			}
		}
		capacity.Enable(true)
		scale := w.stated / w.run(t, s)
		var tableWCU float64
		var hot []testenv.Peak
		for _, p := range capacity.Peaks() {
			switch {
			case p.Key == "W table":
				tableWCU = p.Units * scale
			case strings.HasPrefix(p.Key, "W "):
				hot = append(hot, p)
			}
		}
		// The same partition for every partner is one row ("<partner>").
		classes := map[string]float64{}
		var order []string
		for _, p := range hot {
			c := keyClass(p.Key)
			if _, ok := classes[c]; !ok {
				order = append(order, c)
			}
			classes[c] = max(classes[c], p.Units*scale)
		}
		secs := tableWCU / testenv.AWSLimits.TableWCU
		for _, c := range order {
			secs = max(secs, classes[c]/testenv.AWSLimits.PartitionWCU)
		}
		if w.within > 0 {
			secs = max(secs, w.within.Seconds())
		}
		var parts []string
		for _, c := range order[:min(3, len(order))] {
			parts = append(parts, fmt.Sprintf("`%s` %.0f", c, classes[c]))
		}
		worst := classes[order[0]] / secs
		table.WriteString(fmt.Sprintf("| %s | %s; table %.0f | %.0f (`%s`) | %s |\n", w.name, strings.Join(parts, ", "), tableWCU, worst, order[0], fmtSecs(secs)))
		if w.within > 0 && worst > testenv.AWSLimits.PartitionWCU {
			t.Errorf("%s: partition %s takes %.0f WCU/s, past AWS's %v", w.name, order[0], worst, testenv.AWSLimits.PartitionWCU)
		}
	}
	t.Log("\n" + table.String())
}

var (
	partnerIDs = regexp.MustCompile(`ptn_[a-z0-9]+`)
	shardNo    = regexp.MustCompile(`#\d{1,2}$`)
	messageIDs = regexp.MustCompile(`msg_[a-z0-9]+`)
	lineIDs    = regexp.MustCompile(`ben_[a-z0-9]+`)
)

// keyClass names a metered partition for the table: ids become
// placeholders, shards <shard>.
func keyClass(k string) string {
	k = strings.TrimPrefix(k, "W ")
	k = strings.Replace(k, "PK ", "table ", 1)
	k = partnerIDs.ReplaceAllString(k, "<partner>")
	k = messageIDs.ReplaceAllString(k, "<message>")
	k = lineIDs.ReplaceAllString(k, "<line>")
	return shardNo.ReplaceAllString(k, "#<shard>")
}

func fmtSecs(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.0f s", s)
	case s < 7200:
		return fmt.Sprintf("%.0f min", s/60)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}

// buyGold creates a partner and buys it the demo Gold package at, with its
// receipt, as POST /v1/purchases does.
func buyGold(t *testing.T, s *store.Store, cat *catalog.Catalog, partnerID string, at time.Time) {
	t.Helper()
	mustPartner(t, s, partnerID)
	p, lines, err := benefit.NewPurchase(partnerID, "USD", cat, "gold-2026", at, ids.New)
	if err != nil {
		t.Fatal(err)
	}
	receipt := mail.Message{ID: ids.New("msg"), To: []string{"admin@" + partnerID + ".example"}, Template: "purchase-receipt", Language: "en",
		CreatedAt: at, Data: map[string]string{"partnerName": "P", "packageName": "Gold"}}
	if err := s.CreatePurchase(context.Background(), p, lines, receipt); err != nil {
		t.Fatal(err)
	}
}

// loadDueCredits puts n monthly credits with holders due in December 2026,
// 100 a partner, as BenchmarkMonthlyCreditGrant does.
func loadDueCredits(t *testing.T, s *store.Store, n int) {
	dec := credit.Period{Year: 2026, Month: time.December}
	cs := make([]credit.Credit, n)
	for i := range cs {
		cs[i] = credit.Credit{PartnerID: fmt.Sprintf("ptn_grant%04d", i/100), BenefitID: fmt.Sprintf("ben_grant%07d", i),
			Kind: catalog.CreditMonthly, Product: "cloud-credit-monthly", Quantity: 5, Seats: 2,
			PerSeat: money.Money{Amount: 10000, Currency: "USD"}, NextPeriod: dec, ExpiresAt: dec.Start().AddDate(1, 0, 0)}
	}
	if err := s.LoadDueCredits(context.Background(), cs, 16); err != nil {
		t.Fatal(err)
	}
}
