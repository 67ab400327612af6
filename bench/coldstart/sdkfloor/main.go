// Command sdkfloor is the second baseline of bench/coldstart: the hello-world
// function plus what every function of this repository does before it can
// serve: the SDK configuration from the environment (shared/awsenv, as
// shared/boot builds it) and a DynamoDB client. It is the least a function
// can take to start while it uses them: what a function takes beyond it is
// the function's own.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/pbs/benefits/shared/awsenv"
)

func main() {
	cfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		panic(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	lambda.Start(func(context.Context) (string, error) {
		_ = db
		return "hello", nil
	})
}
