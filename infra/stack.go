package main

import (
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/schedules"
	"github.com/pbs/benefits/shared/table"
)

// StackProps configures the one stack of the service (SPEC §7).
type StackProps struct {
	awscdk.StackProps
	// JWTIssuer and JWTAudience configure the HTTP API's JWT authorizer.
	// API Gateway accepts only an https issuer.
	JWTIssuer, JWTAudience string
	// SESFromAddress is the sender of every email; the stack creates its SES
	// identity, which must be verified before SES sends from it.
	SESFromAddress string
	// KeyPoolLowWater is KEY_POOL_LOW_WATER of the HTTP functions: fewer
	// free keys than this after an allocation warns the operator; 0 never
	// warns.
	KeyPoolLowWater int
	// Code returns the deployment package of one function: in the app, the
	// folder .build/functions/<name> holding its bootstrap binary.
	Code func(function string) awslambda.Code
}

// validate checks the configuration values; NewBenefitsStack also needs Code.
func (p *StackProps) validate() error {
	var errs []error
	if u, err := url.Parse(p.JWTIssuer); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("JWT issuer %q must be an https URL", p.JWTIssuer))
	}
	if strings.TrimSpace(p.JWTAudience) == "" {
		errs = append(errs, errors.New("JWT audience is empty"))
	}
	if a, err := mail.ParseAddress(p.SESFromAddress); err != nil || a.Address != p.SESFromAddress {
		errs = append(errs, fmt.Errorf("SES from address %q must be a bare email address", p.SESFromAddress))
	}
	if p.KeyPoolLowWater < 0 {
		errs = append(errs, fmt.Errorf("key pool low water %d is negative", p.KeyPoolLowWater))
	}
	return errors.Join(errs...)
}

// grants is what one function may do beyond writing its own logs.
// The zero value, which unknown functions get, is table read/write and no mail.
type grants struct {
	tableReadOnly bool // dynamodb read actions only
	sendsMail     bool // ses:SendEmail on the sender identity only, and SES_FROM_ADDRESS
	// invokesItself: lambda:InvokeFunction on its own ARN, for a job that
	// hands the rest of a run to an asynchronous continuation.
	invokesItself bool
	// timeout overrides the default of its kind (seconds).
	timeout int
}

// functionGrants lists the needs of the HTTP functions and scheduled jobs.
// Functions that owe an email only queue it in the outbox, in the same
// transaction as the state change (SPEC §6); send-mail alone talks to SES.
var functionGrants = map[string]grants{
	// Reads, plus support activation, incidents and advisory requests.
	"benefits":  {},
	"purchases": {}, // queues receipts
	"users":     {},
	"get-key":   {}, // allocates keys from the pools
	"admin":     {}, // queues the first admin's invitation
	"send-mail": {sendsMail: true},
	// Credit seats: conditional transactions on credits, seats and users.
	"assign-user": {},
	// Reads the due index and writes grants for up to hundreds of thousands
	// of credits: Lambda's longest timeout, then a continuation.
	"monthly-credit-grant": {invokesItself: true, timeout: 900},
	// The marketing contact, offer activation and the public confirm page.
	"activate-gtm": {},
	// Cancels a purchase: one transaction, then releases its seats.
	"request-cancel": {},
	// Reads 62 days of the expiry index and writes what is due; a day's
	// work is conditional writes, so a run cut short is finished by the next.
	"expire-benefits": {timeout: 300},
}

const (
	// Go binaries need little memory, but Lambda hands out CPU in proportion
	// to memory: 256 MB doubles the CPU of 128 MB, which shortens cold starts
	// and TLS set-up to DynamoDB and SES, for a small cost per request.
	memoryMB = 256
	// Well under the HTTP API's 30 s integration limit, with room for the
	// SDK's retries of a throttled DynamoDB call.
	timeoutSeconds = 10
	// A key-pool import of 100,000 keys is 2,000 transactions; the admin
	// function gets the HTTP API's whole 29 s so one request can carry it.
	adminTimeoutSeconds = 29
	// Scheduled jobs have no caller waiting. send-mail stops claiming
	// shortly before its deadline and its leases (2 min) outlast a run, so
	// a run that overlaps the next minute's never sends a message twice.
	jobTimeoutSeconds = 60
)

