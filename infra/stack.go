package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/console"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/schedules"
	"github.com/pbs/benefits/shared/table"
)

// Stages the app deploys. Every stage is a stack of its own
// (PartnerBenefits-<stage>) whose resources have generated or stage-prefixed
// names, so stages deploy side by side in one account and region.
const (
	stageDev  = "dev"  // disposable: `make destroy STAGE=dev` removes its data too
	stageProd = "prod" // production: data retained, deletion protection, termination protection
)

var stages = []string{stageDev, stageProd}

// StackProps configures the one stack of the service.
type StackProps struct {
	awscdk.StackProps
	// Stage is dev or prod. prod retains the table, the signing secret and
	// the logs when the stack is deleted, and turns on the table's deletion
	// protection; dev can be destroyed entirely.
	Stage string
	// JWTIssuer and JWTAudience configure the HTTP API's JWT authorizer.
	// API Gateway accepts only an https issuer.
	JWTIssuer, JWTAudience string
	// SESFromAddress is the sender of every email; the stack creates its SES
	// identity, which must be verified before SES sends from it.
	SESFromAddress string
	// KeyPoolLowWater is KEY_POOL_LOW_WATER of the HTTP functions: fewer
	// free keys than this after an allocation warns the operator; 0 never
	// warns. The key pool alarm uses the same mark.
	KeyPoolLowWater int
	// CORSOrigins are the origins browsers may call the API from: "*" alone,
	// or scheme://host[:port] origins.
	CORSOrigins []string
	// AlarmEmail, if set, is subscribed to the alarm topic (SNS mails a
	// confirmation link first).
	AlarmEmail string
	// Tracing turns on X-Ray active tracing of every function.
	Tracing bool
	// ThrottleRate (requests per second, steady) and ThrottleBurst cap every
	// route of the API's stage; API Gateway answers 429 above them.
	ThrottleRate  float64
	ThrottleBurst int
	// Code returns the deployment package of one function: in the app, the
	// folder .build/functions/<name> holding its bootstrap binary.
	Code func(function string) awslambda.Code
	// Console is the console's /config.json: OIDC sign-in through the
	// issuer's hosted login, and APIBase "" because CloudFront serves the
	// console and the API (/v1/*) on one origin.
	Console console.Config
	// ConsoleAssets returns the built console (index.html, modules, CSS):
	// in the app, the folder .build/web that `make web` writes.
	ConsoleAssets func() awss3deployment.ISource
}

// validate checks the configuration values; NewBenefitsStack also needs
// Code and ConsoleAssets.
func (p *StackProps) validate() error {
	var errs []error
	if !slices.Contains(stages, p.Stage) {
		errs = append(errs, fmt.Errorf("stage %q must be one of %s", p.Stage, strings.Join(stages, ", ")))
	}
	if u, err := url.Parse(p.JWTIssuer); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("JWT issuer %q must be an https URL", p.JWTIssuer))
	}
	if strings.TrimSpace(p.JWTAudience) == "" {
		errs = append(errs, errors.New("JWT audience is empty"))
	}
	if !bareAddress(p.SESFromAddress) {
		errs = append(errs, fmt.Errorf("SES from address %q must be a bare email address", p.SESFromAddress))
	}
	if p.KeyPoolLowWater < 0 {
		errs = append(errs, fmt.Errorf("key pool low water %d is negative", p.KeyPoolLowWater))
	}
	if err := validOrigins(p.CORSOrigins); err != nil {
		errs = append(errs, err)
	}
	if p.AlarmEmail != "" && !bareAddress(p.AlarmEmail) {
		errs = append(errs, fmt.Errorf("alarm email %q must be a bare email address", p.AlarmEmail))
	}
	if !(p.ThrottleRate > 0) {
		errs = append(errs, fmt.Errorf("API throttle rate %v must be above 0", p.ThrottleRate))
	}
	if p.ThrottleBurst < 1 {
		errs = append(errs, fmt.Errorf("API throttle burst %d must be at least 1", p.ThrottleBurst))
	}
	if err := validConsole(p.Console); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func bareAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// validOrigins accepts "*" alone or a list of origins (scheme://host[:port],
