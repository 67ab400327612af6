// Command send-mail drains the email outbox. An EventBridge Scheduler
// schedule invokes it every minute; it sends each due message once and
// records failures for a later retry (shared/mail).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/boot"
)

func main() {
	lambda.Start(boot.SendMail(context.Background()))
}
