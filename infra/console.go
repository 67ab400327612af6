package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/console"
)

// The console is the static web app of web/ (index.html, ES modules, CSS),
// served by CloudFront from a private bucket, with /v1/* routed to the HTTP
// API on the same origin: the console needs no CORS and no API URL.

// consoleAPIPath is the distribution's behaviour for the API: every route in
// shared/routes starts with /v1/.
const consoleAPIPath = "/v1/*"

// consoleCacheControl is the Cache-Control of every console object. tsc
// writes the modules under their source names (main.js, not main.3f2a.js), so
// no file can be cached for long by browsers: a new index.html would load
// yesterday's modules. Browsers therefore revalidate on every load
// (max-age=0, must-revalidate: a 304 from the edge against the ETag), while
// CloudFront keeps objects a day (s-maxage, within CACHING_OPTIMIZED's TTLs)
// and every deployment invalidates /*, so a deploy is visible at once and a
// lost invalidation ages out within the day.
var consoleCacheControl = []awss3deployment.CacheControl{
	awss3deployment.CacheControl_MaxAge(awscdk.Duration_Seconds(jsii.Number(0))),
	awss3deployment.CacheControl_MustRevalidate(),
	awss3deployment.CacheControl_SMaxAge(awscdk.Duration_Days(jsii.Number(1))),
}

// hstsMaxAgeDays is Strict-Transport-Security's max-age: the console is
// only ever served over https, by CloudFront.
const hstsMaxAgeDays = 365

// consoleDeploymentPurpose is how CDK's BucketDeployment names its handler,
// a singleton function directly under the stack
// (Custom::CDKBucketDeployment<uuid>).
const consoleDeploymentPurpose = "Custom::CDKBucketDeployment"

// Checkov findings of the console's resources.
var (
	skipBucketLogging    = skip{"CKV_AWS_18", "Private, read only by CloudFront (OAC) and written only by deployments; holds public build output, no data"}
	skipBucketVersioning = skip{"CKV_AWS_21", "Holds only build output that every deploy rewrites from git; the previous version is a redeploy away"}
	skipCDNLogging       = skip{"CKV_AWS_86", "The API's access log records every /v1 request; the rest is public static files, and CloudFront metrics cover the edge"}
	skipCDNWAF           = skip{"CKV_AWS_68", "The API has its JWT authorizer and stage throttle; the rest is public static files; a web ACL costs $5+ a month"}
	skipCDNTLS           = skip{"CKV_AWS_174", "The default *.cloudfront.net certificate fixes the minimum protocol at TLSv1; a custom domain can raise it"}
	// The deployment's handler is CDK's own function: it runs only while
	// CloudFormation deploys, copying the assets into the bucket.
	skipDeployVPC         = skip{"CKV_AWS_117", "CDK's deployment handler calls only S3 and CloudFront endpoints with TLS and IAM, during deploys only"}
	skipDeployConcurrency = skip{"CKV_AWS_115", "CDK's deployment handler runs once per deploy, invoked by CloudFormation only"}
	skipDeployDLQ         = skip{"CKV_AWS_116", "Invoked by CloudFormation, which shows a failure as a failed deploy and rolls back; a kept event would never be replayed"}
	skipDeployEnvKMS      = skip{"CKV_AWS_173", "Environment holds only the CA bundle path set by CDK; encrypted at rest with the AWS managed key"}
)

// validConsole checks the console's config.json for the stack: OIDC sign-in
// (the local sign-in exists only in the local gateway) and the API on the
// page's own origin.
func validConsole(c console.Config) error {
	var errs []error
	if c.Auth.Mode != console.ModeOIDC {
		errs = append(errs, fmt.Errorf("console sign-in mode %q must be %s in AWS", c.Auth.Mode, console.ModeOIDC))
	}
	if c.APIBase != "" {
		errs = append(errs, fmt.Errorf("console API base %q must be empty: CloudFront serves the API on the console's origin", c.APIBase))
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w (context values oidc*)", err))
	}
	return errors.Join(errs...)
}

