package cancel

import (
	"context"
	"log/slog"
	"time"
)

// ReleaseStore is what the release job needs of storage.
type ReleaseStore interface {
	// FinishCancellations completes every committed cancellation whose
	// release is pending (revokes what the commit left, releases the seats
	// and locks of its credit and Visual Studio lines and the holders'
	// credit offers), idempotently, and says how many it completed.
	FinishCancellations(ctx context.Context, now time.Time) (int, error)
}

// Releases is the finish-cancellations job. A cancellation commits in one
// transaction; releasing its seats can take hundreds of writes, so the
// job does it, every minute (shared/schedules). An idle run is one Query
// of an empty index partition.
type Releases struct {
	Store ReleaseStore
	Log   *slog.Logger
}

// ReleaseSummary is what a run did.
type ReleaseSummary struct {
	// Released counts the cancellations this run completed.
	Released int `json:"released"`
}

// Run completes the pending releases at now. A failed run leaves the rest
// marked for the next one (every step is idempotent).
func (j Releases) Run(ctx context.Context, now time.Time) (ReleaseSummary, error) {
	n, err := j.Store.FinishCancellations(ctx, now)
	if err != nil {
		j.log().ErrorContext(ctx, "finish cancellations", "released", n, "error", err.Error())
	}
	return ReleaseSummary{Released: n}, err
}

func (j Releases) log() *slog.Logger {
	if j.Log != nil {
		return j.Log
	}
	return slog.Default()
}
