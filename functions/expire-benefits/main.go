// Command expire-benefits expires benefit lines past their date and emails
// each partner's global admins 30 and 7 days before. EventBridge Scheduler
// invokes it daily (shared/expiry has the job); a run that nears its
// timeout continues itself.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/awslambda"
	"github.com/pbs/benefits/shared/boot"
)

func main() {
	lambda.Start(boot.ExpireBenefits(context.Background(), awslambda.New))
}
