package main

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/routes"
)

// newHTTPFunctions builds one function per name in routes.Functions(), the
// handlers of the API's routes.
func (b *builder) newHTTPFunctions() map[string]awslambda.Function {
	env := map[string]*string{
		"TABLE_NAME":         b.table.TableName(),
		"KEY_POOL_LOW_WATER": jsii.String(strconv.Itoa(b.props.KeyPoolLowWater)),
	}
	functions := map[string]awslambda.Function{}
	for _, name := range routes.Functions() {
		timeout := timeoutSeconds
		if name == "admin" {
			timeout = adminTimeoutSeconds
		}
		functions[name] = b.newServiceFunction(name, env, timeout, skipConcurrencyHTTP, skipDLQHTTP)
	}
	return functions
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
				awsapigatewayv2.CorsHttpMethod_PUT, awsapigatewayv2.CorsHttpMethod_PATCH, awsapigatewayv2.CorsHttpMethod_DELETE,
				awsapigatewayv2.CorsHttpMethod_OPTIONS,
			},
			MaxAge: awscdk.Duration_Hours(jsii.Number(1)),
		},
	})
	b.configureStage(api)
	b.addRoutes(api, functions)
	return api
}

// configureStage sets the default stage's access log and throttling, on
// the L1 stage (HttpApiProps has no options for the stage it creates).
// Unlike REST APIs, HTTP APIs need no account-level CloudWatch role to log.
func (b *builder) configureStage(api awsapigatewayv2.HttpApi) {
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
}

// addRoutes adds one route per entry in routes.All to the function that
// serves it, behind the JWT authorizer unless the route is Public.
func (b *builder) addRoutes(api awsapigatewayv2.HttpApi, functions map[string]awslambda.Function) {
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
}

// routeID turns "GET /v1/purchases/{id}" into "GET-v1-purchases-id".
func routeID(r routes.Route) string {
	path := strings.NewReplacer("{", "", "}", "", "/", "-").Replace(r.Path)
	return r.Method + path
}
