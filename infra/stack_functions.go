package main

import (
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/schedules"
	"github.com/pbs/benefits/shared/table"
)

// DynamoDB actions. A transaction (TransactWriteItems) is authorized per
// item: Put needs PutItem, Update UpdateItem, Delete DeleteItem and
// ConditionCheck ConditionCheckItem. BatchWriteItem and BatchGetItem are
// actions of their own. The table has no stream, so no stream actions.
const (
	ddbGet            = "dynamodb:GetItem"
	ddbQuery          = "dynamodb:Query"
	ddbPut            = "dynamodb:PutItem"
	ddbUpdate         = "dynamodb:UpdateItem"
	ddbDelete         = "dynamodb:DeleteItem"
	ddbConditionCheck = "dynamodb:ConditionCheckItem"
	ddbBatchWrite     = "dynamodb:BatchWriteItem"
	ddbBatchGet       = "dynamodb:BatchGetItem"
)

// grants is what one function may do beyond writing its own logs.
type grants struct {
	// table: the DynamoDB actions it may call on the table, from the store
	// methods its handlers reach (shared/store). Every function may GetItem
	// and Query. An unknown function gets only those.
	table []string
	// readsIndex: Query on the GSI1 index (due mail, due grants, expiry
	// days, service requests, one benefit's history).
	readsIndex bool
	// readsHoldings: Query on the GSI2 index (a partner's live support and
	// advisory lines, contract and best plan).
	readsHoldings bool
	// sendsMail: ses:SendEmail on the sender identity and the configuration
	// set only, plus SES_FROM_ADDRESS and SES_CONFIGURATION_SET.
	sendsMail bool
	// readsSigningKey: secretsmanager:GetSecretValue on the licence signing
	// secret only, plus LICENSE_SIGNING_SECRET_ARN.
	readsSigningKey bool
	// invokesItself: lambda:InvokeFunction on its own ARN, for a job that
	// hands the rest of a run to an asynchronous continuation.
	invokesItself bool
	// timeout overrides the default of its kind (seconds).
	timeout int
}

// idempotency is what every HTTP function's router needs for Idempotency-Key
// (shared/httpapi, store.ClaimIdempotency and friends): PutItem to claim,
// GetItem to read a claim, UpdateItem to complete, DeleteItem to release.
var idempotency = []string{ddbGet, ddbQuery, ddbPut, ddbUpdate, ddbDelete}

func with(base []string, more ...string) []string { return append(slices.Clone(base), more...) }

// functionGrants lists the needs of the HTTP functions and scheduled jobs.
// Functions that owe an email only queue it in the outbox, in the same
// transaction as the state change; send-mail alone talks to SES.
// The table actions follow the store methods each function's routes reach;
// when a handler starts calling a store method that uses another action,
// add the action here and in TestLeastPrivilege.
var functionGrants = map[string]grants{
	// Dashboard, catalogue, ledger, seats, history (GSI1 for one benefit's),
	// support activation, incidents and advisory hours (transactions of
	// Put and Update).
	"benefits": {table: idempotency, readsIndex: true, readsHoldings: true},
	// Purchases: Put lines and outbox mail, ConditionCheck the partner.
	"purchases": {table: with(idempotency, ddbConditionCheck)},
	// Directory users: Put user and email, ConditionCheck the partner.
	"users": {table: with(idempotency, ddbConditionCheck)},
	// Allocates keys from the pools (Delete FREE#, Update KEY# and the line),
	// redeems licences; the only reader of the signing secret.
	"get-key": {table: idempotency, readsSigningKey: true},
	// Partners, catalogue, key imports (transactions), service requests (GSI1).
	"admin": {table: idempotency, readsIndex: true},
	// Finds due mail on GSI1, claims it and marks it sent or failed
	// (conditional UpdateItem), and sends it through SES.
	"send-mail": {table: []string{ddbGet, ddbQuery, ddbUpdate}, readsIndex: true, sendsMail: true},
	// Credit and Visual Studio seats: conditional transactions on credits,
	// seats and users (ConditionCheck), directory users by BatchGetItem.
	"assign-user": {table: with(idempotency, ddbConditionCheck, ddbBatchGet)},
	// Reads the due index and updates up to hundreds of thousands of credits:
	// Lambda's longest timeout, then a continuation.
	"monthly-credit-grant": {table: []string{ddbGet, ddbQuery, ddbUpdate}, readsIndex: true, invokesItself: true, timeout: 900},
	// The marketing contact (ConditionCheck the user), offer activation and
	// the public confirm page; global admins by BatchGetItem.
	"activate-gtm": {table: with(idempotency, ddbConditionCheck, ddbBatchGet)},
	// Reads the purchase with its lines and partner (GetItem, BatchGetItem)
	// and cancels it in one transaction; finish-cancellations releases.
	"request-cancel": {table: with(idempotency, ddbBatchGet)},
	// Reads 62 days of the expiry index and writes what is due; finishes
	// cancellations left pending (BatchGetItem, BatchWriteItem). A day's
	// work is conditional writes, so a run near its timeout hands the rest
	// to a continuation of itself, which finishes it exactly.
	"expire-benefits": {table: []string{ddbGet, ddbQuery, ddbPut, ddbUpdate, ddbBatchGet, ddbBatchWrite}, readsIndex: true, invokesItself: true, timeout: 300},
	// Every minute: the pending releases on GSI1, each purchase read by key
	// (GetItem, BatchGetItem), its seats by Query, the holders' offers and
	// the purchase updated, the seat items deleted with BatchWriteItem.
	"finish-cancellations": {table: []string{ddbGet, ddbQuery, ddbBatchGet, ddbUpdate, ddbBatchWrite}, readsIndex: true},
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
	// Log retention of the functions and the API's access log.
	logRetention = awslogs.RetentionDays_ONE_MONTH
)

