// Command activate-gtm is the Lambda behind the "activate-gtm" routes of
// shared/routes: the marketing contact, offer activation, and the public
// confirmation page its email links open.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/boot"
)

func main() {
	lambda.Start(boot.HTTP(context.Background(), "activate-gtm", api.ActivateGTMEndpoints))
}
