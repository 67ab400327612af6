// Command get-key is the Lambda behind the software routes ("get-key" in shared/routes).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/boot"
)

func main() {
	lambda.Start(boot.HTTP(context.Background(), "get-key"))
}
