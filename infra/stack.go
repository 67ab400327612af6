package main

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/console"
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

// builder holds what the parts of the stack share: each part adds its
// resources and keeps here what a later part refers to.
type builder struct {
	stack      awscdk.Stack
	props      *StackProps
	topic      awssns.Topic
	alarms     []awscloudwatch.Alarm
	table      awsdynamodb.Table
	mail       mailSender
	signingKey awssecretsmanager.Secret
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
// topic. Each part is built in a file of its own (stack_*.go, console.go);
// they run in the order below, which also orders the template's resources.
// It panics when props are invalid, as CDK constructors do.
func NewBenefitsStack(scope constructs.Construct, id string, props *StackProps) awscdk.Stack {
	mustBuild(props)
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	b := &builder{stack: stack, props: props}
	b.topic = b.newAlarmTopic()
	b.table = b.newTable()
	b.mail = b.newMail()
	b.signingKey = b.newSigningSecret()

	functions := b.newHTTPFunctions()
	api := b.newAPI(functions)
	dist := b.newConsole(api)
	consoleOrigin := jsii.String("https://" + *dist.DistributionDomainName())
	// Emailed confirmation links (/v1/gtm/confirm) point at the console's
	// origin, whose /v1/* behaviour is the API: the address users know,
	// rather than execute-api's. The function needs the distribution's
	// domain, not the other way round, so there is no cycle.
	functions["activate-gtm"].AddEnvironment(jsii.String("PUBLIC_BASE_URL"), consoleOrigin, nil)

	b.newJobs()
	b.newServiceAlarms(api)
	b.notifyAlarms()
	b.newOutputs(api, consoleOrigin)
	return stack
}

// mustBuild panics unless props can build the stack.
func mustBuild(props *StackProps) {
	if err := props.validate(); err != nil {
		panic(fmt.Errorf("NewBenefitsStack: %w", err))
	}
	if props.Code == nil {
		panic("NewBenefitsStack: StackProps.Code is nil")
	}
	if props.ConsoleAssets == nil {
		panic("NewBenefitsStack: StackProps.ConsoleAssets is nil")
	}
}

// newOutputs are the stack's outputs: where the API, the console and the
// resources an operator looks up are.
func (b *builder) newOutputs(api awsapigatewayv2.HttpApi, consoleOrigin *string) {
	awscdk.NewCfnOutput(b.stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the HTTP API (routes start with /v1)"),
		Value:       api.Url(),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The benefits console, and the API under /v1/; the OIDC app client's callback and sign-out URL"),
		Value:       jsii.String(*consoleOrigin + "/"),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("DynamoDB table of the service"),
		Value:       b.table.TableName(),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("SNS topic every alarm notifies; subscribe more endpoints to it"),
		Value:       b.topic.TopicArn(),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("SigningSecretArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Secrets Manager secret of the licence signing key, read by get-key only"),
		Value:       b.signingKey.SecretArn(),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("SesConfigurationSet"), &awscdk.CfnOutputProps{
		Description: jsii.String("SES configuration set send-mail sends with"),
		Value:       b.mail.configSet.ConfigurationSetName(),
	})
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
