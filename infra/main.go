// Command infra is the CDK app of the partner benefits service: cdk.json runs
// it with `go run ./infra`. It only reads context, checks that `make build`
// produced the bootstrap of every HTTP function and scheduled job, and
// synthesizes the stack built by NewBenefitsStack.
package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// stackName names the stack and so the template, cdk.out/PartnerBenefits.template.json.
const stackName = "PartnerBenefits"

// defaultKeyPoolLowWater is KEY_POOL_LOW_WATER when the context has no
// keyPoolLowWater; it matches the functions' own default.
const defaultKeyPoolLowWater = 50

// buildDir is where `make build` writes <name>/bootstrap, relative to the
// project root, where the CDK CLI runs the app.
const buildDir = ".build/functions"

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
	if err := checkBootstraps(buildDir, functionNames()); err != nil {
		return err
	}
	props.Code = func(function string) awslambda.Code {
		return awslambda.Code_FromAsset(jsii.String(filepath.Join(buildDir, function)), nil)
	}
	// No Env: the stack is environment-agnostic and deploys to the account
	// and region of the CLI's credentials.
	NewBenefitsStack(app, stackName, props)
	app.Synth(nil)
	return nil
}

// propsFromContext reads the context values (cdk.json defaults, overridden
// with `cdk ... -c key=value`) into StackProps, without Code.
func propsFromContext(get func(key string) any) (*StackProps, error) {
	var errs []error
	str := func(key, example string) string {
		v, ok := get(key).(string)
		if !ok || v == "" {
			errs = append(errs, fmt.Errorf("context value %s is missing: set it in cdk.json or pass -c %s=%s", key, key, example))
		}
		return v
	}
	props := &StackProps{
		JWTIssuer:       str("jwtIssuer", "https://auth.example.com/"),
		JWTAudience:     str("jwtAudience", "partner-benefits-api"),
		SESFromAddress:  str("sesFromAddress", "benefits@example.com"),
		KeyPoolLowWater: defaultKeyPoolLowWater,
	}
	// A count: a string from -c or cdk.json, or a JSON number in cdk.json.
	switch v := get("keyPoolLowWater").(type) {
	case nil:
	case string:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("context value keyPoolLowWater %q is not a count such as 50", v))
		}
		props.KeyPoolLowWater = n
	case float64:
		if v < 0 || v != math.Trunc(v) || v > math.MaxInt32 {
			errs = append(errs, fmt.Errorf("context value keyPoolLowWater %v is not a count such as 50", v))
		}
		props.KeyPoolLowWater = int(v)
	default:
		errs = append(errs, fmt.Errorf("context value keyPoolLowWater %v is not a count such as 50", v))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := props.validate(); err != nil {
		return nil, fmt.Errorf("invalid context: %w", err)
	}
	return props, nil
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
