// Package boot builds what a function needs once per cold start: settings
// from the environment (failing fast when one is missing), AWS clients, the
// logger and the service. Endpoints come only from the SDK's standard
// AWS_ENDPOINT_URL_* variables, so the same binary runs in AWS, against
// DynamoDB Local, LocalStack or SAM.
package boot

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/awsenv"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
)

// Settings are the environment variables a function reads.
type Settings struct {
	TableName  string        // TABLE_NAME (required)
	CatalogTTL time.Duration // CATALOG_TTL, default 30s
	// SigningSeed is LICENSE_SIGNING_SEED: the base64 32-byte Ed25519 seed
	// of signed licence keys. Unset, signed-key products answer 503.
	SigningSeed []byte
	// SigningSecretARN is LICENSE_SIGNING_SECRET_ARN: the Secrets Manager
	// secret holding the signing keys instead of a seed (signing.go).
	SigningSecretARN string
	signing          *api.Signer // from the secret, once LoadSigningSecret read it
	// KeyPoolLowWater is KEY_POOL_LOW_WATER (default 50): fewer free keys
	// than this after an allocation warns the operator.
	KeyPoolLowWater int64
	// PublicURL is PUBLIC_BASE_URL: the public base URL of /v1, which emailed
	// links point at (the stack sets it to the console's CloudFront address,
	// which routes /v1/* to the HTTP API).
	PublicURL string
}

// FromEnv reads Settings; a missing required variable is an error that
// names it, so a misconfigured function fails at cold start, not per request.
func FromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{CatalogTTL: 30 * time.Second, KeyPoolLowWater: 50}
	var err error
	if s.TableName, err = required(getenv, "TABLE_NAME"); err != nil {
		return s, err
	}
	if v := getenv("LICENSE_SIGNING_SEED"); v != "" {
		seed, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(seed) != ed25519.SeedSize {
			return s, fmt.Errorf("boot: LICENSE_SIGNING_SEED must be %d bytes in base64", ed25519.SeedSize)
		}
		s.SigningSeed = seed
	}
	if s.SigningSecretARN = getenv(envSigningSecretARN); s.SigningSecretARN != "" && s.SigningSeed != nil {
		return s, fmt.Errorf("boot: set %s or %s, not both", envSigningSeed, envSigningSecretARN)
	}
	if v := getenv("KEY_POOL_LOW_WATER"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return s, fmt.Errorf("boot: KEY_POOL_LOW_WATER %q is not a count", v)
		}
		s.KeyPoolLowWater = n
	}
	s.PublicURL = strings.TrimSuffix(getenv("PUBLIC_BASE_URL"), "/")
	if v := getenv("CATALOG_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return s, fmt.Errorf("boot: CATALOG_TTL %q is not a duration such as 30s", v)
		}
		s.CatalogTTL = d
	}
	return s, nil
}

// required reads a variable that must be set, naming it when it is not.
func required(getenv func(string) string, name string) (string, error) {
	v := getenv(name)
	if v == "" {
		return "", fmt.Errorf("boot: %s is not set", name)
	}
	return v, nil
}

// AWSConfig builds the SDK configuration (region, credentials, endpoints)
// from the environment, as Lambda sets it (see shared/awsenv).
func AWSConfig(context.Context) (aws.Config, error) {
	cfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		return aws.Config{}, fmt.Errorf("boot: AWS config: %w", err)
	}
	return cfg, nil
}

// Logger is the Lambda slog handler: JSON when the function's log format is
// JSON, with the Lambda request id on every record.
func Logger() *slog.Logger { return lambdacontext.NewLogger() }

// NewService wires the HTTP service over a DynamoDB client.
func NewService(s Settings, db store.API, clk clock.Clock, log *slog.Logger) *api.Service {
	svc := &api.Service{Store: store.New(db, s.TableName), Clock: clk, NewID: ids.New, Log: log,
		CatalogTTL: s.CatalogTTL, KeyPoolLowWater: s.KeyPoolLowWater, PublicURL: s.PublicURL}
	svc.Signer = s.signer()
	return svc
}

// HTTP builds the handler of one HTTP function from the environment. It is
// all a function's main needs; any error is fatal at cold start. endpoints is
// the function's own table (api.BenefitsEndpoints, …), so that its binary
// links only its own handlers.
func HTTP(ctx context.Context, function string, endpoints api.Endpoints, opts ...Option) api.LambdaHandler {
	var settings Settings
	c := coldStart(ctx, func(getenv func(string) string) (err error) {
		settings, err = FromEnv(getenv)
		return err
	})
	if err := settings.loadSigning(ctx, function, c.cfg, opts); err != nil {
		fatal(c.log, err)
	}
	h, err := NewService(settings, c.db, clock.System{}, c.log).HandlerWith(function, endpoints)
	if err != nil {
		fatal(c.log, err)
	}
	return h
}

// started is what every cold start makes before a function's own part,
// which makes any other client it needs from cfg (so that only the function
// that needs one links it).
type started struct {
	cfg aws.Config
	db  *dynamodb.Client
	log *slog.Logger
}

// coldStart is every function's cold start: the logger, the settings
// (fromEnv reads them into the caller's variables), the SDK configuration
// and the DynamoDB client. Any error is fatal.
func coldStart(ctx context.Context, fromEnv func(getenv func(string) string) error) started {
	log := Logger()
	if err := fromEnv(os.Getenv); err != nil {
		fatal(log, err)
	}
	cfg, err := AWSConfig(ctx)
	if err != nil {
		fatal(log, err)
	}
	return started{cfg: cfg, db: dynamodb.NewFromConfig(cfg), log: log}
}

// tableFromEnv reads TABLE_NAME into name, all a job's settings.
func tableFromEnv(name *string) func(getenv func(string) string) error {
	return func(getenv func(string) string) (err error) {
		*name, err = required(getenv, "TABLE_NAME")
		return err
	}
}

// fatal ends a cold start; Lambda reports the init error and retries.
func fatal(log *slog.Logger, err error) {
	log.Error("cold start failed", "error", err.Error())
	os.Exit(1)
}