// no path), which is what API Gateway's CORS configuration compares.
func validOrigins(origins []string) error {
	if len(origins) == 0 {
		return errors.New("CORS origins are empty: give \"*\" or the origins of the web apps")
	}
	for _, o := range origins {
		if o == "*" {
			if len(origins) > 1 {
				return errors.New(`CORS origin "*" must stand alone`)
			}
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return fmt.Errorf("CORS origin %q must be scheme://host[:port], such as https://partners.example.com", o)
		}
	}
	return nil
}

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
	"benefits": {table: idempotency, readsIndex: true},
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
	// Cancels a purchase in one transaction, then releases its seats with
	// BatchWriteItem.
	"request-cancel": {table: with(idempotency, ddbBatchWrite)},
	// Reads 62 days of the expiry index and writes what is due; finishes
	// cancellations whose request died (BatchWriteItem). A day's work is
	// conditional writes, so a run cut short is finished by the next.
	"expire-benefits": {table: []string{ddbGet, ddbQuery, ddbPut, ddbUpdate, ddbBatchWrite}, readsIndex: true, timeout: 300},
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
	"send-mail": {retries: 0, maxAgeMinutes: 15},
}

// signingKeyID is the first key id of the licence signing secret.
const signingKeyID = "k1"

// Checkov findings the stack accepts, each with its reason. They are written
// into the template as Metadata of the resource, where checkov reads them.
type skip struct{ id, reason string }

var (
	skipVPC = skip{"CKV_AWS_117", "Calls only AWS public endpoints (DynamoDB, SES, Secrets Manager, Lambda) with TLS and IAM; a VPC adds NAT or endpoints, not isolation"}
	// Reserved concurrency also takes capacity out of the account's pool and
	// cannot be set where the quota leaves fewer than 100 unreserved.
	skipConcurrencyHTTP = skip{"CKV_AWS_115", "Capped by the API stage throttle (apiThrottleRate/apiThrottleBurst); reserving would carve capacity out of the account pool"}
	skipConcurrencyJob  = skip{"CKV_AWS_115", "Runs on a schedule, one run at a time by design; reserving would carve capacity out of the account pool"}
	skipDLQHTTP         = skip{"CKV_AWS_116", "Invoked synchronously by API Gateway: a failure is the caller's response, there is no event to keep"}
	skipDLQJob          = skip{"CKV_AWS_116", "Failed async invocations go to the on-failure destination (EventInvokeConfig), which also keeps the error"}
	skipEnvKMS          = skip{"CKV_AWS_173", "Environment holds only names, ARNs and addresses (the signing key is in Secrets Manager); encrypted at rest with the AWS managed key"}
	skipLogsKMS         = skip{"CKV_AWS_158", "CloudWatch Logs encrypts at rest; logs hold no secrets or keys, and IAM, not a CMK, decides who reads them"}
	skipQueueKMS        = skip{"CKV_AWS_27", "Encrypted at rest with SSE-SQS (SqsManagedSseEnabled); checkov recognizes only KMS"}
	skipTableCMK        = skip{"CKV_AWS_119", "SSE-KMS with the AWS managed key aws/dynamodb (every use in CloudTrail); a CMK adds key administration, not narrower access"}
	skipTopicKMS        = skip{"CKV_AWS_26", "CloudWatch alarms cannot publish under the AWS managed aws/sns key; messages carry only alarm names and states"}
	skipSecretCMK       = skip{"CKV_AWS_149", "AWS managed key aws/secretsmanager; only get-key's role may GetSecretValue on this secret"}
)

// checkov adds the skips to the CloudFormation resource behind c.
func checkov(c constructs.IConstruct, skips ...skip) {
	list := make([]map[string]string, len(skips))
	for i, s := range skips {
		list[i] = map[string]string{"id": s.id, "comment": s.reason}
	}
	c.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("checkov"), map[string]any{"skip": list})
}

// functionNames lists every function the stack deploys: the HTTP functions,
// then the scheduled jobs. `make build` must have built each one.
func functionNames() []string {
	return append(routes.Functions(), schedules.Names()...)
}

