package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/schedules"
)

// Scheduler's retry policy: a target that cannot be invoked (throttled,
// deleted, denied) is retried this often within this time, then the event
// goes to the job's dead-letter queue.
const (
	scheduleRetryAttempts = 3
	scheduleMaxEventAge   = 1 // hour
)

// asyncInvoke is how Lambda treats an asynchronous invocation of a job
// (Scheduler's, and the grant job's own continuation) whose handler fails:
// it retries it this often, drops it after this age, and then sends the
// event and the error to the job's on-failure queue.
type asyncInvoke struct {
	retries       int
	maxAgeMinutes int
}

// defaultAsyncInvoke: the grant and expiry jobs are idempotent (every write
// is conditional), so Lambda's two retries are safe and usually enough.
var defaultAsyncInvoke = asyncInvoke{retries: 2, maxAgeMinutes: 6 * 60}

var jobAsyncInvoke = map[string]asyncInvoke{
	// The next minute's run is the retry: a Lambda retry would only overlap it.
	"send-mail":            {retries: 0, maxAgeMinutes: 15},
	"finish-cancellations": {retries: 0, maxAgeMinutes: 15},
}

// newJobs builds, for each job in schedules.All, its function, its
// schedule with a dead-letter queue, and its on-failure destination.
func (b *builder) newJobs() {
	env := map[string]*string{
		"TABLE_NAME": b.table.TableName(),
	}
	for _, job := range schedules.All {
		fn := b.newServiceFunction(job.Name, env, jobTimeoutSeconds, skipConcurrencyJob, skipDLQJob)
		b.newSchedule(job, fn)
		b.newOnFailure(job.Name, fn)
	}
}

// newSchedule invokes fn on job.Expression in UTC through EventBridge
// Scheduler, with a dead-letter queue for events Scheduler could not
// deliver, and an alarm on that queue.
func (b *builder) newSchedule(job schedules.Job, fn awslambda.Function) {
	id := pascal(job.Name)
	dlq := b.newQueue(id + "DLQ")
	// The payload has the shape of functions/<name>/event.json (an
	// events.EventBridgeEvent), filled in by Scheduler on each invocation.
	event := map[string]any{
		"version":     "0",
		"id":          awsscheduler.ContextAttribute_ExecutionId(),
		"detail-type": "Scheduled Event",
		"source":      "aws.scheduler",
		"account":     awscdk.Aws_ACCOUNT_ID(),
		"time":        awsscheduler.ContextAttribute_ScheduledTime(),
		"region":      awscdk.Aws_REGION(),
		"resources":   []any{awsscheduler.ContextAttribute_ScheduleArn()},
		"detail":      map[string]any{},
	}
	// Only Scheduler, for schedules in this account's default group, may
	// assume the role; the target grants it lambda:InvokeFunction on fn (and
	// fn's versions) and sqs:SendMessage on dlq, and nothing else.
	role := awsiam.NewRole(b.stack, jsii.String(id+"ScheduleRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"aws:SourceAccount": b.stack.Account(),
				"aws:SourceArn": b.stack.FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("scheduler"), Resource: jsii.String("schedule-group"), ResourceName: jsii.String("default"),
				}),
			}},
		}),
		Description: jsii.String("Lets EventBridge Scheduler invoke the " + job.Name + " function"),
	})
	target := awsschedulertargets.NewLambdaInvoke(fn, &awsschedulertargets.ScheduleTargetBaseProps{
		Role:            role,
		Input:           awsscheduler.ScheduleTargetInput_FromObject(event),
		DeadLetterQueue: dlq,
		RetryAttempts:   jsii.Number(scheduleRetryAttempts),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(scheduleMaxEventAge)),
	})
	awsscheduler.NewSchedule(b.stack, jsii.String(id+"Schedule"), &awsscheduler.ScheduleProps{
		Description: jsii.String(job.Name + ": " + job.Description),
		Schedule:    awsscheduler.ScheduleExpression_Expression(jsii.String(job.Expression), awscdk.TimeZone_ETC_UTC()),
		Target:      target,
		TimeWindow:  awsscheduler.TimeWindow_Off(),
	})
	b.anyAbove(id+"DLQAlarm", job.Name+"-undelivered", job.Name+": Scheduler could not invoke the function; the events wait in its dead-letter queue",
		dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}))
}

// newOnFailure sends the asynchronous invocations of a job that failed
// after Lambda's retries (or grew too old) to a queue, with the event and
// the error, and alarms on it. The role gets sqs:SendMessage on that queue
// only, which the destination needs.
func (b *builder) newOnFailure(name string, fn awslambda.Function) {
	id := pascal(name)
	q := b.newQueue(id + "OnFailureQueue")
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: &[]*string{q.QueueArn()},
	}))
	cfg, ok := jobAsyncInvoke[name]
	if !ok {
		cfg = defaultAsyncInvoke
	}
	invokeConfig := awslambda.NewCfnEventInvokeConfig(b.stack, jsii.String(id+"AsyncInvoke"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             fn.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(cfg.retries),
		MaximumEventAgeInSeconds: jsii.Number(cfg.maxAgeMinutes * 60),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: q.QueueArn()},
		},
	})
	// Lambda checks the destination permission when the config is created.
	invokeConfig.Node().AddDependency(fn.Role())
	b.anyAbove(id+"OnFailureAlarm", name+"-failed-runs", name+": a run failed after Lambda's retries; the event and the error wait in its on-failure queue",
		q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}))
}

// newQueue is a dead-letter or on-failure queue: SSE-SQS, TLS only, 14 days.
func (b *builder) newQueue(id string) awssqs.Queue {
	q := awssqs.NewQueue(b.stack, jsii.String(id), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	checkov(q, skipQueueKMS)
	return q
}
