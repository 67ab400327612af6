package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// grantFixture is a partner with n monthly credits (action pack lines of 5
// seats, 100 USD each a month), each with `seats` holders assigned at now.
type grantFixture struct {
	s       *store.Store
	partner string
	credits []string
	seats   int
}

func newGrantFixture(t *testing.T, api store.API, tableName string, n, seats int) grantFixture {
	t.Helper()
	s := store.New(api, tableName)
	ctx := context.Background()
	p := mustPartner(t, s, "ptn_g")
	cat := demoCatalog(t)
	gen := ids.Sequence()
	users := make([]partner.User, seats)
	for i := range users {
		u, err := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_g%d", i), PartnerID: p.ID, Email: fmt.Sprintf("g%d@g.example", i), DisplayName: "G", Roles: []access.Role{}, CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users[i] = u
	}
	f := grantFixture{s: s, partner: p.ID, seats: seats}
	for range n {
		pur, lines, err := benefit.NewPurchase(p.ID, "USD", cat, "action-pack-2026", now, gen)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePurchase(ctx, pur, lines); err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.Kind != catalog.CreditMonthly {
				continue
			}
			f.credits = append(f.credits, l.ID)
			for _, u := range users {
				assignSeat(t, s, p.ID, l.ID, u.ID, now)
			}
		}
	}
	return f
}

// assignSeat is the assign-user use case: read, decide, write.
func assignSeat(t *testing.T, s *store.Store, partnerID, benefitID, userID string, at time.Time) {
	t.Helper()
	if _, _, err := (credit.Seats{Store: s, NewID: ids.New}).Assign(context.Background(), partnerID, "usr_test", benefitID, userID, at); err != nil {
		t.Fatal(err)
	}
}

func (f grantFixture) ledgers(t *testing.T) map[string]credit.Credit {
	t.Helper()
	out := map[string]credit.Credit{}
	for _, id := range f.credits {
		c, err := f.s.Credit(context.Background(), f.partner, id)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = c
	}
	return out
}

// wantGrants checks every credit has exactly the given months granted, each
// once, for all its seats.
func (f grantFixture) wantGrants(t *testing.T, months ...string) {
	t.Helper()
	for id, c := range f.ledgers(t) {
		var got []string
		var total int64
		for _, g := range c.Grants {
			got = append(got, g.Period.String())
			total += g.Amount
			if g.Amount != 10000*int64(f.seats) || g.Seats != f.seats {
				t.Errorf("%s: grant %v, want %d seats of 10000", id, g, f.seats)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(months) || c.Balance != total {
			t.Fatalf("%s: grants %v balance %d, want months %v", id, got, c.Balance, months)
		}
	}
}

var dec1 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestGrantJobGrantsOncePerMonth(t *testing.T) {
	db := testenv.DynamoDB(t)
	f := newGrantFixture(t, db, testenv.NewTable(t, db), 30, 2)
	job := &credit.Job{Store: f.s, BatchSize: 7, PageSize: 4}
	sum, err := job.Run(context.Background(), credit.Request{}, dec1)
	if err != nil || sum.Granted != 30 || sum.Failed != 0 || !sum.Complete || sum.Period != "2026-12" {
		t.Fatalf("first run: %+v %v", sum, err)
	}
	f.wantGrants(t, "2026-12")
	// The schedule firing twice, or a hand re-run of the month, grants nothing.
	for _, req := range []credit.Request{{}, {Period: "2026-12"}} {
		if sum, err := job.Run(context.Background(), req, dec1.Add(time.Hour)); err != nil || sum.Granted != 0 {
			t.Fatalf("re-run %+v: %+v %v", req, sum, err)
		}
	}
	f.wantGrants(t, "2026-12")
	// Two runs racing over the next month grant each credit once between them.
	jan1 := dec1.AddDate(0, 1, 0)
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			sum, err := job.Run(context.Background(), credit.Request{}, jan1)
			if err != nil {
				t.Error(err)
			}
			total.Add(int64(sum.Granted))
		})
	}
	wg.Wait()
	if total.Load() != 30 {
		t.Fatalf("racing runs granted %d, want 30", total.Load())
	}
	f.wantGrants(t, "2026-12", "2027-01")
	if _, err := job.Run(context.Background(), credit.Request{Period: "2027-02"}, jan1); !errors.Is(err, credit.ErrFuturePeriod) {
		t.Errorf("a month not started yet: %v", err)
	}
}

// failingWrites lets the first n grant transactions through and fails the
// rest, as a run that crashes half-way.
type failingWrites struct {
	store.API
	left atomic.Int64
}

func (f *failingWrites) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.left.Add(-1) < 0 {
		return nil, errors.New("crashed")
	}
	return f.API.TransactWriteItems(ctx, in, o...)
}

