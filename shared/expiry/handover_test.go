package expiry_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/expiry"
)

// tickingStore is a fakeStore whose every Expire takes a second of the
// wall clock the job checks its deadline against.
type tickingStore struct {
	*fakeStore
	wall *time.Time
}

func (t tickingStore) Expire(ctx context.Context, b benefit.Benefit, now time.Time, ev *audit.Event) error {
	*t.wall = t.wall.Add(time.Second)
	return t.fakeStore.Expire(ctx, b, now, ev)
}

// TestRunHandsOverBeforeItsDeadline: a day with more expiring lines than a
// run has time for stops Margin before the deadline, hands over to a
// continuation (counted, at most MaxContinuations), and the continuation
// finishes exactly: every line expired once, every reminder sent once.
func TestRunHandsOverBeforeItsDeadline(t *testing.T) {
	var lines []benefit.Benefit
	for i := range 50 {
		lines = append(lines, line(fmt.Sprintf("ben_%02d", i), "ptn_a", now.Add(-time.Hour)))
	}
	lines = append(lines, line("ben_soon", "ptn_b", now.AddDate(0, 0, 5)))
	fs := newStore(lines...)
	wall := time.Unix(1_800_000_000, 0)
	st := tickingStore{fakeStore: fs, wall: &wall}
	var handed []expiry.Request
	j := &expiry.Job{Store: st, NewID: job(fs).NewID, Margin: 10 * time.Second, Wall: func() time.Time { return wall },
		Continue: func(_ context.Context, r expiry.Request) error { handed = append(handed, r); return nil }}

	total := 0
	req := expiry.Request{}
	for run := 0; ; run++ {
		if run > 5 {
			t.Fatalf("still not complete after %d runs", run)
		}
		// Each run gets 30 s of wall clock: 20 lines, then the margin.
		ctx, cancel := context.WithDeadline(context.Background(), wall.Add(30*time.Second))
		sum, err := j.Run(ctx, req, now)
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		total += sum.Expired
		if sum.Complete {
			if sum.Continued || sum.Reminded7 != 1 {
				t.Errorf("last run %+v: want complete, not continued, the reminder sent", sum)
			}
			break
		}
		if !sum.Continued || sum.Expired != 20 || len(handed) != run+1 || handed[run].Continuation != run+1 {
			t.Fatalf("run %d: %+v, handed over %v; want 20 expired and continuation %d", run, sum, handed, run+1)
		}
		req = handed[run]
	}
	if total != 50 || len(fs.events) != 50 || len(fs.mails) != 1 {
		t.Errorf("expired %d (%d events), %d mails; want 50, 50, 1", total, len(fs.events), len(fs.mails))
	}

	// A chain past MaxContinuations stops with an error instead of looping.
	fs2 := newStore(lines[:30]...)
	wall = time.Unix(1_900_000_000, 0)
	j.Store = tickingStore{fakeStore: fs2, wall: &wall}
	ctx, cancel := context.WithDeadline(context.Background(), wall.Add(15*time.Second))
	defer cancel()
	if _, err := j.Run(ctx, expiry.Request{Continuation: expiry.MaxContinuations}, now); err == nil {
		t.Error("run at MaxContinuations with work left: no error")
	}
}
