package boot

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store"
)

// MailSettings are the environment variables of the send-mail function.
type MailSettings struct {
	TableName string // TABLE_NAME (required)
	From      string // SES_FROM_ADDRESS (required: SES sends only from a verified identity)
}

// MailFromEnv reads MailSettings, naming a missing variable.
func MailFromEnv(getenv func(string) string) (MailSettings, error) {
	var s MailSettings
	var err error
	if s.TableName, err = required(getenv, "TABLE_NAME"); err != nil {
		return s, err
	}
	s.From, err = required(getenv, "SES_FROM_ADDRESS")
	return s, err
}

// NewSender wires the outbox sender over a DynamoDB client and a transport
// (shared/mail/sesmail's SES v2 one, sending from s.From).
func NewSender(s MailSettings, db store.API, transport mail.Transport, log *slog.Logger) *mail.Sender {
	st := store.New(db, s.TableName)
	return &mail.Sender{Outbox: st, Directory: st, Transport: transport, Log: log}
}

// MailHandler is the send-mail function: every scheduled invocation drains
// the outbox at the clock's now. An error fails the invocation, and the
// messages it did not reach wait for the next one.
func MailHandler(sender *mail.Sender, clk clock.Clock, log *slog.Logger) func(context.Context, events.EventBridgeEvent) (mail.Summary, error) {
	return func(ctx context.Context, _ events.EventBridgeEvent) (mail.Summary, error) {
		sum, err := sender.Drain(ctx, clk.Now())
		if err != nil {
			log.ErrorContext(ctx, "drain outbox", "error", err.Error(), "sent", sum.Sent, "failed", sum.Failed, "dead", sum.Dead)
			return sum, err
		}
		log.InfoContext(ctx, "drained outbox", "sent", sum.Sent, "failed", sum.Failed, "dead", sum.Dead)
		return sum, nil
	}
}

// SendMail builds the send-mail handler from the environment; any error is
// fatal at cold start. newTransport makes the transport from the AWS
// configuration and SES_FROM_ADDRESS: send-mail's main passes
// sesmail.FromConfig, so that only that function links the SES v2 client
// (every function links this package).
func SendMail[T mail.Transport](ctx context.Context, newTransport func(cfg aws.Config, from string) T) func(context.Context, events.EventBridgeEvent) (mail.Summary, error) {
	var settings MailSettings
	c := coldStart(ctx, func(getenv func(string) string) (err error) {
		settings, err = MailFromEnv(getenv)
		return err
	})
	sender := NewSender(settings, c.db, newTransport(c.cfg, settings.From), c.log)
	return MailHandler(sender, clock.System{}, c.log)
}