// builder holds what the parts of the stack share.
type builder struct {
	stack  awscdk.Stack
	props  *StackProps
	topic  awssns.Topic
	alarms []awscloudwatch.Alarm
}

// removalPolicy is RETAIN in prod and DESTROY elsewhere, for the resources
// that hold data: the table, the signing secret, the log groups and the
// console bucket.
func (b *builder) removalPolicy() awscdk.RemovalPolicy {
	if b.props.Stage == stageProd {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// NewBenefitsStack builds the table, the HTTP API with its JWT authorizer,
// access log and throttling, one arm64 provided.al2023 function per name in
// routes.Functions(), one API route per entry in routes.All, the console
// (a private bucket, a CloudFront distribution that also routes /v1/* to the
// API, and the deployment of its assets and config.json), the SES sender
// identity and configuration set, the licence signing secret, for each job
// in schedules.All a function, an EventBridge Scheduler schedule, a
// dead-letter queue and an on-failure queue, and alarms that notify an SNS
// topic.
// It panics when props are invalid, as CDK constructors do.
func NewBenefitsStack(scope constructs.Construct, id string, props *StackProps) awscdk.Stack {
	if err := props.validate(); err != nil {
		panic(fmt.Errorf("NewBenefitsStack: %w", err))
	}
	if props.Code == nil {
		panic("NewBenefitsStack: StackProps.Code is nil")
	}
	if props.ConsoleAssets == nil {
		panic("NewBenefitsStack: StackProps.ConsoleAssets is nil")
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	b := &builder{stack: stack, props: props}
	b.topic = b.newAlarmTopic()

	tbl := b.newTable()
	indexARN := awscdk.Fn_Join(jsii.String(""), &[]*string{tbl.TableArn(), jsii.String("/index/" + table.GSI1)})

	// An email identity must be verified (a link SES mails to the address);
	// a domain identity with DKIM (awsses.Identity_Domain) can replace it
	// without touching the grants below.
	sender := awsses.NewEmailIdentity(stack, jsii.String("Sender"), &awsses.EmailIdentityProps{
		Identity: awsses.Identity_Email(jsii.String(props.SESFromAddress)),
	})
	// Every message goes out through this configuration set: SES keeps
	// bounced and complaining addresses off the list and publishes
	// reputation metrics for it.
	configSet := awsses.NewConfigurationSet(stack, jsii.String("MailConfigurationSet"), &awsses.ConfigurationSetProps{
		ConfigurationSetName: jsii.String(*stack.StackName()),
		ReputationMetrics:    jsii.Bool(true),
		SendingEnabled:       jsii.Bool(true),
		SuppressionReasons:   awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
	})
	configSetARN := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ses"), Resource: jsii.String("configuration-set"), ResourceName: configSet.ConfigurationSetName(),
	})

	signingKey := b.newSigningSecret()

	httpEnv := map[string]*string{
		"TABLE_NAME":         tbl.TableName(),
		"KEY_POOL_LOW_WATER": jsii.String(strconv.Itoa(props.KeyPoolLowWater)),
	}
	jobEnv := map[string]*string{
		"TABLE_NAME": tbl.TableName(),
	}
	build := func(name string, env map[string]*string, timeout int, skips ...skip) awslambda.Function {
		g, ok := functionGrants[name]
		if !ok {
			g = grants{table: []string{ddbGet, ddbQuery}}
		}
		env = maps.Clone(env)
		if g.sendsMail {
			env["SES_FROM_ADDRESS"] = jsii.String(props.SESFromAddress)
			env["SES_CONFIGURATION_SET"] = configSet.ConfigurationSetName()
		}
		if g.readsSigningKey {
			env["LICENSE_SIGNING_SECRET_ARN"] = signingKey.SecretArn()
		}
		if g.timeout > 0 {
			timeout = g.timeout
		}
		fn := b.newFunction(name, props.Code(name), env, timeout, skips...)
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
		// Exactly the actions the function's code calls, on the table and,
		// for Query, on the one index it reads; never tbl.Grants(), whose
		// read/write sets include scans, batch calls and stream actions.
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings(g.table...),
			Resources: &[]*string{tbl.TableArn()},
		}))
		if g.readsIndex {
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings(ddbQuery),
				Resources: &[]*string{indexARN},
			}))
		}
		if g.sendsMail {
			// Only the SES v2 SendEmail action (not SendRawEmail), only from
			// this identity and with this configuration set: SES checks both.
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("ses:SendEmail"),
				Resources: &[]*string{sender.EmailIdentityArn(), configSetARN},
			}))
		}
		if g.readsSigningKey {
			// GetSecretValue only (not DescribeSecret or the KMS grants of
			// secret.GrantRead: the secret uses the AWS managed key).
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
				Resources: &[]*string{signingKey.SecretArn()},
			}))
		}
		return fn
	}

	functions := map[string]awslambda.Function{}
	for _, name := range routes.Functions() {
		timeout := timeoutSeconds
		if name == "admin" {
			timeout = adminTimeoutSeconds
		}
		functions[name] = build(name, httpEnv, timeout, skipConcurrencyHTTP, skipDLQHTTP)
	}
	api := b.newAPI(functions)
	dist := b.newConsole(api)
	consoleOrigin := jsii.String("https://" + *dist.DistributionDomainName())
	// Emailed confirmation links (/v1/gtm/confirm) point at the console's
	// origin, whose /v1/* behaviour is the API: the address users know,
	// rather than execute-api's. The function needs the distribution's
	// domain, not the other way round, so there is no cycle.
	functions["activate-gtm"].AddEnvironment(jsii.String("PUBLIC_BASE_URL"), consoleOrigin, nil)

	for _, job := range schedules.All {
		fn := build(job.Name, jobEnv, jobTimeoutSeconds, skipConcurrencyJob, skipDLQJob)
		b.newSchedule(job, fn)
		b.newOnFailure(job.Name, fn)
	}
	b.newServiceAlarms(api)

	for _, a := range b.alarms {
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(b.topic))
	}

	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the HTTP API (routes start with /v1)"),
		Value:       api.Url(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The benefits console, and the API under /v1/; the OIDC app client's callback and sign-out URL"),
		Value:       jsii.String(*consoleOrigin + "/"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("DynamoDB table of the service"),
		Value:       tbl.TableName(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("SNS topic every alarm notifies; subscribe more endpoints to it"),
		Value:       b.topic.TopicArn(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("SigningSecretArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Secrets Manager secret of the licence signing key, read by get-key only"),
		Value:       signingKey.SecretArn(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("SesConfigurationSet"), &awscdk.CfnOutputProps{
		Description: jsii.String("SES configuration set send-mail sends with"),
		Value:       configSet.ConfigurationSetName(),
	})
	return stack
}

// newAlarmTopic is the SNS topic every alarm notifies, with the operator's
// email subscribed when one is configured.
func (b *builder) newAlarmTopic() awssns.Topic {
	topic := awssns.NewTopic(b.stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String(*b.stack.StackName() + " alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	checkov(topic, skipTopicKMS)
	if b.props.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(b.props.AlarmEmail), nil))
	}
	return topic
}

// newTable builds the table from table.Table. It uses NewTable, which
// synthesizes AWS::DynamoDB::Table, rather than NewTableV2, whose
// AWS::DynamoDB::GlobalTable nests PITR under Replicas: the plain table keeps
// the template (and its assertions) flat, matches what the local tooling
// creates in DynamoDB Local, and is what LocalStack and SAM handle best.
//
// In prod the table is retained when the stack (or the resource) is
// deleted, and deletion protection refuses DeleteTable from anyone; in dev
// both are off, so `make destroy STAGE=dev` leaves nothing behind.
func (b *builder) newTable() awsdynamodb.Table {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	def := table.Table
	prod := b.props.Stage == stageProd
	tbl := awsdynamodb.NewTable(b.stack, jsii.String("Table"), &awsdynamodb.TableProps{
		// No TableName: CloudFormation names it and functions read TABLE_NAME.
		PartitionKey: str(def.PartitionKey),
		SortKey:      str(def.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// SSE-KMS under the AWS managed key aws/dynamodb: each use of the key
		// is in CloudTrail, no key to administer or lose, no KMS grants for
		// the functions. A customer managed key (TableEncryption_CUSTOMER_MANAGED)
		// is the upgrade once someone owns its key policy.
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		TimeToLiveAttribute: jsii.String(def.TTLAttribute),
		DeletionProtection:  jsii.Bool(prod),
		RemovalPolicy:       b.removalPolicy(),
	})
	for _, ix := range def.Indexes {
		tbl.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   str(ix.PartitionKey),
			SortKey:        str(ix.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	checkov(tbl, skipTableCMK)
	return tbl
}

// newSigningSecret is the licence signing key. Secrets Manager generates
// the material at creation, so it is never in the template:
//
//	{"current":"k1","k1":"<64 random letters and digits>"}
//
// "current" names the key id in use; every other member is a key id and its
// material (the Ed25519 seed is the SHA-256 of the material). Rotating adds
// "k2" and then points "current" at it.
func (b *builder) newSigningSecret() awssecretsmanager.Secret {
	secret := awssecretsmanager.NewSecret(b.stack, jsii.String("SigningKeySecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String(*b.stack.StackName() + ": licence signing key material, read by get-key"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{"current":"` + signingKeyID + `"}`),
			GenerateStringKey:    jsii.String(signingKeyID),
			PasswordLength:       jsii.Number(64),
			ExcludePunctuation:   jsii.Bool(true),
			IncludeSpace:         jsii.Bool(false),
		},
		RemovalPolicy: b.removalPolicy(),
	})
	checkov(secret, skipSecretCMK)
	return secret
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

// newLogGroup is a log group kept logRetention, retained in prod.
func (b *builder) newLogGroup(id string) awslogs.LogGroup {
	lg := awslogs.NewLogGroup(b.stack, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     logRetention,
		RemovalPolicy: b.removalPolicy(),
	})
	checkov(lg, skipLogsKMS)
	return lg
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

// anyAbove adds an alarm on metric > 0 over one period; missing data (no
// invocations, an empty queue) is OK.
func (b *builder) anyAbove(id, name, description string, metric awscloudwatch.IMetric) awscloudwatch.Alarm {
	return b.alarm(id, name, description, metric, 0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
}

func (b *builder) alarm(id, name, description string, metric awscloudwatch.IMetric, threshold float64, op awscloudwatch.ComparisonOperator) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(b.stack, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(*b.stack.StackName() + "-" + name),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: op,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	b.alarms = append(b.alarms, a)
	return a
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

// Alarms on the service as a whole.
const (
	// api5xxThreshold: server errors in 5 minutes that wake someone; one
	// 5xx is often a client's retry away, five in five minutes are not.
	api5xxThreshold = 5
	// SES reviews accounts whose bounce rate passes 5% or complaint rate
	// 0.1%, and pauses sending at 10% and 0.5%: warn at the review marks.
	sesBounceRateThreshold    = 0.05
	sesComplaintRateThreshold = 0.001
)

// newServiceAlarms adds the alarms on the API's 5xx, the key pools and SES.
func (b *builder) newServiceAlarms(api awsapigatewayv2.HttpApi) {
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	b.alarm("Api5xxAlarm", "api-5xx", fmt.Sprintf("API answered at least %d 5xx responses in 5 minutes; see the access log and the functions' logs", api5xxThreshold),
		api.MetricServerError(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}),
		api5xxThreshold, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)

	// get-key writes KeyPoolRemaining (namespace PartnerBenefits, dimension
	// Product) in embedded metric format only when a pool is below the low
	// water mark or empty. Products are catalogue data, unknown here, so one
	// Metrics Insights query takes the minimum over every product: the
	// alarm fires when any pool reported a level under the mark. With the
	// mark at 0 (no warnings) it still fires on an empty pool.
	threshold := max(b.props.KeyPoolLowWater, 1)
	b.alarm("KeyPoolLowAlarm", "key-pool-low", fmt.Sprintf("A key pool has fewer than %d free keys (KeyPoolRemaining by Product); import keys with POST /v1/admin/key-pools/{product}", threshold),
		awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(`SELECT MIN(KeyPoolRemaining) FROM SCHEMA(PartnerBenefits, Product)`),
			Label:      jsii.String("Fewest free keys of any pool"),
			Period:     fiveMinutes,
		}),
		float64(threshold), awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD)

	// Account-wide SES reputation (AWS/SES, no dimension).
	hour := awscdk.Duration_Hours(jsii.Number(1))
	for _, m := range []struct {
		id, name, metric, what string
		threshold              float64
	}{
		{"SesBounceRateAlarm", "ses-bounce-rate", "Reputation.BounceRate", "bounce rate", sesBounceRateThreshold},
		{"SesComplaintRateAlarm", "ses-complaint-rate", "Reputation.ComplaintRate", "complaint rate", sesComplaintRateThreshold},
	} {
		b.alarm(m.id, m.name, fmt.Sprintf("The account's SES %s is above %g, where SES starts a review (it pauses sending at 10%% bounces or 0.5%% complaints); see the SES reputation page", m.what, m.threshold),
			awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("AWS/SES"), MetricName: jsii.String(m.metric), Statistic: jsii.String("Maximum"), Period: hour,
			}),
			m.threshold, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
	}
}

// accessLogFormat is one JSON line per request of the API's access log.
var accessLogFormat = map[string]string{
	"requestId":          "$context.requestId",
	"ip":                 "$context.identity.sourceIp",
	"requestTime":        "$context.requestTime",
	"httpMethod":         "$context.httpMethod",
	"routeKey":           "$context.routeKey",
	"status":             "$context.status",
	"protocol":           "$context.protocol",
	"responseLength":     "$context.responseLength",
	"latency":            "$context.responseLatency",
	"integrationLatency": "$context.integrationLatency",
	"integrationStatus":  "$context.integrationStatus",
	"integrationError":   "$context.integrationErrorMessage",
	"authorizerError":    "$context.authorizer.error",
	"errorMessage":       "$context.error.message",
	"userAgent":          "$context.identity.userAgent",
}

// newAPI builds the HTTP API and one route per entry in routes.All: Public
// routes have no authorizer, every other route the JWT authorizer. Its
// $default stage logs every request and throttles every route.
func (b *builder) newAPI(functions map[string]awslambda.Function) awsapigatewayv2.HttpApi {
	api := awsapigatewayv2.NewHttpApi(b.stack, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		ApiName:     jsii.String(*b.stack.StackName() + "-api"),
		Description: jsii.String("Partner benefits service (" + b.props.Stage + ")"),
		// Tokens travel in the Authorization header, never in cookies, so
		// credentials are never allowed; the origins come from the context.
		CorsPreflight: &awsapigatewayv2.CorsPreflightOptions{
			AllowOrigins: jsii.Strings(b.props.CORSOrigins...),
			AllowHeaders: jsii.Strings("Authorization", "Content-Type", "Idempotency-Key"),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{
				awsapigatewayv2.CorsHttpMethod_GET, awsapigatewayv2.CorsHttpMethod_POST,
				awsapigatewayv2.CorsHttpMethod_PUT, awsapigatewayv2.CorsHttpMethod_DELETE,
				awsapigatewayv2.CorsHttpMethod_OPTIONS,
			},
			MaxAge: awscdk.Duration_Hours(jsii.Number(1)),
		},
	})

	// The default stage's access log and throttling, set on the L1 stage
	// (HttpApiProps has no options for the stage it creates). Unlike REST
	// APIs, HTTP APIs need no account-level CloudWatch role to log.
	accessLogs := b.newLogGroup("ApiAccessLogs")
	line, err := json.Marshal(accessLogFormat) // sorted keys, one line
	if err != nil {
		panic(err)
	}
	format := awsapigateway.AccessLogFormat_Custom(jsii.String(string(line))).ToString()
	stage := api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         format,
	})
	stage.SetDefaultRouteSettings(&awsapigatewayv2.CfnStage_RouteSettingsProperty{
		ThrottlingRateLimit:  jsii.Number(b.props.ThrottleRate),
		ThrottlingBurstLimit: jsii.Number(b.props.ThrottleBurst),
	})

	jwt := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("JWTAuthorizer"), jsii.String(b.props.JWTIssuer),
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{
			JwtAudience:    jsii.Strings(b.props.JWTAudience),
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
