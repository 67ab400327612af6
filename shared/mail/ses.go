package mail

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// DefaultFrom is the sender address off AWS (the local SES emulator accepts
// any); functions in AWS get the verified identity as SES_FROM_ADDRESS.
const DefaultFrom = "benefits@example.com"

// HeaderMessageID carries the outbox message id, so a delivered email can be
// traced back to the state change that owed it.
const HeaderMessageID = "X-Benefits-Message-Id"

// SendEmailAPI is the one SES v2 operation the adapter calls;
// *sesv2.Client satisfies it.
type SendEmailAPI interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// SES is the Transport of the sender in AWS and against the local emulator.
type SES struct {
	client SendEmailAPI
	from   string
}

// NewSES sends from the given address through client.
func NewSES(client SendEmailAPI, from string) *SES { return &SES{client: client, from: from} }

// Send delivers one rendered message as SES "simple" content (UTF-8).
func (s *SES) Send(ctx context.Context, m Message, r Rendered) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("ses: send %s: %w", m.ID, err)
		}
	}()
	if len(m.To) == 0 {
		return errors.New("no recipient")
	}
	body := &types.Body{}
	if r.Text != "" {
		body.Text = utf8(r.Text)
	}
	if r.HTML != "" {
		body.Html = utf8(r.HTML)
	}
	_, err = s.client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.from),
		Destination:      &types.Destination{ToAddresses: m.To},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: utf8(r.Subject),
			Body:    body,
			Headers: []types.MessageHeader{{Name: aws.String(HeaderMessageID), Value: aws.String(m.ID)}},
		}},
	})
	return err
}

func utf8(s string) *types.Content {
	return &types.Content{Data: aws.String(s), Charset: aws.String("UTF-8")}
}
