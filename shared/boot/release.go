package boot

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/store"
)

// NewReleaseJob wires the finish-cancellations job over a DynamoDB client.
func NewReleaseJob(tableName string, db store.API, log *slog.Logger) cancel.Releases {
	return cancel.Releases{Store: store.New(db, tableName), Log: log}
}

// ReleaseHandler is the finish-cancellations function: each scheduled
// invocation completes the pending releases at the clock's now. An error
// fails the invocation; what it did not finish stays pending for the next
// minute's run.
func ReleaseHandler(job cancel.Releases, clk clock.Clock, log *slog.Logger) func(context.Context, events.EventBridgeEvent) (cancel.ReleaseSummary, error) {
	return func(ctx context.Context, _ events.EventBridgeEvent) (cancel.ReleaseSummary, error) {
		sum, err := job.Run(ctx, clk.Now())
		if err != nil {
			return sum, err // Run logged it
		}
		if sum.Released > 0 {
			log.InfoContext(ctx, "finished cancellations", "released", sum.Released)
		}
		return sum, nil
	}
}

// FinishCancellations builds the handler from the environment
// (TABLE_NAME); any error is fatal at cold start.
func FinishCancellations(ctx context.Context) func(context.Context, events.EventBridgeEvent) (cancel.ReleaseSummary, error) {
	var tableName string
	c := coldStart(ctx, tableFromEnv(&tableName))
	return ReleaseHandler(NewReleaseJob(tableName, c.db, c.log), clock.System{}, c.log)
}