// consoleConfigJSON is the deployed /config.json.
func consoleConfigJSON(c console.Config) string {
	raw, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

// newConsole builds the console's bucket, the distribution that serves it
// and routes /v1/* to api, and the deployment of the assets and config.json.
func (b *builder) newConsole(api awsapigatewayv2.HttpApi) awscloudfront.Distribution {
	stackName := *b.stack.StackName()
	prod := b.props.Stage == stageProd

	// Private: no public access, no ACLs, no website endpoint; only
	// CloudFront reads it (OAC, below) and only the deployment writes it.
	// Retained in prod like the stack's other stateful resources. In dev the
	// deployment empties it when the stack is deleted (RetainOnDelete below),
	// so CloudFormation can delete it: no autoDeleteObjects and its second
	// custom resource. Not versioned: it holds build output only, and a
	// versioned bucket could not be emptied that way.
	bucket := awss3.NewBucket(b.stack, jsii.String("ConsoleBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Versioned:         jsii.Bool(false),
		RemovalPolicy:     b.removalPolicy(),
	})
	checkov(bucket, skipBucketLogging, skipBucketVersioning)

	oac := awscloudfront.NewS3OriginAccessControl(b.stack, jsii.String("ConsoleOriginAccessControl"), &awscloudfront.S3OriginAccessControlProps{
		OriginAccessControlName: jsii.String(stackName + "-console"),
		Description:             jsii.String("CloudFront reads the console bucket of " + stackName),
		Signing:                 awscloudfront.Signing_SIGV4_ALWAYS(),
	})

	// The page's headers are console.Headers, the same function the local
	// gateway serves them with, plus HSTS: CloudFront only ever answers the
	// console over https.
	cfg := b.props.Console
	headers := awscloudfront.NewResponseHeadersPolicy(b.stack, jsii.String("ConsoleHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		ResponseHeadersPolicyName: jsii.String(stackName + "-console"),
		Comment:                   jsii.String("Security headers of the " + stackName + " console (shared/console.Headers)"),
		SecurityHeadersBehavior:   securityHeaders(console.Headers(cfg.ConnectOrigins()...)),
		CustomHeadersBehavior:     customHeaders(console.Headers(cfg.ConnectOrigins()...)),
	})

	// The API's own endpoint, https only. Every viewer header but Host
	// (Authorization, Idempotency-Key, Content-Type), every query string and
	// the body reach it; nothing is cached and the API's responses pass as
	// they are, with its own headers (problem+json, the confirm page's CSP).
	apiDomain := awscdk.Fn_Join(jsii.String(""), &[]*string{
		api.ApiId(), jsii.String(".execute-api."), awscdk.Aws_REGION(), jsii.String("."), awscdk.Aws_URL_SUFFIX(),
	})
	apiBehavior := &awscloudfront.BehaviorOptions{
		Origin: awscloudfrontorigins.NewHttpOrigin(apiDomain, &awscloudfrontorigins.HttpOriginProps{
			ProtocolPolicy:     awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
			OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{awscloudfront.OriginSslPolicy_TLS_V1_2},
		}),
		// HTTPS only, not a redirect: a redirected POST would arrive as a GET.
		ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
		AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
		CachePolicy:          awscloudfront.CachePolicy_CACHING_DISABLED(),
		OriginRequestPolicy:  awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
		Compress:             jsii.Bool(false),
	}

	dist := awscloudfront.NewDistribution(b.stack, jsii.String("ConsoleDistribution"), &awscloudfront.DistributionProps{
		Comment:           jsii.String(stackName + ": benefits console, and the API under /v1/"),
		DefaultRootObject: jsii.String("index.html"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin: awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, &awscloudfrontorigins.S3BucketOriginWithOACProps{
				OriginAccessControl: oac,
			}),
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			// No query string, header or cookie in the key; gzip and
			// Brotli; edge TTL from the objects' s-maxage (consoleCacheControl).
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			Compress:              jsii.Bool(true),
			ResponseHeadersPolicy: headers,
		},
		AdditionalBehaviors: &map[string]*awscloudfront.BehaviorOptions{consoleAPIPath: apiBehavior},
		// No error responses: they would apply to /v1/* too and hide the
		// API's problem+json 403s and 404s; the console routes in the URL's
		// fragment, so every page is /index.html anyway.
		HttpVersion: awscloudfront.HttpVersion_HTTP2_AND_3,
		// North America and Europe edges: the cheapest class; viewers
		// elsewhere are served from the nearest of those.
		PriceClass: awscloudfront.PriceClass_PRICE_CLASS_100,
	})
	checkov(dist, skipCDNLogging, skipCDNWAF, skipCDNTLS)

	// The built assets and config.json (last, so it wins over any
	// config.json of the build). Prune removes what the build no longer
	// has. The handler's log group is ours (30 days, retained in prod)
	// rather than one Lambda creates and keeps forever.
	//
	// RetainOnDelete false (dev only) empties the bucket when this resource
	// is deleted, which lets `make destroy STAGE=dev` delete the bucket. It
	// also means: never rename this construct. CloudFormation would create
	// the renamed deployment and then delete the old one, emptying the
	// bucket it just filled (redeploy with any web change to refill it).
	awss3deployment.NewBucketDeployment(b.stack, jsii.String("ConsoleDeployment"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: bucket,
		Sources: &[]awss3deployment.ISource{
			b.props.ConsoleAssets(),
			awss3deployment.Source_Data(jsii.String("config.json"), jsii.String(consoleConfigJSON(cfg)), nil),
		},
		CacheControl:      &consoleCacheControl,
		Prune:             jsii.Bool(true),
		RetainOnDelete:    jsii.Bool(prod),
		Distribution:      dist,
		DistributionPaths: jsii.Strings("/*"),
		LogGroup:          b.newLogGroup("ConsoleDeploymentLogs"),
	})
	handler := b.deploymentHandler()
	checkov(handler, skipDeployVPC, skipDeployEnvKMS, skipDeployConcurrency, skipDeployDLQ)
	b.narrowInvalidation(handler, dist)
	return dist
}

