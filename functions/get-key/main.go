// Command get-key is the Lambda behind the software routes ("get-key" in shared/routes).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/awssecret"
	"github.com/pbs/benefits/shared/boot"
)

func main() {
	// Only this function reads the licence-key signing secret
	// (LICENSE_SIGNING_SECRET_ARN), so only it links the Secrets Manager client.
	lambda.Start(boot.HTTP(context.Background(), "get-key", api.GetKeyEndpoints, boot.WithSecrets(awssecret.New)))
}
