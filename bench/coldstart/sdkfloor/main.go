// Command sdkfloor is the second baseline of bench/coldstart: the hello-world
// function plus what every function of this repository does before it can
// serve, the SDK's default config loading and a DynamoDB client. It is the
// least a function can take to start while it uses them: what a function
// takes beyond it is the function's own.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	lambda.Start(func(context.Context) (string, error) {
		_ = db
		return "hello", nil
	})
}
