// Command finish-cancellations releases the seats and credit offers of
// cancelled purchases: the cancel request commits in one transaction and
// marks the purchase; EventBridge Scheduler invokes this every minute to
// finish what is marked (shared/cancel has the job).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/boot"
)

func main() {
	lambda.Start(boot.FinishCancellations(context.Background()))
}