// Scheduler's retry policy: a target that cannot be invoked (throttled,
// deleted, denied) is retried this often within this time, then the event
// goes to the job's dead-letter queue.
const (
	scheduleRetryAttempts = 3
	scheduleMaxEventAge   = 1 // hour
)

// functionNames lists every function the stack deploys: the HTTP functions,
// then the scheduled jobs. `make build` must have built each one.
func functionNames() []string {
	return append(routes.Functions(), schedules.Names()...)
}

// NewBenefitsStack builds the table, the HTTP API with its JWT authorizer,
// one arm64 provided.al2023 function per name in routes.Functions(), one
// API route per entry in routes.All, the SES sender identity, and for each
// job in schedules.All a function, an EventBridge Scheduler schedule, a
// dead-letter queue and alarms.
// It panics when props are invalid, as CDK constructors do.
func NewBenefitsStack(scope constructs.Construct, id string, props *StackProps) awscdk.Stack {
	if err := props.validate(); err != nil {
		panic(fmt.Errorf("NewBenefitsStack: %w", err))
	}
	if props.Code == nil {
		panic("NewBenefitsStack: StackProps.Code is nil")
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)

	tbl := newTable(stack)

	// An email identity must be verified (a link SES mails to the address);
	// a domain identity with DKIM (awsses.Identity_Domain) can replace it
	// without touching the grants below.
	sender := awsses.NewEmailIdentity(stack, jsii.String("Sender"), &awsses.EmailIdentityProps{
		Identity: awsses.Identity_Email(jsii.String(props.SESFromAddress)),
	})

	// Log levels come from the functions' logging config (newFunction).
	// LICENSE_SIGNING_SEED stays unset: a secret has no place in the
	// template, and without it signed-key products answer 503 (README.md).
	httpEnv := map[string]*string{
		"TABLE_NAME":         tbl.TableName(),
		"KEY_POOL_LOW_WATER": jsii.String(strconv.Itoa(props.KeyPoolLowWater)),
	}
	jobEnv := map[string]*string{
		"TABLE_NAME": tbl.TableName(),
	}
	build := func(name string, env map[string]*string, timeout int) awslambda.Function {
		g := functionGrants[name]
		env = maps.Clone(env)
		if g.sendsMail {
			env["SES_FROM_ADDRESS"] = jsii.String(props.SESFromAddress)
		}
		if g.timeout > 0 {
			timeout = g.timeout
		}
		fn := newFunction(stack, name, props.Code(name), env, timeout)
		if g.invokesItself {
			// A separate policy, not the role's default one: the function
			// depends on its default policy, so naming the function's ARN
			// there would be a circular reference.
			awsiam.NewPolicy(stack, jsii.String(pascal(name)+"ContinuePolicy"), &awsiam.PolicyProps{
				Roles: &[]awsiam.IRole{fn.Role()},
				Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Actions:   jsii.Strings("lambda:InvokeFunction"),
					Resources: jsii.Strings(*fn.FunctionArn()),
				})},
			})
		}
		if g.tableReadOnly {
			tbl.Grants().ReadData(fn)
		} else {
			tbl.Grants().ReadWriteData(fn)
		}
		if g.sendsMail {
			// Only the SES v2 SendEmail action, only from this identity
			// (GrantSendEmail would add ses:SendRawEmail). A configuration
			// set, if one is ever used, needs its ARN granted here too.
			sender.Grant(fn, jsii.String("ses:SendEmail"))
		}
		return fn
	}

	functions := map[string]awslambda.Function{}
	for _, name := range routes.Functions() {
		timeout := timeoutSeconds
		if name == "admin" {
			timeout = adminTimeoutSeconds
		}
		functions[name] = build(name, httpEnv, timeout)
	}
	api := newAPI(stack, props, functions)
	// Emailed confirmation links point at the API (the function trims the
	// trailing slash of the URL).
	functions["activate-gtm"].AddEnvironment(jsii.String("PUBLIC_BASE_URL"), api.Url(), nil)

	var alarms []awscloudwatch.Alarm
	for _, job := range schedules.All {
		fn := build(job.Name, jobEnv, jobTimeoutSeconds)
		alarms = append(alarms, newSchedule(stack, job, fn)...)
	}

	// Extension points for later issues, deliberately not built yet:
	//   - alarms on the HTTP functions' Errors/Throttles and the API's 5xx;
	//   - an SNS topic for the alarms: create it here and, for each alarm,
	//     a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic)).

	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the HTTP API (routes start with /v1)"),
		Value:       api.Url(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("DynamoDB table of the service"),
		Value:       tbl.TableName(),
	})
	alarmNames := make([]*string, len(alarms))
	for i, a := range alarms {
		alarmNames[i] = a.AlarmName()
	}
	awscdk.NewCfnOutput(stack, jsii.String("AlarmNames"), &awscdk.CfnOutputProps{
		Description: jsii.String("CloudWatch alarms of the scheduled jobs; none has an action yet"),
		Value:       awscdk.Fn_Join(jsii.String(","), &alarmNames),
	})
	return stack
}