func TestGrantJobResumesAfterACrash(t *testing.T) {
	db := testenv.DynamoDB(t)
	tbl := testenv.NewTable(t, db)
	f := newGrantFixture(t, db, tbl, 40, 1)
	crashing := &failingWrites{API: db}
	crashing.left.Store(6) // about half of the 40 credits' batches
	job := &credit.Job{Store: store.New(crashing, tbl), BatchSize: 5, Workers: 1}
	sum, err := job.Run(context.Background(), credit.Request{}, dec1)
	if err == nil || sum.Granted == 0 || sum.Failed == 0 || sum.Granted+sum.Failed != 40 {
		t.Fatalf("crashed run: %+v %v", sum, err)
	}
	failed := sum.Failed
	if through, _ := f.s.GrantedThrough(context.Background()); !through.IsZero() {
		t.Errorf("a failed run recorded %v as complete", through)
	}
	sum, err = (&credit.Job{Store: f.s}).Run(context.Background(), credit.Request{}, dec1.Add(time.Minute))
	if err != nil || sum.Granted != failed || !sum.Complete {
		t.Fatalf("re-run: %+v %v, want the %d the crash left", sum, err, failed)
	}
	f.wantGrants(t, "2026-12")
}

func TestGrantJobHandsOverBeforeItsDeadline(t *testing.T) {
	db := testenv.DynamoDB(t)
	f := newGrantFixture(t, db, testenv.NewTable(t, db), 10, 1)
	var handed []credit.Request
	job := &credit.Job{Store: f.s, Margin: time.Hour, Continue: func(_ context.Context, r credit.Request) error {
		handed = append(handed, r)
		return nil
	}}
	// The deadline is already inside the margin: nothing is taken, the rest
	// goes to a continuation for the same month.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sum, err := job.Run(ctx, credit.Request{}, dec1)
	if err != nil || sum.Complete || !sum.Continued || sum.Granted != 0 || len(handed) != 1 || handed[0].Period != "2026-12" || handed[0].Continuation != 1 {
		t.Fatalf("run at its deadline: %+v %v, handed %+v", sum, err, handed)
	}
	sum, err = (&credit.Job{Store: f.s}).Run(context.Background(), handed[0], dec1.Add(time.Minute))
	if err != nil || sum.Granted != 10 || !sum.Complete {
		t.Fatalf("continuation: %+v %v", sum, err)
	}
	f.wantGrants(t, "2026-12")
}

func TestGrantJobCatchesUpMissedMonths(t *testing.T) {
	db := testenv.DynamoDB(t)
	f := newGrantFixture(t, db, testenv.NewTable(t, db), 6, 3)
	// No run in December: the January run grants December, then January.
	jan15 := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	sum, err := (&credit.Job{Store: f.s}).Run(context.Background(), credit.Request{}, jan15)
	if err != nil || sum.Granted != 12 {
		t.Fatalf("late run: %+v %v", sum, err)
	}
	f.wantGrants(t, "2026-12", "2027-01")
	// Re-running the missed month by hand afterwards changes nothing.
	if sum, err := (&credit.Job{Store: f.s}).Run(context.Background(), credit.Request{Period: "2026-12"}, jan15); err != nil || sum.Granted != 0 {
		t.Fatalf("re-run of December: %+v %v", sum, err)
	}
	f.wantGrants(t, "2026-12", "2027-01")
}

func TestGrantJobSkipsRevokedExpiredAndEmptyCredits(t *testing.T) {
	db := testenv.DynamoDB(t)
	tbl := testenv.NewTable(t, db)
	f := newGrantFixture(t, db, tbl, 3, 1)
	ctx := context.Background()
	// Revoke the first (what a cancellation writes), free the second.
	revoked, emptied := f.credits[0], f.credits[1]
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tbl),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "PARTNER#" + f.partner},
			"SK": &types.AttributeValueMemberS{Value: "DASH#BENEFIT#" + revoked + "#CREDIT"}},
		UpdateExpression:          aws.String("SET revokedAt = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: now.Format(time.RFC3339)}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := (credit.Seats{Store: f.s, NewID: ids.New}).Remove(ctx, f.partner, "usr_test", emptied, "usr_g0", now); err != nil {
		t.Fatal(err)
	}
	sum, err := (&credit.Job{Store: f.s}).Run(ctx, credit.Request{}, dec1)
	if err != nil || sum.Granted != 1 || sum.Skipped != 1 {
		t.Fatalf("run: %+v %v (want 1 granted, the revoked one skipped, the empty one not due)", sum, err)
	}
	ls := f.ledgers(t)
	if len(ls[revoked].Grants) != 0 || len(ls[emptied].Grants) != 0 || len(ls[f.credits[2]].Grants) != 1 {
		t.Fatalf("grants: revoked %v, emptied %v, live %v", ls[revoked].Grants, ls[emptied].Grants, ls[f.credits[2]].Grants)
	}
	if !ls[revoked].DueFor.IsZero() || !ls[emptied].DueFor.IsZero() {
		t.Errorf("revoked and empty credits leave the due index: %v %v", ls[revoked].DueFor, ls[emptied].DueFor)
	}
	// A credit is granted every month it is live at the month's start, and
	// no month after its expiry (bought 24 Nov 2026, expires 24 Nov 2027).
	live := f.credits[2]
	at := dec1
	for range 14 {
		at = at.AddDate(0, 1, 0)
		if _, err := (&credit.Job{Store: f.s}).Run(ctx, credit.Request{}, at); err != nil {
			t.Fatal(err)
		}
	}
	got := f.ledgers(t)[live]
	if len(got.Grants) != 12 || got.Grants[11].Period.String() != "2027-11" || !got.DueFor.IsZero() {
		t.Fatalf("grants over the credit's life: %d, last %v, due %v", len(got.Grants), got.Grants[len(got.Grants)-1].Period, got.DueFor)
	}
}
