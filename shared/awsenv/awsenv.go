// Package awsenv builds the AWS SDK configuration of a function from the
// environment Lambda gives it: the region, the execution role's credentials
// and the standard endpoint variables. It replaces config.LoadDefaultConfig
// in the functions because that package links the shared-config, SSO, STS,
// web-identity and IMDS providers, whose package inits cost a function's
// cold start about 1 ms for nothing: in Lambda (and under SAM local or
// LocalStack) credentials always arrive as environment variables.
package awsenv

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config reads AWS_REGION (or AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the endpoint overrides
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), as the SDK's own loader
// does. Retries and the HTTP client are the SDK's defaults.
func Config(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("awsenv: AWS_REGION is not set")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("awsenv: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the execution role)")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))),
	}
	if !strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		if u := getenv("AWS_ENDPOINT_URL"); u != "" {
			cfg.BaseEndpoint = aws.String(u)
		}
		cfg.ConfigSources = []any{endpoints{getenv}}
	}
	return cfg, nil
}

// endpoints answers the clients' question "is there an endpoint for this
// service?" (the SDK's ServiceBaseEndpointProvider) from
// AWS_ENDPOINT_URL_<SERVICE ID>, the id upper-cased with spaces as
// underscores: DYNAMODB, SESV2, SECRETS_MANAGER, LAMBDA.
type endpoints struct{ getenv func(string) string }

// GetServiceBaseEndpoint is called by each client as it is built.
func (e endpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := e.getenv("AWS_ENDPOINT_URL_" + EnvSuffix(sdkID))
	return v, v != "", nil
}

// EnvSuffix turns a service id ("Secrets Manager") into its variable
// suffix ("SECRETS_MANAGER").
func EnvSuffix(sdkID string) string {
	return strings.ToUpper(strings.ReplaceAll(sdkID, " ", "_"))
}
