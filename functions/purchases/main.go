// Command purchases is the Lambda behind the "purchases" routes of shared/routes.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/boot"
)

func main() {
	lambda.Start(boot.HTTP(context.Background(), "purchases", api.PurchasesEndpoints))
}
