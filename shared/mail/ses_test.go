package mail_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/mail/sesmail"
)

// sendEmailFunc fakes the one SES operation the adapter calls.
type sendEmailFunc func(*sesv2.SendEmailInput) (*sesv2.SendEmailOutput, error)

func (f sendEmailFunc) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return f(in)
}

func TestSESSendsSimpleUTF8Content(t *testing.T) {
	var got *sesv2.SendEmailInput
	ses := sesmail.New(sendEmailFunc(func(in *sesv2.SendEmailInput) (*sesv2.SendEmailOutput, error) {
		got = in
		return &sesv2.SendEmailOutput{MessageId: aws.String("ses-1")}, nil
	}), "from@example.com")
	m := mail.Message{ID: "msg_1", To: []string{"a@example.com"}}
	if err := ses.Send(context.Background(), m, mail.Rendered{Subject: "件名", Text: "本文"}); err != nil {
		t.Fatal(err)
	}
	simple := got.Content.Simple
	switch {
	case aws.ToString(got.FromEmailAddress) != "from@example.com", len(got.Destination.ToAddresses) != 1:
		t.Errorf("envelope: %+v", got)
	case aws.ToString(simple.Subject.Data) != "件名", aws.ToString(simple.Subject.Charset) != "UTF-8":
		t.Errorf("subject: %+v", simple.Subject)
	case simple.Body.Text == nil || aws.ToString(simple.Body.Text.Data) != "本文", simple.Body.Html != nil:
		t.Errorf("body: %+v", simple.Body)
	case len(simple.Headers) != 1 || aws.ToString(simple.Headers[0].Name) != mail.HeaderMessageID || aws.ToString(simple.Headers[0].Value) != "msg_1":
		t.Errorf("headers: %+v", simple.Headers)
	}
}

func TestSESErrors(t *testing.T) {
	boom := errors.New("throttled")
	ses := sesmail.New(sendEmailFunc(func(*sesv2.SendEmailInput) (*sesv2.SendEmailOutput, error) { return nil, boom }), "f@example.com")
	r := mail.Rendered{Subject: "s", Text: "t"}
	if err := ses.Send(context.Background(), mail.Message{ID: "m", To: []string{"a@example.com"}}, r); !errors.Is(err, boom) {
		t.Errorf("SES error not passed on: %v", err)
	}
	if err := ses.Send(context.Background(), mail.Message{ID: "m"}, r); err == nil {
		t.Error("a message without recipients was sent")
	}
}