// newTable builds the table from table.Table. It uses NewTable, which
// synthesizes AWS::DynamoDB::Table, rather than NewTableV2, whose
// AWS::DynamoDB::GlobalTable nests PITR under Replicas: the plain table keeps
// the template (and its assertions) flat, matches what the local tooling
// creates in DynamoDB Local, and is what LocalStack and SAM handle best.
func newTable(scope constructs.Construct) awsdynamodb.Table {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	def := table.Table
	tbl := awsdynamodb.NewTable(scope, jsii.String("Table"), &awsdynamodb.TableProps{
		// No TableName: CloudFormation names it and functions read TABLE_NAME.
		PartitionKey: str(def.PartitionKey),
		SortKey:      str(def.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String(def.TTLAttribute),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
	})
	for _, ix := range def.Indexes {
		tbl.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   str(ix.PartitionKey),
			SortKey:        str(ix.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return tbl
}

// newFunction builds one Lambda function with its own log group and a role
// that may write only to that log group; callers add table and mail grants.
func newFunction(scope constructs.Construct, name string, code awslambda.Code, env map[string]*string, timeout int) awslambda.Function {
	id := pascal(name)
	logs := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
	})
	// Instead of AWSLambdaBasicExecutionRole (logs:CreateLogGroup on *): the
	// log group already exists, so the function only writes to it.
	role := awsiam.NewRole(scope, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Execution role of the " + name + " function"),
	})
	logs.Grants().Write(role)
	return awslambda.NewFunction(scope, jsii.String(id+"Function"), &awslambda.FunctionProps{
		Description:   jsii.String("Partner benefits: " + name),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          code,
		MemorySize:    jsii.Number(memoryMB),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(timeout)),
		Environment:   &env,
		Role:          role,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		// Lambda passes these to the runtime as AWS_LAMBDA_LOG_FORMAT and
		// AWS_LAMBDA_LOG_LEVEL, which aws-lambda-go's slog handler honours.
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
	})
}

