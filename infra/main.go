// Command infra is the CDK app of the partner benefits service: cdk.json runs
// it with `go run ./infra`. It only reads context, checks that `make build`
// produced the bootstrap of every HTTP function and scheduled job and that
// `make web` built the console, and synthesizes the stack of one stage built
// by NewBenefitsStack.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/console"
)

// stackPrefix names the stacks, PartnerBenefits-<stage>, and so the
// templates, cdk.out/PartnerBenefits-<stage>.template.json.
const stackPrefix = "PartnerBenefits"

// stackName is the stack of one stage.
func stackName(stage string) string { return stackPrefix + "-" + stage }

// Defaults of the optional context values.
const (
	// defaultKeyPoolLowWater matches the functions' own KEY_POOL_LOW_WATER default.
	defaultKeyPoolLowWater = 50
	// API stage throttling: far above what partner admins click, far below
	// the account's 10,000 requests per second that every API shares.
	defaultThrottleRate  = 100
	defaultThrottleBurst = 200
	// The console's OIDC sign-in: the scopes it asks for, and the token of
	// the token response it sends as the bearer. A Cognito V1 pre token
	// generation trigger puts partner_id and roles in the ID token only
	// (infra/README.md). The client id defaults to jwtAudience, which for
	// Cognito ID tokens is the app client id.
	defaultOIDCScope      = "openid email profile"
	defaultOIDCTokenField = "id_token"
)

// defaultTracing: X-Ray in prod, where a slow request needs explaining; not
// in dev. At low traffic Lambda traces nearly every request (one a second,
// then 5%), about $5 per million beyond the free 100,000 a month.
func defaultTracing(stage string) bool { return stage == stageProd }

// buildDir is where `make build` writes <name>/bootstrap, relative to the
// project root, where the CDK CLI runs the app.
const buildDir = ".build/functions"

// webDir is where `make web` writes the console, relative to the project root.
const webDir = ".build/web"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

func run() error {
	// No jsii.Close: in jsii-runtime-go v1.139.0 it races the runtime's own
	// Wait and sometimes prints "Runtime process exited abnormally". The node
	// child exits by itself when this process ends and closes its stdin.
	app := awscdk.NewApp(nil)
	props, err := propsFromContext(func(key string) any {
		return app.Node().TryGetContext(jsii.String(key))
	})
	if err != nil {
		return err
	}
	if err := errors.Join(checkBootstraps(buildDir, functionNames()), checkConsole(webDir)); err != nil {
		return err
	}
	props.Code = func(function string) awslambda.Code {
		return awslambda.Code_FromAsset(jsii.String(filepath.Join(buildDir, function)), nil)
	}
	props.ConsoleAssets = func() awss3deployment.ISource {
		return awss3deployment.Source_Asset(jsii.String(webDir), nil)
	}
	NewBenefitsStack(app, stackName(props.Stage), props)
	app.Synth(nil)
	return nil
}

// propsFromContext reads the context values (cdk.json defaults, overridden
// with `cdk ... -c key=value`) into StackProps, without Code and
// ConsoleAssets. Values from -c are strings; cdk.json may also hold JSON
// numbers, booleans and arrays.
func propsFromContext(get func(key string) any) (*StackProps, error) {
	var errs []error
	str := func(key, example string) string {
		v, ok := get(key).(string)
		if !ok || v == "" {
			errs = append(errs, fmt.Errorf("context value %s is missing: set it in cdk.json or pass -c %s=%s", key, key, example))
		}
		return v
	}
	stage := stageDev
	switch v := get("stage").(type) {
	case nil:
	case string:
		stage = v
	default:
		errs = append(errs, fmt.Errorf("context value stage %v is not one of %s", v, strings.Join(stages, ", ")))
	}
	props := &StackProps{
		Stage:           stage,
		JWTIssuer:       str("jwtIssuer", "https://auth.example.com/"),
		JWTAudience:     str("jwtAudience", "partner-benefits-api"),
		SESFromAddress:  str("sesFromAddress", "benefits@example.com"),
		KeyPoolLowWater: countOf(get, "keyPoolLowWater", defaultKeyPoolLowWater, 0, &errs),
		ThrottleBurst:   countOf(get, "apiThrottleBurst", defaultThrottleBurst, 1, &errs),
		ThrottleRate:    rateOf(get, "apiThrottleRate", defaultThrottleRate, &errs),
		Tracing:         boolOf(get, "tracing", defaultTracing(stage), &errs),
	}
	props.AlarmEmail = optionalString(get, "alarmEmail", "", &errs)
	props.Console = console.Config{
		// "": /v1 on the console's own origin, where CloudFront routes it to the API.
		APIBase: "",
		Auth: console.Auth{
			Mode:         console.ModeOIDC,
			AuthorizeURL: str("oidcAuthorizeUrl", "https://auth.example.com/oauth2/authorize"),
			TokenURL:     str("oidcTokenUrl", "https://auth.example.com/oauth2/token"),
			LogoutURL:    optionalString(get, "oidcLogoutUrl", "", &errs),
			ClientID:     optionalString(get, "oidcClientId", props.JWTAudience, &errs),
			Scope:        optionalString(get, "oidcScope", defaultOIDCScope, &errs),
			TokenField:   optionalString(get, "oidcTokenField", defaultOIDCTokenField, &errs),
		},
	}
	origins, err := originsOf(get("corsOrigins"))
	switch {
	case err != nil:
		errs = append(errs, err)
	case origins == nil && stage == stageProd:
		errs = append(errs, errors.New("context value corsOrigins is required for prod: pass -c corsOrigins=https://partners.example.com (a comma-separated list, or * deliberately)"))
	case origins == nil:
		origins = []string{"*"}
	}
	props.CORSOrigins = origins
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if stage == stageProd {
		// `cdk destroy` of prod fails until someone turns this off on purpose.
		props.TerminationProtection = jsii.Bool(true)
	}
	props.Tags = &map[string]*string{"service": jsii.String("partner-benefits"), "stage": jsii.String(stage)}
	if err := props.validate(); err != nil {
		return nil, fmt.Errorf("invalid context: %w", err)
	}
	return props, nil
}