// narrowInvalidation limits the CloudFront actions CDK grants the
// deployment's handler, cloudfront:CreateInvalidation and GetInvalidation on
// "*", to this distribution (both actions take a distribution ARN). CDK
// offers no option for it, so the statement's Resource is overridden in the
// role's default policy; it panics when CDK's policy no longer has exactly
// one such statement, so a CDK upgrade that changes it is noticed.
func (b *builder) narrowInvalidation(handler awslambda.Function, dist awscloudfront.Distribution) {
	policy, ok := handler.Role().Node().TryFindChild(jsii.String("DefaultPolicy")).(awsiam.Policy)
	if !ok {
		panic("NewBenefitsStack: the console deployment's role has no default policy")
	}
	raw, err := json.Marshal(b.stack.Resolve(policy.Document()))
	if err != nil {
		panic(err)
	}
	var doc struct {
		Statement []struct {
			Action   any
			Resource any
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic(err)
	}
	var found []int
	for i, st := range doc.Statement {
		if strings.Contains(fmt.Sprint(st.Action), "cloudfront:") {
			if st.Resource != "*" || fmt.Sprint(st.Action) != "[cloudfront:GetInvalidation cloudfront:CreateInvalidation]" {
				panic(fmt.Sprintf("NewBenefitsStack: unexpected CloudFront grant of the console deployment: %s on %v", st.Action, st.Resource))
			}
			found = append(found, i)
		}
	}
	if len(found) != 1 {
		panic(fmt.Sprintf("NewBenefitsStack: %d CloudFront statements in the console deployment's policy, want 1", len(found)))
	}
	cfn := policy.Node().DefaultChild().(awsiam.CfnPolicy)
	cfn.AddPropertyOverride(jsii.String(fmt.Sprintf("PolicyDocument.Statement.%d.Resource", found[0])), dist.DistributionArn())
}

// deploymentHandler is the function of CDK's BucketDeployment.
func (b *builder) deploymentHandler() awslambda.Function {
	var found []awslambda.Function
	for _, c := range *b.stack.Node().Children() {
		if strings.HasPrefix(*c.Node().Id(), consoleDeploymentPurpose) {
			if fn, ok := c.(awslambda.Function); ok {
				found = append(found, fn)
			}
		}
	}
	if len(found) != 1 {
		panic(fmt.Sprintf("NewBenefitsStack: %d %s functions, want 1", len(found), consoleDeploymentPurpose))
	}
	return found[0]
}

// securityHeaders maps the headers CloudFront sets as security headers (it
// refuses them as custom headers) from h, and adds HSTS.
func securityHeaders(h map[string]string) *awscloudfront.ResponseSecurityHeadersBehavior {
	on := jsii.Bool(true)
	sec := &awscloudfront.ResponseSecurityHeadersBehavior{
		StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
			AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(hstsMaxAgeDays)),
			IncludeSubdomains:   on,
			Override:            on,
		},
	}
	for name, v := range h {
		switch name {
		case "Content-Security-Policy":
			sec.ContentSecurityPolicy = &awscloudfront.ResponseHeadersContentSecurityPolicy{ContentSecurityPolicy: jsii.String(v), Override: on}
		case "X-Content-Type-Options":
			if v != "nosniff" {
				panic(fmt.Sprintf("console header X-Content-Type-Options %q: CloudFront sets only nosniff", v))
			}
			sec.ContentTypeOptions = &awscloudfront.ResponseHeadersContentTypeOptions{Override: on}
		case "X-Frame-Options":
			opt, ok := frameOptions[v]
			if !ok {
				panic(fmt.Sprintf("console header X-Frame-Options %q: CloudFront sets only DENY or SAMEORIGIN", v))
			}
			sec.FrameOptions = &awscloudfront.ResponseHeadersFrameOptions{FrameOption: opt, Override: on}
		case "Referrer-Policy":
			policy, ok := referrerPolicies[v]
			if !ok {
				panic(fmt.Sprintf("console header Referrer-Policy %q is not one CloudFront sets", v))
			}
			sec.ReferrerPolicy = &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: policy, Override: on}
		case "Strict-Transport-Security", "X-XSS-Protection":
			panic("console header " + name + " is set by the stack, not shared/console")
		}
	}
	return sec
}

