// Command request-cancel is the Lambda behind POST
// /v1/purchases/{id}/cancel: a package cancelled for a refund within 30
// days, if no software key of it was taken.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/boot"
)

func main() {
	lambda.Start(boot.HTTP(context.Background(), "request-cancel", api.RequestCancelEndpoints))
}