// functionNames lists every function the stack deploys: the HTTP functions,
// then the scheduled jobs. `make build` must have built each one.
func functionNames() []string {
	return append(routes.Functions(), schedules.Names()...)
}

// newServiceFunction builds the function name, an HTTP function or a job,
// with what functionGrants gives it: env plus the variables its grants
// need, its timeout, and the role's statements.
func (b *builder) newServiceFunction(name string, env map[string]*string, timeout int, skips ...skip) awslambda.Function {
	g, ok := functionGrants[name]
	if !ok {
		g = grants{table: []string{ddbGet, ddbQuery}}
	}
	if g.timeout > 0 {
		timeout = g.timeout
	}
	fn := b.newFunction(name, b.props.Code(name), b.functionEnv(g, env), timeout, skips...)
	b.grant(name, fn, g)
	return fn
}

// functionEnv is env plus the sender and configuration set of a function
// that sends mail and the secret's ARN of the one that reads the signing key.
func (b *builder) functionEnv(g grants, env map[string]*string) map[string]*string {
	env = maps.Clone(env)
	if g.sendsMail {
		env["SES_FROM_ADDRESS"] = jsii.String(b.props.SESFromAddress)
		env["SES_CONFIGURATION_SET"] = b.mail.configSet.ConfigurationSetName()
	}
	if g.readsSigningKey {
		env["LICENSE_SIGNING_SECRET_ARN"] = b.signingKey.SecretArn()
	}
	return env
}

// grant adds g to fn's role: exactly the actions the function's code calls,
// each on the one resource it calls them on.
func (b *builder) grant(name string, fn awslambda.Function, g grants) {
	if g.invokesItself {
		// A separate policy, not the role's default one: the function
		// depends on its default policy, so naming the function's ARN
		// there would be a circular reference.
		awsiam.NewPolicy(b.stack, jsii.String(pascal(name)+"ContinuePolicy"), &awsiam.PolicyProps{
			Roles:      &[]awsiam.IRole{fn.Role()},
			Statements: &[]awsiam.PolicyStatement{allowOn([]*string{fn.FunctionArn()}, "lambda:InvokeFunction")},
		})
	}
	// On the table and, for Query, on the one index it reads; never
	// tbl.Grants(), whose read/write sets include scans, batch calls and
	// stream actions.
	fn.AddToRolePolicy(allowOn([]*string{b.table.TableArn()}, g.table...))
	for _, ix := range []struct {
		name  string
		reads bool
	}{{table.GSI1, g.readsIndex}, {table.GSI2, g.readsHoldings}} {
		if ix.reads {
			indexARN := awscdk.Fn_Join(jsii.String(""), &[]*string{b.table.TableArn(), jsii.String("/index/" + ix.name)})
			fn.AddToRolePolicy(allowOn([]*string{indexARN}, ddbQuery))
		}
	}
	if g.sendsMail {
		// Only the SES v2 SendEmail action (not SendRawEmail), only from
		// this identity and with this configuration set: SES checks both.
		fn.AddToRolePolicy(allowOn([]*string{b.mail.identity.EmailIdentityArn(), b.mail.configSetARN}, "ses:SendEmail"))
	}
	if g.readsSigningKey {
		// GetSecretValue only (not DescribeSecret or the KMS grants of
		// secret.GrantRead: the secret uses the AWS managed key).
		fn.AddToRolePolicy(allowOn([]*string{b.signingKey.SecretArn()}, "secretsmanager:GetSecretValue"))
	}
}

// allowOn is a statement allowing actions on resources.
func allowOn(resources []*string, actions ...string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	})
}

// newFunction builds one Lambda function with its own log group and a role
// that may write only to that log group; callers add the other grants.
func (b *builder) newFunction(name string, code awslambda.Code, env map[string]*string, timeout int, skips ...skip) awslambda.Function {
	id := pascal(name)
	logs := b.newLogGroup(id + "Logs")
	// Instead of AWSLambdaBasicExecutionRole (logs:CreateLogGroup on *): the
	// log group already exists, so the function only writes to it.
	role := awsiam.NewRole(b.stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Execution role of the " + name + " function"),
	})
	logs.Grants().Write(role)
	// Active tracing records each invocation (init, handler, overhead) in
	// X-Ray; CDK grants xray:PutTraceSegments and PutTelemetryRecords,
	// which X-Ray authorizes only on "*".
	tracing := awslambda.Tracing_DISABLED
	if b.props.Tracing {
		tracing = awslambda.Tracing_ACTIVE
	}
	fn := awslambda.NewFunction(b.stack, jsii.String(id+"Function"), &awslambda.FunctionProps{
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
		Tracing:       tracing,
		// Lambda passes these to the runtime as AWS_LAMBDA_LOG_FORMAT and
		// AWS_LAMBDA_LOG_LEVEL, which aws-lambda-go's slog handler honours.
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
	})
	checkov(fn, append([]skip{skipVPC, skipEnvKMS}, skips...)...)

	// Errors: the handler failed (panic, timeout, returned error; HTTP
	// handlers answer problem+json instead, so any error is a bug or a
	// crash). Throttles: Lambda refused an invocation for lack of concurrency.
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	b.anyAbove(id+"ErrorsAlarm", name+"-errors", name+": the function failed; see its log group",
		fn.MetricErrors(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}))
	b.anyAbove(id+"ThrottlesAlarm", name+"-throttles", name+": Lambda throttled invocations (account or function concurrency exhausted)",
		fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}))
	return fn
}