// newSchedule invokes fn on job.Expression in UTC through EventBridge
// Scheduler and returns the job's alarms: events Scheduler could not
// deliver (in the dead-letter queue) and runs that failed (fn's Errors).
func newSchedule(scope constructs.Construct, job schedules.Job, fn awslambda.Function) []awscloudwatch.Alarm {
	id := pascal(job.Name)
	dlq := awssqs.NewQueue(scope, jsii.String(id+"DLQ"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
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
	stack := awscdk.Stack_Of(scope)
	role := awsiam.NewRole(scope, jsii.String(id+"ScheduleRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"aws:SourceAccount": stack.Account(),
				"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
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
	awsscheduler.NewSchedule(scope, jsii.String(id+"Schedule"), &awsscheduler.ScheduleProps{
		Description: jsii.String(job.Name + ": " + job.Description),
		Schedule:    awsscheduler.ScheduleExpression_Expression(jsii.String(job.Expression), awscdk.TimeZone_ETC_UTC()),
		Target:      target,
		TimeWindow:  awsscheduler.TimeWindow_Off(),
	})

	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	anyAbove := func(alarmID, description string, metric awscloudwatch.IMetric) awscloudwatch.Alarm {
		return awscloudwatch.NewAlarm(scope, jsii.String(alarmID), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(0),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	return []awscloudwatch.Alarm{
		anyAbove(id+"DLQAlarm", job.Name+": Scheduler could not invoke the function; the events wait in its dead-letter queue",
			dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
				Period: fiveMinutes, Statistic: jsii.String("Maximum"),
			})),
		anyAbove(id+"ErrorsAlarm", job.Name+": a run failed; see the function's logs",
			fn.MetricErrors(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")})),
	}
}

// newAPI builds the HTTP API and one route per entry in routes.All: Public
// routes have no authorizer, every other route the JWT authorizer.
func newAPI(scope constructs.Construct, props *StackProps, functions map[string]awslambda.Function) awsapigatewayv2.HttpApi {
	api := awsapigatewayv2.NewHttpApi(scope, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName:     jsii.String(*awscdk.Stack_Of(scope).StackName() + "-api"),
		Description: jsii.String("Partner benefits service"),
		// Tokens travel in the Authorization header, never in cookies, so
		// any origin may call without credentials.
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings("*"),
			AllowHeaders: jsii.Strings("Authorization", "Content-Type", "Idempotency-Key"),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{
				awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST,
				awsapigatewayv2.CorsHttpMethod_PUT, awsapigatewayv2.CorsHttpMethod_DELETE,
				awsapigatewayv2.CorsHttpMethod_OPTIONS,
			},
			MaxAge: awscdk.Duration_Hours(jsii.Number(1)),
		},
	})

	jwt := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("JWTAuthorizer"), jsii.String(props.JWTIssuer),
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{
			JwtAudience:    jsii.Strings(props.JWTAudience),
			IdentitySource: jsii.Strings("$request.header.Authorization"),
		})
	none := awsapigatewayv2.NewHttpNoneAuthorizer()

	// One integration per function, shared by its routes. Each route still
	// adds its own Lambda permission, scoped to that route's path.
	integrations := map[string]awsapigatewayv2integrations.HttpLambdaIntegration{}
	for _, r := range routes.All {
		integ, ok := integrations[r.Function]
		if !ok {
			integ = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(pascal(r.Function)+"Integration"),
				functions[r.Function], &awsapigatewayv2integrations.HttpLambdaIntegrationProps{
					PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
				})
			integrations[r.Function] = integ
		}
		var auth awsapigatewayv2.IHttpRouteAuthorizer = jwt
		if r.Access == routes.Public {
			auth = none
		}
		awsapigatewayv2.NewHttpRoute(api, jsii.String(routeID(r)), &awsapigatewayv2.HttpRouteProps{
			HttpApi:     api,
			RouteKey:    awsapigatewayv2.HttpRouteKey_With(jsii.String(r.Path), awsapigatewayv2.HttpMethod(r.Method)),
			Integration: integ,
			Authorizer:  auth,
		})
	}
	return api
}

// routeID turns "GET /v1/purchases/{id}" into "GET-v1-purchases-id".
func routeID(r routes.Route) string {
	path := strings.NewReplacer("{", "", "}", "", "/", "-").Replace(r.Path)
	return r.Method + path
}

// pascal turns "request-cancel" into "RequestCancel" for construct ids.
func pascal(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}
