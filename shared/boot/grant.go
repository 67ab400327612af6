package boot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/store"
)

// InvokeAPI is what a job uses to continue itself: an asynchronous (Event)
// invocation of a function. shared/awslambda has the Lambda client's, apart
// so that only the jobs that continue themselves (monthly-credit-grant,
// expire-benefits) link that client (every function links
// this package).
type InvokeAPI interface {
	InvokeAsync(ctx context.Context, functionName string, payload []byte) error
}

// NewGrantJob wires the monthly-credit-grant job over a DynamoDB client.
// With invoke and a function name, a run that nears its timeout hands the
// rest to an asynchronous invocation of the same function.
func NewGrantJob(tableName string, db store.API, invoke InvokeAPI, functionName string, log *slog.Logger) *credit.Job {
	j := &credit.Job{Store: store.New(db, tableName), Log: log}
	if invoke != nil && functionName != "" {
		j.Continue = func(ctx context.Context, req credit.Request) error {
			return continueJob(ctx, invoke, functionName, req)
		}
	}
	return j
}

// continueJob invokes the function asynchronously (InvocationType Event)
// with an event shaped like Scheduler's, carrying the job's request as
// detail.
func continueJob(ctx context.Context, invoke InvokeAPI, functionName string, req any) error {
	detail, err := json.Marshal(req)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(events.EventBridgeEvent{Version: "0", DetailType: "Continuation", Source: "partner-benefits",
		Time: time.Now().UTC(), Detail: detail})
	if err != nil {
		return err
	}
	return invoke.InvokeAsync(ctx, functionName, payload)
}

// GrantHandler is the monthly-credit-grant function: the event's detail may
// name a month to (re-)run, {"period":"2026-11"}; without it the run is for
// the month of the clock's now.
func GrantHandler(job *credit.Job, clk clock.Clock) func(context.Context, events.EventBridgeEvent) (credit.Summary, error) {
	return func(ctx context.Context, ev events.EventBridgeEvent) (credit.Summary, error) {
		var req credit.Request
		if len(ev.Detail) > 0 && string(ev.Detail) != "null" {
			if err := json.Unmarshal(ev.Detail, &req); err != nil {
				return credit.Summary{}, fmt.Errorf("monthly-credit-grant: event detail: %w", err)
			}
		}
		return job.Run(ctx, req, clk.Now())
	}
}

// MonthlyCreditGrant builds the job's handler from the environment
// (TABLE_NAME; AWS_LAMBDA_FUNCTION_NAME, which Lambda sets, names the
// function to continue in); any error is fatal at cold start. newInvoke
// makes the Lambda client from the AWS configuration: the function's main
// passes awslambda.New.
func MonthlyCreditGrant[I InvokeAPI](ctx context.Context, newInvoke func(aws.Config) I) func(context.Context, events.EventBridgeEvent) (credit.Summary, error) {
	var tableName string
	c := coldStart(ctx, tableFromEnv(&tableName))
	job := NewGrantJob(tableName, c.db, newInvoke(c.cfg), os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), c.log)
	return GrantHandler(job, clock.System{})
}
