package boot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/expiry"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
)

// NewExpiryJob wires the expire-benefits job over a DynamoDB client. With
// invoke and a function name, a run that nears its timeout hands the rest
// to an asynchronous invocation of the same function, as the grant job does.
func NewExpiryJob(tableName string, db store.API, invoke InvokeAPI, functionName string, log *slog.Logger) *expiry.Job {
	j := &expiry.Job{Store: store.New(db, tableName), NewID: ids.New, Log: log}
	if invoke != nil && functionName != "" {
		j.Continue = func(ctx context.Context, req expiry.Request) error {
			return continueJob(ctx, invoke, functionName, req)
		}
	}
	return j
}

// ExpiryHandler is the expire-benefits function: each scheduled invocation
// runs the job at the clock's now; a continuation's event carries its
// count as detail. An error fails the invocation; the next run (or
// Lambda's retry) picks up where it stopped, since every step is
// conditional.
func ExpiryHandler(job *expiry.Job, clk clock.Clock, log *slog.Logger) func(context.Context, events.EventBridgeEvent) (expiry.Summary, error) {
	return func(ctx context.Context, ev events.EventBridgeEvent) (expiry.Summary, error) {
		var req expiry.Request
		if len(ev.Detail) > 0 && string(ev.Detail) != "null" {
			if err := json.Unmarshal(ev.Detail, &req); err != nil {
				return expiry.Summary{}, fmt.Errorf("expire-benefits: event detail: %w", err)
			}
		}
		sum, err := job.Run(ctx, req, clk.Now())
		if err != nil {
			log.ErrorContext(ctx, "expire benefits", "error", err.Error(), "expired", sum.Expired, "continuation", req.Continuation)
			return sum, err
		}
		log.InfoContext(ctx, "expired benefits", "date", sum.Date, "expired", sum.Expired, "reminded30", sum.Reminded30,
			"reminded7", sum.Reminded7, "emails", sum.Emails, "complete", sum.Complete, "continued", sum.Continued,
			"continuation", req.Continuation)
		return sum, nil
	}
}

// ExpireBenefits builds the handler from the environment (TABLE_NAME;
// AWS_LAMBDA_FUNCTION_NAME, which Lambda sets, names the function to
// continue in); any error is fatal at cold start. newInvoke makes the
// Lambda client: the function's main passes awslambda.New.
func ExpireBenefits[I InvokeAPI](ctx context.Context, newInvoke func(aws.Config) I) func(context.Context, events.EventBridgeEvent) (expiry.Summary, error) {
	var tableName string
	c := coldStart(ctx, tableFromEnv(&tableName))
	job := NewExpiryJob(tableName, c.db, newInvoke(c.cfg), os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), c.log)
	return ExpiryHandler(job, clock.System{}, c.log)
}
