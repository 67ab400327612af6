package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// newStore returns a store over a fresh table in DynamoDB Local and the
// counter wrapped around its client.
func newStore(t *testing.T) (*store.Store, *testenv.Counting) {
	t.Helper()
	db := testenv.DynamoDB(t)
	c := testenv.NewCounting(db)
	return store.New(c, testenv.NewTable(t, db)), c
}

func mustPartner(t *testing.T, s *store.Store, id string) partner.Partner {
	t.Helper()
	p, err := partner.NewPartner(partner.Partner{ID: id, Name: "Partner " + id, Currency: "USD", AccountEmail: "admin@" + id + ".example", Language: "en", CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := partner.NewUser(partner.User{ID: "usr_admin_" + id, PartnerID: id, Email: p.AccountEmail, DisplayName: "Admin", Roles: []access.Role{access.GlobalAdmin}, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePartner(context.Background(), p, admin); err != nil {
		t.Fatal(err)
	}
	return p
}

func demoCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Parse(catalog.Demo)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCreatePartnerAddsAdminAndRejectsRepeat(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	p := mustPartner(t, s, "ptn_a")
	got, err := s.Partner(ctx, "ptn_a")
	if err != nil || got != p {
		t.Fatalf("Partner = %+v, %v; want %+v", got, err, p)
	}
	admin, err := s.User(ctx, "ptn_a", "usr_admin_ptn_a")
	if err != nil || admin.Email != p.AccountEmail || len(admin.Roles) != 1 || admin.Roles[0] != access.GlobalAdmin {
		t.Fatalf("admin = %+v, %v", admin, err)
	}
	admin2, _ := partner.NewUser(partner.User{ID: "usr_other", PartnerID: "ptn_a", Email: "x@y.example", DisplayName: "X", CreatedAt: now})
	if err := s.CreatePartner(ctx, p, admin2); !errors.Is(err, store.ErrPartnerExists) {
		t.Errorf("second create: want ErrPartnerExists, got %v", err)
	}
	if _, err := s.User(ctx, "ptn_a", "usr_other"); !errors.Is(err, partner.ErrUserNotFound) {
		t.Errorf("a failed create must write nothing, got user: %v", err)
	}
	if _, err := s.Partner(ctx, "ptn_missing"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("missing partner: %v", err)
	}
}

func TestUserEmailIsUniquePerPartnerUnderConcurrency(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	mustPartner(t, s, "ptn_a")
	mustPartner(t, s, "ptn_b")

	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Same address, different case: one user.
			email := "Ann@Contoso.example"
			if i%2 == 1 {
				email = "ann@contoso.example"
			}
			u, _ := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_%02d", i), PartnerID: "ptn_a", Email: email, DisplayName: "Ann", CreatedAt: now})
			errs[i] = s.CreateUser(ctx, u)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, partner.ErrUserExists):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent creations of one email succeeded, want exactly 1", ok)
	}
	users, _, err := s.Users(ctx, "ptn_a", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 { // the admin and Ann
		t.Errorf("directory has %d users, want 2", len(users))
	}
	// Another partner may hold the same address.
	u, _ := partner.NewUser(partner.User{ID: "usr_b_ann", PartnerID: "ptn_b", Email: "ann@contoso.example", DisplayName: "Ann", Guest: true, CreatedAt: now})
	if err := s.CreateUser(ctx, u); err != nil {
		t.Errorf("same email in another partner: %v", err)
	}
}

func TestCreateUserNeedsPartner(t *testing.T) {
	s, _ := newStore(t)
	u, _ := partner.NewUser(partner.User{ID: "usr_x", PartnerID: "ptn_none", Email: "a@b.example", DisplayName: "A", CreatedAt: now})
	if err := s.CreateUser(context.Background(), u); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("want not found, got %v", err)
	}
}

func TestUsersPages(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	mustPartner(t, s, "ptn_a")
	for i := range 4 {
		u, _ := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_%02d", i), PartnerID: "ptn_a", Email: fmt.Sprintf("u%d@a.example", i), DisplayName: "U", CreatedAt: now})
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	cursor, pages := "", 0
	for {
		page, next, err := s.Users(ctx, "ptn_a", 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range page {
			all = append(all, u.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 5 || pages != 3 {
		t.Errorf("got %d users in %d pages, want 5 in 3: %v", len(all), pages, all)
	}
	if _, _, err := s.Users(ctx, "ptn_a", 2, "!!!"); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestPurchaseIsAtomicAndDashboardIsOneQuery(t *testing.T) {
	s, calls := newStore(t)
	ctx := context.Background()
	mustPartner(t, s, "ptn_a")
	mustPartner(t, s, "ptn_b")
	cat := demoCatalog(t)
	gen := ids.Sequence()
	p, lines, err := benefit.NewPurchase("ptn_a", "USD", cat, "gold-2026", now, gen)
	if err != nil {
		t.Fatal(err)
	}
	msg := mail.Message{ID: "msg_1", To: []string{"admin@ptn_a.example"}, Template: "purchase-receipt", Language: "en", CreatedAt: now}
	if err := s.CreatePurchase(ctx, p, lines, msg); err != nil {
		t.Fatal(err)
	}

	calls.Reset()
	o, err := s.Dashboard(ctx, "ptn_a")
	if err != nil {
		t.Fatal(err)
	}
	purchases, got := o.Purchases, o.Lines
	if c := calls.Reset(); c["Query"] != 1 || len(c) != 1 {
		t.Errorf("dashboard made %v round trips, want exactly one Query", c)
	}
	if len(purchases) != 1 || purchases[0] != p {
		t.Errorf("purchases = %+v", purchases)
	}
	if len(got) != len(lines) {
		t.Fatalf("got %d lines, want %d", len(got), len(lines))
	}
	for i := range lines {
		if got[i].ID != lines[i].ID || got[i].Quantity != lines[i].Quantity || !got[i].ExpiresAt.Equal(lines[i].ExpiresAt) {
			t.Errorf("line %d = %+v, want %+v", i, got[i], lines[i])
		}
	}
	if b, err := s.Benefit(ctx, "ptn_a", lines[0].ID); err != nil || b.ID != lines[0].ID {
		t.Errorf("Benefit: %+v %v", b, err)
	}
	// Partner scoping lives in the key: another partner sees nothing.
	if _, err := s.Benefit(ctx, "ptn_b", lines[0].ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("cross-partner benefit: %v", err)
	}
	if _, _, err := s.Purchase(ctx, "ptn_b", p.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("cross-partner purchase: %v", err)
	}
	if ob, _ := s.Dashboard(ctx, "ptn_b"); len(ob.Purchases)+len(ob.Lines)+len(ob.Credits) != 0 {
		t.Errorf("partner b sees %d purchases, %d lines, %d credits", len(ob.Purchases), len(ob.Lines), len(ob.Credits))
	}

	// A purchase for a partner that does not exist writes nothing.
	p2, lines2, _ := benefit.NewPurchase("ptn_ghost", "USD", cat, "silver-2026", now, gen)
	if err := s.CreatePurchase(ctx, p2, lines2); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("orphan purchase: %v", err)
	}
	if _, err := s.Benefit(ctx, "ptn_ghost", lines2[0].ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Error("a failed purchase left a benefit line behind")
	}
}

func TestCatalogVersionsAreImmutable(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, _, err := s.CurrentCatalog(ctx); !errors.Is(err, store.ErrNoCatalog) {
		t.Fatalf("empty table: %v", err)
	}
	cat := demoCatalog(t)
	if err := s.PublishCatalog(ctx, cat, catalog.Demo, "op", now); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishCatalog(ctx, cat, catalog.Demo, "op", now); !errors.Is(err, store.ErrCatalogVersionExists) {
		t.Errorf("republishing a version: %v", err)
	}
	doc := []byte(`{"version":"2027.01","currencies":["USD"],"products":{"p":{"name":"P","kind":"support"}},"packages":[{"id":"x","plan":"gold","name":"X","price":{"USD":1},"benefits":[{"kind":"support","product":"p","quantity":1,"benefitType":"core"}]}]}`)
	parsed, err := catalog.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PublishCatalog(ctx, parsed, doc, "op", now); err != nil {
		t.Fatal(err)
	}
	cur, raw, err := s.CurrentCatalog(ctx)
	if err != nil || cur.Version != "2027.01" || string(raw) != string(doc) {
		t.Errorf("current = %v %q %v", cur, raw, err)
	}
}

func TestImportKeysCountsDuplicatesAcrossImports(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	keys := make([]string, 120) // more than one transaction
	for i := range keys {
		keys[i] = fmt.Sprintf("KEY-%04d", i)
	}
	in := append(append([]string{}, keys...), "KEY-0001") // a repeat inside one import
	n, d, err := s.ImportKeys(ctx, "office-suite-pro", in, now)
	if err != nil || n != 120 || d != 1 {
		t.Fatalf("first import: imported %d, duplicates %d, %v", n, d, err)
	}
	n, d, err = s.ImportKeys(ctx, "office-suite-pro", append(keys[100:], "KEY-NEW-1", "KEY-NEW-2"), now)
	if err != nil || n != 2 || d != 20 {
		t.Fatalf("second import: imported %d, duplicates %d, %v", n, d, err)
	}
	// Pools are per product.
	n, d, err = s.ImportKeys(ctx, "crm-cloud", keys[:3], now)
	if err != nil || n != 3 || d != 0 {
		t.Fatalf("other product: imported %d, duplicates %d, %v", n, d, err)
	}
}

func TestImportKeysConcurrentImportsNeverDoubleCount(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	keys := make([]string, 60)
	for i := range keys {
		keys[i] = fmt.Sprintf("K-%03d", i)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total, dups := 0, 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, d, err := s.ImportKeys(ctx, "bi-pro", keys, now)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total, dups = total+n, dups+d
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != len(keys) || dups != 3*len(keys) {
		t.Errorf("4 concurrent imports of %d keys: imported %d, duplicates %d", len(keys), total, dups)
	}
}

func TestIdempotencyClaimLifecycle(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	const lock, keep = time.Minute, 24 * time.Hour
	if rec, err := s.ClaimIdempotency(ctx, "p/u", "k", "h1", now, lock, keep); err != nil || rec != nil {
		t.Fatalf("first claim: %+v %v", rec, err)
	}
	rec, err := s.ClaimIdempotency(ctx, "p/u", "k", "h1", now.Add(time.Second), lock, keep)
	if err != nil || rec == nil || rec.Done || rec.RequestHash != "h1" {
		t.Fatalf("claim while running: %+v %v", rec, err)
	}
	// Another caller's identical key is a different record.
	if rec, err := s.ClaimIdempotency(ctx, "p/other", "k", "h1", now, lock, keep); err != nil || rec != nil {
		t.Fatalf("other scope: %+v %v", rec, err)
	}
	if err := s.CompleteIdempotency(ctx, "p/u", "k", "h1", 201, map[string]string{"Location": "/x"}, `{"id":"x"}`); err != nil {
		t.Fatal(err)
	}
	rec, err = s.ClaimIdempotency(ctx, "p/u", "k", "h2", now.Add(2*time.Second), lock, keep)
	if err != nil || rec == nil || !rec.Done || rec.Status != 201 || rec.Body != `{"id":"x"}` || rec.Headers["Location"] != "/x" || rec.RequestHash != "h1" {
		t.Fatalf("claim after completion: %+v %v", rec, err)
	}
	// A crashed owner's lock lapses and the key can be taken over.
	if _, err := s.ClaimIdempotency(ctx, "p/u", "crash", "h", now, lock, keep); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.ClaimIdempotency(ctx, "p/u", "crash", "h", now.Add(2*lock), lock, keep); err != nil || rec != nil {
		t.Errorf("lapsed lock not taken over: %+v %v", rec, err)
	}
	// Released after a server error: the retry runs.
	if err := s.ReleaseIdempotency(ctx, "p/u", "crash", "h"); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.ClaimIdempotency(ctx, "p/u", "crash", "h", now, lock, keep); err != nil || rec != nil {
		t.Errorf("claim after release: %+v %v", rec, err)
	}
	// Past retention the record counts as absent even before TTL deletes it.
	if rec, err := s.ClaimIdempotency(ctx, "p/u", "k", "h2", now.Add(keep+time.Hour), lock, keep); err != nil || rec != nil {
		t.Errorf("expired record: %+v %v", rec, err)
	}
}

func TestIdempotencyConcurrentClaimsHaveOneWinner(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, err := s.ClaimIdempotency(ctx, "p/u", "race", "h", now, time.Minute, time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			if rec == nil {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if winners != 1 {
		t.Errorf("%d concurrent claims won, want 1", winners)
	}
}