var frameOptions = map[string]awscloudfront.HeadersFrameOption{
	"DENY": awscloudfront.HeadersFrameOption_DENY, "SAMEORIGIN": awscloudfront.HeadersFrameOption_SAMEORIGIN,
}

var referrerPolicies = map[string]awscloudfront.HeadersReferrerPolicy{
	"no-referrer":                     awscloudfront.HeadersReferrerPolicy_NO_REFERRER,
	"no-referrer-when-downgrade":      awscloudfront.HeadersReferrerPolicy_NO_REFERRER_WHEN_DOWNGRADE,
	"origin":                          awscloudfront.HeadersReferrerPolicy_ORIGIN,
	"origin-when-cross-origin":        awscloudfront.HeadersReferrerPolicy_ORIGIN_WHEN_CROSS_ORIGIN,
	"same-origin":                     awscloudfront.HeadersReferrerPolicy_SAME_ORIGIN,
	"strict-origin":                   awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN,
	"strict-origin-when-cross-origin": awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
}

// cloudFrontSecurityHeaders are the headers of securityHeaders.
var cloudFrontSecurityHeaders = []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Strict-Transport-Security", "X-XSS-Protection"}

// customHeaders are the headers of h that are not security headers, set
// over whatever the origin sends.
func customHeaders(h map[string]string) *awscloudfront.ResponseCustomHeadersBehavior {
	var list []*awscloudfront.ResponseCustomHeader
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if !slices.Contains(cloudFrontSecurityHeaders, name) {
			list = append(list, &awscloudfront.ResponseCustomHeader{Header: jsii.String(name), Value: jsii.String(h[name]), Override: jsii.Bool(true)})
		}
	}
	return &awscloudfront.ResponseCustomHeadersBehavior{CustomHeaders: &list}
}
