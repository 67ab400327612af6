// Package awslambda invokes Lambda functions. It is its own package so that
// only the function that continues itself (monthly-credit-grant) links the
// Lambda client and runs its package init at cold start; it satisfies
// boot.InvokeAPI.
package awslambda

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Client invokes functions through the Lambda API.
type Client struct {
	lambda *lambda.Client
}

// New makes a client from the function's AWS configuration; the endpoint
// follows AWS_ENDPOINT_URL_LAMBDA like every other client's.
func New(cfg aws.Config) *Client { return &Client{lambda: lambda.NewFromConfig(cfg)} }

// InvokeAsync queues an invocation of the function (InvocationType Event)
// with the payload and returns once Lambda accepted it.
func (c *Client) InvokeAsync(ctx context.Context, functionName string, payload []byte) error {
	_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(functionName),
		InvocationType: types.InvocationTypeEvent, Payload: payload})
	return err
}
