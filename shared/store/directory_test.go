package store_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

func newPartnerStore(tb testing.TB, wrap func(store.API) store.API) (*store.Store, partner.Partner, partner.User) {
	tb.Helper()
	db := testenv.DynamoDB(tb)
	var api store.API = db
	if wrap != nil {
		api = wrap(db)
	}
	s := store.New(api, testenv.NewTable(tb, db))
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	p := partner.Partner{ID: "ptn_dir", Name: "Directory", Currency: "USD", AccountEmail: "admin@dir.example", Language: "en", CreatedAt: at}
	admin := partner.FirstAdmin("usr_admin", p, at)
	if err := s.CreatePartner(context.Background(), p, admin); err != nil {
		tb.Fatal(err)
	}
	return s, p, admin
}

// A partner written before the search index (no tokens, no count, no
// mark) is indexed by its first search or change: its users are found and
// its global admins counted, so the last one still stays.
func TestDirectoryBackfill(t *testing.T) {
	ctx := context.Background()
	s, p, admin := newPartnerStore(t, nil)
	users := []partner.User{
		{ID: "usr_a", PartnerID: p.ID, Email: "aiko@dir.example", DisplayName: "Aiko Tanaka", Roles: []access.Role{}, CreatedAt: p.CreatedAt},
		{ID: "usr_b", PartnerID: p.ID, Email: "bo@dir.example", DisplayName: "Bo Tan", Roles: []access.Role{access.GlobalAdmin}, CreatedAt: p.CreatedAt},
	}
	if err := s.SeedUsers(ctx, users); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetDirectoryIndex(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.SearchUsers(ctx, p.ID, partner.UserQuery{Q: "tan"}, 10, "")
	if err != nil || len(got) != 2 {
		t.Fatalf("search after backfill: %v, %v", got, err)
	}
	d := partner.Directory{Members: s, NewID: func(prefix string) string { return prefix + "_1" }}
	ga := access.Caller{UserID: admin.ID, PartnerID: p.ID, Roles: []access.Role{access.GlobalAdmin}}
	if err := d.RemoveUser(ctx, ga, "usr_b", p.CreatedAt); err != nil {
		t.Fatalf("remove one of two counted admins: %v", err)
	}
	if err := d.RemoveUser(ctx, ga, admin.ID, p.CreatedAt); !partner.ErrLastGlobalAdmin.Is(err) {
		t.Fatalf("remove the last counted admin: %v", err)
	}
}

// BenchmarkDirectorySearch: a partner with 20,000 users (seeded straight
// into the store); a search page (limit 50, q matching about 1,100 users)
// beside a plain Query of one page of the same partition (GET /v1/users
// without q), each with its round trips and p50/p99. Run: make bench.
func BenchmarkDirectorySearch(b *testing.B) {
	ctx := context.Background()
	var counting *testenv.Counting
	s, p, _ := newPartnerStore(b, func(api store.API) store.API { counting = testenv.NewCounting(api); return counting })
	first := []string{"Aiko", "Émile", "Hana", "Jun", "Kenji", "Lena", "Mateo", "Nora", "Omar", "Priya", "Ren", "Sora", "Tomás", "Yuki", "Zoë", "太郎", "花子", "ｹﾝ"}
	last := []string{"Tanaka", "Suzuki", "García", "Müller", "Smith", "Novák", "Dubois", "Rossi", "山田", "佐藤"}
	const n = 20000
	users := make([]partner.User, n)
	for i := range users {
		users[i] = partner.User{ID: fmt.Sprintf("usr_%06d", i), PartnerID: p.ID, Email: fmt.Sprintf("user%06d@dir.example", i),
			DisplayName: first[i%len(first)] + " " + last[(i/len(first))%len(last)], Roles: []access.Role{}, CreatedAt: p.CreatedAt}
	}
	if err := s.SeedUsers(ctx, users); err != nil {
		b.Fatal(err)
	}
	measure := func(name string, q partner.UserQuery) {
		if _, _, err := s.SearchUsers(ctx, p.ID, q, 50, ""); err != nil { // warm: the index mark is seen once per process
			b.Fatal(err)
		}
		counting.Reset()
		var lat []time.Duration
		pages, items := 0, 0
		cursor := ""
		for range 200 {
			start := time.Now()
			got, next, err := s.SearchUsers(ctx, p.ID, q, 50, cursor)
			lat = append(lat, time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
			pages, items, cursor = pages+1, items+len(got), next
		}
		calls := counting.Reset()
		total := 0
		for _, c := range calls {
			total += c
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
		fmt.Fprintf(os.Stdout, "directory %-28s 20,000 users: %.2f round trips/page %v, %.1f users/page, p50 %.2f ms, p99 %.2f ms\n",
			name, float64(total)/float64(pages), calls, float64(items)/float64(pages), float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000)
		b.ReportMetric(float64(total)/float64(pages), name+"-calls/page")
		b.ReportMetric(float64(p50.Microseconds())/1000, name+"-p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, name+"-p99-ms")
	}
	for b.Loop() {
		measure("plain-query", partner.UserQuery{})
		measure("search-q=tan", partner.UserQuery{Q: "tan"})
		measure("search-q=ケン-finds-ｹﾝ", partner.UserQuery{Q: "ケン"})
	}
}
