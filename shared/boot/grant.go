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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/store"
)

// InvokeAPI is the part of the Lambda client a job uses to continue itself.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
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
// with an event shaped like Scheduler's, carrying the request as detail.
func continueJob(ctx context.Context, invoke InvokeAPI, functionName string, req credit.Request) error {
	detail, err := json.Marshal(req)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(events.EventBridgeEvent{Version: "0", DetailType: "Continuation", Source: "partner-benefits",
		Time: time.Now().UTC(), Detail: detail})
	if err != nil {
		return err
	}
	_, err = invoke.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(functionName),
		InvocationType: types.InvocationTypeEvent, Payload: payload})
	return err
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
// function to continue in); any error is fatal at cold start.
func MonthlyCreditGrant(ctx context.Context) func(context.Context, events.EventBridgeEvent) (credit.Summary, error) {
	log := Logger()
	tableName, err := required(os.Getenv, "TABLE_NAME")
	if err != nil {
		fatal(log, err)
	}
	cfg, err := AWSConfig(ctx)
	if err != nil {
		fatal(log, err)
	}
	job := NewGrantJob(tableName, dynamodb.NewFromConfig(cfg), lambda.NewFromConfig(cfg), os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), log)
	return GrantHandler(job, clock.System{})
}
