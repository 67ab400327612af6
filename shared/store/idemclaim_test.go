package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
)

// TestIdempotencyClaimInCommit: a claim on the context rides in the
// commit transaction (CreateUser here): it is written with the work, a
// second commit under the same key writes nothing and reports the record,
// a committed record is never taken over (not even by the classic claim),
// and only its owner's reply completes it.
func TestIdempotencyClaimInCommit(t *testing.T) {
	s, calls := newStore(t)
	ctx := context.Background()
	const lock, keep = time.Minute, 24 * time.Hour
	p := mustPartner(t, s, "ptn_claim")
	n := 0
	add := func(c *store.IdempotencyClaim) error {
		n++
		u, err := partner.NewUser(partner.User{ID: fmt.Sprintf("usr_claim_%d", n), PartnerID: p.ID, Email: fmt.Sprintf("u%d@claim.example", n), DisplayName: "U", CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		return s.CreateUser(store.WithIdempotencyClaim(ctx, c), u)
	}
	outcome := func(c *store.IdempotencyClaim) (store.ClaimOutcome, *store.IdempotencyRecord) { return c.Outcome() }

	first := store.NewIdempotencyClaim("p/u", "k", "h1", now, lock, keep)
	calls.Reset()
	if err := add(first); err != nil {
		t.Fatal(err)
	}
	if got := calls.Reset(); got["TransactWriteItems"] != 1 || len(got) != 1 {
		t.Errorf("calls %v, want the one transaction", got)
	}
	if o, _ := outcome(first); o != store.ClaimWritten {
		t.Fatalf("first: outcome %v, want written", o)
	}
	// The same key again, same request and another, now and after the lock.
	for _, tc := range []struct {
		hash string
		at   time.Time
	}{{"h1", now}, {"h2", now}, {"h1", now.Add(2 * lock)}} {
		c := store.NewIdempotencyClaim("p/u", "k", tc.hash, tc.at, lock, keep)
		if err := add(c); !errors.Is(err, store.ErrIdempotencyKeyTaken) {
			t.Errorf("%s at %v: %v, want ErrIdempotencyKeyTaken", tc.hash, tc.at, err)
		}
		if o, rec := outcome(c); o != store.ClaimTaken || rec == nil || rec.Done || rec.RequestHash != "h1" {
			t.Errorf("%s at %v: %v %+v, want taken by the running h1", tc.hash, tc.at, o, rec)
		}
	}
	if rec, err := s.ClaimIdempotency(ctx, "p/u", "k", "h1", now.Add(2*lock), lock, keep); err != nil || rec == nil {
		t.Errorf("classic claim of a committed record after its lock: %+v %v, want it held", rec, err)
	}
	if err := s.CompleteIdempotency(ctx, "p/u", "k", "h1", 201, map[string]string{"Location": "/x"}, `{"id":"x"}`); err != nil {
		t.Fatal(err)
	}
	replay := store.NewIdempotencyClaim("p/u", "k", "h1", now, lock, keep)
	_ = add(replay)
	if o, rec := outcome(replay); o != store.ClaimTaken || rec == nil || !rec.Done || rec.Status != 201 || rec.Body != `{"id":"x"}` {
		t.Errorf("after completion: %v %+v, want the stored reply", o, rec)
	}
	users, _, err := s.Users(ctx, p.ID, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 { // the admin and the first
		t.Errorf("%d users, want 2: a taken claim writes nothing", len(users))
	}
	// Past retention the key is free again.
	late := store.NewIdempotencyClaim("p/u", "k", "h2", now.Add(keep+time.Hour), lock, keep)
	if err := add(late); err != nil {
		t.Errorf("claim past retention: %v", err)
	}

	// A refusal's reply is recorded only where no record holds the key.
	if rec, err := s.RecordIdempotency(ctx, "p/u", "refused", "h", now, keep, 422, nil, `{"code":"x"}`); err != nil || rec != nil {
		t.Fatalf("record: %+v %v", rec, err)
	}
	if rec, err := s.RecordIdempotency(ctx, "p/u", "refused", "h", now, keep, 422, nil, `{}`); err != nil || rec == nil || !rec.Done || rec.Body != `{"code":"x"}` {
		t.Errorf("second record: %+v %v, want the first", rec, err)
	}
	if err := s.CompleteIdempotency(ctx, "p/u", "none", "h", 201, nil, ""); !errors.Is(err, store.ErrIdempotencyNotHeld) {
		t.Errorf("complete without a record: %v, want ErrIdempotencyNotHeld", err)
	}
}