// optionalString reads a string; absent or "" is def.
func optionalString(get func(string) any, key, def string, errs *[]error) string {
	switch v := get(key).(type) {
	case nil:
		return def
	case string:
		if v == "" {
			return def
		}
		return v
	default:
		*errs = append(*errs, fmt.Errorf("context value %s %v is not a string", key, v))
		return def
	}
}

// countOf reads a whole number of at least min: a string from -c or
// cdk.json, or a JSON number in cdk.json.
func countOf(get func(string) any, key string, def, min int, errs *[]error) int {
	bad := func(v any) int {
		*errs = append(*errs, fmt.Errorf("context value %s %v is not a whole number of at least %d", key, v, min))
		return def
	}
	switch v := get(key).(type) {
	case nil:
		return def
	case string:
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			return bad(fmt.Sprintf("%q", v))
		}
		return n
	case float64:
		if v < float64(min) || v != math.Trunc(v) || v > math.MaxInt32 {
			return bad(v)
		}
		return int(v)
	default:
		return bad(v)
	}
}

// rateOf reads a positive number (requests per second).
func rateOf(get func(string) any, key string, def float64, errs *[]error) float64 {
	var f float64
	switch v := get(key).(type) {
	case nil:
		return def
	case string:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			f = -1
		} else {
			f = n
		}
	case float64:
		f = v
	default:
		f = -1
	}
	if !(f > 0) || math.IsInf(f, 0) {
		*errs = append(*errs, fmt.Errorf("context value %s %v is not a rate above 0 (requests per second)", key, get(key)))
		return def
	}
	return f
}

// boolOf reads true or false: a JSON boolean, or the string from -c.
func boolOf(get func(string) any, key string, def bool, errs *[]error) bool {
	switch v := get(key).(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	*errs = append(*errs, fmt.Errorf("context value %s %v is not true or false", key, get(key)))
	return def
}

// originsOf reads corsOrigins: a comma-separated string (-c), or a JSON
// array of strings (cdk.json, or -c with a JSON array). nil when unset.
func originsOf(v any) ([]string, error) {
	var list []string
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if strings.HasPrefix(strings.TrimSpace(v), "[") {
			if err := json.Unmarshal([]byte(v), &list); err != nil {
				return nil, fmt.Errorf("context value corsOrigins %q is not a JSON array of strings", v)
			}
		} else {
			list = strings.Split(v, ",")
		}
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("context value corsOrigins %v is not a list of strings", v)
			}
			list = append(list, s)
		}
	default:
		return nil, fmt.Errorf("context value corsOrigins %v is not a list of origins", v)
	}
	var out []string
	for _, o := range list {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, strings.TrimSuffix(o, "/"))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("context value corsOrigins is empty")
	}
	return out, nil
}

// checkBootstraps reports every function whose bootstrap is missing.
func checkBootstraps(dir string, functions []string) error {
	var errs []error
	for _, name := range functions {
		path := filepath.Join(dir, name, "bootstrap")
		if _, err := os.Stat(path); err != nil {
			errs = append(errs, fmt.Errorf("%s is missing: run `make build` first", path))
		}
	}
	return errors.Join(errs...)
}

// checkConsole reports a console that `make web` has not built.
func checkConsole(dir string) error {
	path := filepath.Join(dir, "index.html")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s is missing: run `make web` first", path)
	}
	return nil
}
