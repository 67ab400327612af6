package main

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/routes"
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
	return errors.Join(errs...)
}

// grants is what one function may do beyond writing its own logs.
// The zero value, which unknown functions get, is table read/write and no mail.
type grants struct {
	tableReadOnly bool // dynamodb read actions only
	sendsMail     bool // ses:SendEmail on the sender identity only
}

// functionGrants lists the HTTP functions' needs. benefits only reads today;
// give it writes when the support and advisory POST routes (SPEC §3) move in.
// purchases emails receipts and admin emails new partners' first admin.
var functionGrants = map[string]grants{
	"benefits":  {tableReadOnly: true},
	"purchases": {sendsMail: true},
	"users":     {},
	"admin":     {sendsMail: true},
}

const (
	// Go binaries need little memory, but Lambda hands out CPU in proportion
	// to memory: 256 MB doubles the CPU of 128 MB, which shortens cold starts
	// and TLS set-up to DynamoDB and SES, for a small cost per request.
	memoryMB = 256
	// Well under the HTTP API's 30 s integration limit, with room for the
	// SDK's retries of a throttled DynamoDB call.
	timeoutSeconds = 10
)

// NewBenefitsStack builds the table, the HTTP API with its JWT authorizer,
// one arm64 provided.al2023 function per name in routes.Functions(), one
// API route per entry in routes.All, and the SES sender identity.
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

	env := map[string]*string{
		"TABLE_NAME":       tbl.TableName(),
		"SES_FROM_ADDRESS": jsii.String(props.SESFromAddress),
		"LOG_LEVEL":        jsii.String("INFO"),
	}
	functions := map[string]awslambda.Function{}
	for _, name := range routes.Functions() {
		fn := newFunction(stack, name, props.Code(name), env)
		g := functionGrants[name]
		if g.tableReadOnly {
			tbl.Grants().ReadData(fn)
		} else {
			tbl.Grants().ReadWriteData(fn)
		}
		if g.sendsMail {
			sender.GrantSendEmail(fn)
		}
		functions[name] = fn
	}

	api := newAPI(stack, props, functions)

	// Extension points for later issues, deliberately not built yet:
	//   - scheduled functions (monthly-credit-grant on the 1st at 00:00 UTC,
	//     expire-benefits daily; SPEC §4): build them with newFunction, grant
	//     them through functionGrants, and trigger them with EventBridge
	//     Scheduler schedules (awsscheduler) in UTC;
	//   - a DLQ (SQS) per asynchronous target, and CloudWatch alarms on each
	//     function's Errors/Throttles, the API's 5xx and the DLQ depth.

	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the HTTP API (routes start with /v1)"),
		Value:       api.Url(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("DynamoDB table of the service"),
		Value:       tbl.TableName(),
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
func newFunction(scope constructs.Construct, name string, code awslambda.Code, env map[string]*string) awslambda.Function {
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
		Timeout:       awscdk.Duration_Seconds(jsii.Number(timeoutSeconds)),
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
