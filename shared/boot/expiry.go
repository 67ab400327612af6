package boot

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/expiry"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
)

// NewExpiryJob wires the expire-benefits job over a DynamoDB client.
func NewExpiryJob(tableName string, db store.API, log *slog.Logger) *expiry.Job {
	return &expiry.Job{Store: store.New(db, tableName), NewID: ids.New, Log: log}
}

// ExpiryHandler is the expire-benefits function: each scheduled invocation
// runs the job at the clock's now. An error fails the invocation; the next
// run (or Lambda's retry) picks up where it stopped, since every step is
// conditional.
func ExpiryHandler(job *expiry.Job, clk clock.Clock, log *slog.Logger) func(context.Context, events.EventBridgeEvent) (expiry.Summary, error) {
	return func(ctx context.Context, _ events.EventBridgeEvent) (expiry.Summary, error) {
		sum, err := job.Run(ctx, clk.Now())
		if err != nil {
			log.ErrorContext(ctx, "expire benefits", "error", err.Error(), "expired", sum.Expired)
			return sum, err
		}
		log.InfoContext(ctx, "expired benefits", "date", sum.Date, "expired", sum.Expired, "reminded30", sum.Reminded30,
			"reminded7", sum.Reminded7, "emails", sum.Emails)
		return sum, nil
	}
}

// ExpireBenefits builds the handler from the environment (TABLE_NAME); any
// error is fatal at cold start.
func ExpireBenefits(ctx context.Context) func(context.Context, events.EventBridgeEvent) (expiry.Summary, error) {
	var tableName string
	c := coldStart(ctx, tableFromEnv(&tableName))
	return ExpiryHandler(NewExpiryJob(tableName, c.db, c.log), clock.System{}, c.log)
}
