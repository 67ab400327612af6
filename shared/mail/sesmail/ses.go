// Package sesmail is the SES v2 transport of the mail sender. It is its own
// package so that only the function that sends mail (send-mail) links the
// SES v2 client; every other function writes mail to the outbox only.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/pbs/benefits/shared/mail"
)

// SendEmailAPI is the one SES v2 operation the adapter calls;
// *sesv2.Client satisfies it.
type SendEmailAPI interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// SES is the mail.Transport of the sender in AWS and against the local emulator.
type SES struct {
	client SendEmailAPI
	from   string
	// ConfigurationSet, if set, is the SES configuration set every message
	// is sent with (SES_CONFIGURATION_SET; the stack creates it and grants
	// ses:SendEmail on it).
	ConfigurationSet string
}

// New sends from the given address through client.
func New(client SendEmailAPI, from string) *SES { return &SES{client: client, from: from} }

// Send delivers one rendered message as SES "simple" content (UTF-8).
func (s *SES) Send(ctx context.Context, m mail.Message, r mail.Rendered) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("ses: send %s: %w", m.ID, err)
		}
	}()
	if len(m.To) == 0 {
		return mail.Permanent(errors.New("no recipient"))
	}
	if len(m.To) > mail.MaxRecipients {
		return mail.Permanent(fmt.Errorf("%d recipients, SES takes at most %d", len(m.To), mail.MaxRecipients))
	}
	body := &types.Body{}
	if r.Text != "" {
		body.Text = utf8(r.Text)
	}
	if r.HTML != "" {
		body.Html = utf8(r.HTML)
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.from),
		Destination:      &types.Destination{ToAddresses: m.To},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: utf8(r.Subject),
			Body:    body,
			Headers: []types.MessageHeader{{Name: aws.String(mail.HeaderMessageID), Value: aws.String(m.ID)}},
		}},
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	_, err = s.client.SendEmail(ctx, in)
	return classify(err)
}

// classify marks the SES errors no retry of this message can fix as
// permanent: the message was rejected (in the SES sandbox, also a sender
// identity or recipient that is not verified), the MAIL FROM domain is not
// verified, or the request itself is malformed. Throttling, a paused or
// suspended account and server errors stay retried: they end with time or
// with the operator's fix, and the retries ride them out.
func classify(err error) error {
	var (
		rejected   *types.MessageRejected
		mailFrom   *types.MailFromDomainNotVerifiedException
		badRequest *types.BadRequestException
	)
	if errors.As(err, &rejected) || errors.As(err, &mailFrom) || errors.As(err, &badRequest) {
		return mail.Permanent(err)
	}
	return err
}

func utf8(s string) *types.Content {
	return &types.Content{Data: aws.String(s), Charset: aws.String("UTF-8")}
}

// FromConfig makes the transport from the function's AWS configuration: an
// SES v2 client whose endpoint follows AWS_ENDPOINT_URL_SESV2 like every
// other client's, sending from from, with the configuration set named by
// SES_CONFIGURATION_SET when that is set.
func FromConfig(cfg aws.Config, from string) *SES {
	s := New(sesv2.NewFromConfig(cfg), from)
	s.ConfigurationSet = os.Getenv("SES_CONFIGURATION_SET")
	return s
}
