// Command send-mail drains the email outbox. An EventBridge Scheduler
// schedule invokes it every minute; it sends each due message once and
// records failures for a later retry (shared/mail).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pbs/benefits/shared/boot"
	"github.com/pbs/benefits/shared/mail/sesmail"
)

func main() {
	// Only this function sends mail, so only it links the SES v2 client.
	lambda.Start(boot.SendMail(context.Background(), sesmail.FromConfig))
}
