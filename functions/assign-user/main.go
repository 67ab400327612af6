// Command assign-user is the Lambda behind the credit seat routes ("assign-user") of shared/routes.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/boot"
)

func main() {
	lambda.Start(boot.HTTP(context.Background(), "assign-user", api.AssignUserEndpoints))
}
