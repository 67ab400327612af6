package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// softwareLines buys gold for a new partner and returns its lines of product.
func softwareLines(t *testing.T, s *store.Store, partnerID, product string) []benefit.Benefit {
	t.Helper()
	mustPartner(t, s, partnerID)
	p, lines, err := benefit.NewPurchase(partnerID, "USD", demoCatalog(t), "gold-2026", now, ids.Sequence())
	if err != nil {
		t.Fatal(err)
	}
	for i := range lines {
		lines[i].ID = partnerID + "_" + lines[i].ID // unique across partners in one table
	}
	if err := s.CreatePurchase(context.Background(), p, lines); err != nil {
		t.Fatal(err)
	}
	var out []benefit.Benefit
	for _, b := range lines {
		if b.Product == product {
			out = append(out, b)
		}
	}
	return out
}

func importN(t *testing.T, s *store.Store, product string, n int) []string {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%05d", product, i)
	}
	if got, _, err := s.ImportKeys(context.Background(), product, keys, now); err != nil || got != n {
		t.Fatalf("import: %d %v", got, err)
	}
	return keys
}

// freeCount counts free keys of a product across its shards directly (not
// the shards' counters, which have no key).
func freeCount(t *testing.T, db *dynamodb.Client, tableName, product string) int {
	t.Helper()
	total := 0
	for shard := range 16 {
		out, err := db.Query(context.Background(), &dynamodb.QueryInput{
			TableName:                aws.String(tableName),
			KeyConditionExpression:   aws.String("PK = :pk AND begins_with(SK, :f)"),
			FilterExpression:         aws.String("attribute_exists(#key)"),
			ExpressionAttributeNames: map[string]string{"#key": "key"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("POOL#%s#%02d", product, shard)},
				":f":  &types.AttributeValueMemberS{Value: "FREE#"},
			},
			Select: types.SelectCount, ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		total += int(out.Count)
	}
	return total
}

func TestAllocateKeyActivatesOnce(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	keys := importN(t, s, "server-os-datacenter", 3)
	line := softwareLines(t, s, "ptn_a", "server-os-datacenter")[0]

	k, left, err := s.AllocateKey(ctx, line, now, keyEvent(line.PartnerID, line.ID))
	if err != nil || left < 0 { // an estimate from one shard's counter
		t.Fatalf("allocate: %q %d %v", k, left, err)
	}
	if free, taken, err := s.PoolLevels(ctx, "server-os-datacenter"); err != nil || free != 2 || taken != 1 {
		t.Fatalf("pool levels: %d free, %d taken, %v", free, taken, err)
	}
	found := false
	for _, want := range keys {
		found = found || k == want
	}
	if !found {
		t.Fatalf("key %q is not from the pool", k)
	}
	b, err := s.Benefit(ctx, "ptn_a", line.ID)
	if err != nil || b.Key != k || b.Status != benefit.Activated || !b.ActivatedAt.Equal(now) {
		t.Fatalf("benefit after allocation: %+v %v", b, err)
	}
	// The line already has a key: a second allocation changes nothing.
	if _, _, err := s.AllocateKey(ctx, line, now, keyEvent(line.PartnerID, line.ID)); !errors.Is(err, store.ErrBenefitChanged) {
		t.Errorf("second allocation: %v", err)
	}
	// Re-importing the handed-out key is a duplicate: it never returns to the pool.
	if n, d, err := s.ImportKeys(ctx, "server-os-datacenter", []string{k}, now); n != 0 || d != 1 || err != nil {
		t.Errorf("re-import of a handed-out key: imported %d duplicates %d %v", n, d, err)
	}
}

func TestConcurrentFirstCallsTakeOneKey(t *testing.T) {
	s, _ := newStore(t)
	db := testenv.DynamoDB(t)
	ctx := context.Background()
	importN(t, s, "office-suite-pro", 20)
	line := softwareLines(t, s, "ptn_a", "office-suite-pro")[0]

	const n = 10
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _, errs[i] = s.AllocateKey(ctx, line, now, keyEvent(line.PartnerID, line.ID))
		}()
	}
	wg.Wait()
	winners := 0
	for i := range n {
		switch {
		case errs[i] == nil:
			winners++
		case errors.Is(errs[i], store.ErrBenefitChanged):
		default:
			t.Errorf("call %d: %v", i, errs[i])
		}
	}
	if winners != 1 {
		t.Fatalf("%d of %d concurrent first calls allocated, want exactly 1", winners, n)
	}
	if left := freeCount(t, db, s.Table(), "office-suite-pro"); left != 19 {
		t.Errorf("%d free keys left, want 19: exactly one key leaves the pool", left)
	}
}

