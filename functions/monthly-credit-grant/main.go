// Command monthly-credit-grant grants each monthly cloud credit that has a
// holder one month's amount, exactly once per credit and month. EventBridge
// Scheduler invokes it at 00:00 UTC on the 1st (shared/credit has the job).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/awslambda"
	"github.com/pbs/benefits/shared/boot"
)

func main() {
	// Only the jobs that continue themselves link the Lambda client.
	lambda.Start(boot.MonthlyCreditGrant(context.Background(), awslambda.New))
}