func TestConcurrentLinesGetDistinctKeys(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	importN(t, s, "database-server-enterprise", 6)
	var lines []benefit.Benefit
	for i := range 6 {
		lines = append(lines, softwareLines(t, s, fmt.Sprintf("ptn_%d", i), "database-server-enterprise")...)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]string{}
	for _, b := range lines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _, err := s.AllocateKey(ctx, b, now, keyEvent(b.PartnerID, b.ID))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if other, dup := seen[k]; dup {
				t.Errorf("key given to %s and %s", other, b.ID)
			}
			seen[k] = b.ID
		}()
	}
	wg.Wait()
	if len(seen) != 6 {
		t.Errorf("%d distinct keys for 6 lines", len(seen))
	}
	// The pool is now empty.
	more := softwareLines(t, s, "ptn_late", "database-server-enterprise")[0]
	if _, left, err := s.AllocateKey(ctx, more, now, keyEvent(more.PartnerID, more.ID)); !errors.Is(err, store.ErrKeyPoolExhausted) || left != 0 {
		t.Errorf("empty pool: %d %v", left, err)
	}
	if b, _ := s.Benefit(ctx, "ptn_late", more.ID); b.Status != benefit.Available || b.Key != "" {
		t.Errorf("a failed allocation changed the line: %+v", b)
	}
}

func TestSetBenefitKeyOnce(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	line := softwareLines(t, s, "ptn_a", "dev-tools-suite")[0]
	if err := s.SetBenefitKey(ctx, line, "PBK1.a.b", now, keyEvent(line.PartnerID, line.ID)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBenefitKey(ctx, line, "PBK1.c.d", now, keyEvent(line.PartnerID, line.ID)); !errors.Is(err, store.ErrBenefitChanged) {
		t.Errorf("second key: %v", err)
	}
	if b, _ := s.Benefit(ctx, "ptn_a", line.ID); b.Key != "PBK1.a.b" || b.Status != benefit.Activated {
		t.Errorf("benefit %+v", b)
	}
}

func TestImportLargePool(t *testing.T) {
	s, _ := newStore(t)
	db := testenv.DynamoDB(t)
	const n = 5000 // bench_test.go imports 100,000; this keeps make test fast
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("LARGE-%06d-ABCDE-FGHIJ", i)
	}
	start := time.Now()
	imported, dups, err := s.ImportKeys(context.Background(), "bi-pro", append(keys, keys[:100]...), now)
	if err != nil || imported != n || dups != 100 {
		t.Fatalf("imported %d duplicates %d %v", imported, dups, err)
	}
	t.Logf("imported %d keys in %v", n, time.Since(start))
	if got := freeCount(t, db, s.Table(), "bi-pro"); got != n {
		t.Errorf("%d free keys, want %d", got, n)
	}
	if free, taken, err := s.PoolLevels(context.Background(), "bi-pro"); err != nil || free != n || taken != 0 {
		t.Errorf("shard counters: %d free, %d taken, %v; want %d, 0", free, taken, err, n)
	}
}

// keyEvent is an audit event for store calls that record one.
func keyEvent(partnerID, benefitID string) audit.Event {
	return audit.New(ids.New, partnerID, "usr_test", audit.SoftwareKeyIssued, benefitID, now)
}
