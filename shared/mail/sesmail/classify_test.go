package sesmail_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/mail/sesmail"
)

// failing answers every SendEmail with err.
type failing struct{ err error }

func (f failing) SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return nil, f.err
}

// TestPermanentErrors: what real SES answers for a sender identity or
// recipient that is not verified (MessageRejected, also in the sandbox), an
// unverified MAIL FROM domain or a malformed request is permanent; what time
// or the operator fixes (throttling, a paused account, a server error) is
// not. The local emulator accepts anything, so the SES errors are made here.
func TestPermanentErrors(t *testing.T) {
	m := mail.Message{ID: "msg_1", To: []string{"a@example.com"}}
	r := mail.Rendered{Subject: "s", Text: "t"}
	for _, c := range []struct {
		name      string
		err       error
		permanent bool
	}{
		{"message rejected", &types.MessageRejected{Message: aws.String("Email address is not verified.")}, true},
		{"MAIL FROM not verified", &types.MailFromDomainNotVerifiedException{Message: aws.String("not verified")}, true},
		{"bad request", &types.BadRequestException{Message: aws.String("Missing final '@domain'")}, true},
		{"throttled", &types.TooManyRequestsException{Message: aws.String("Maximum sending rate exceeded.")}, false},
		{"sending paused", &types.SendingPausedException{Message: aws.String("paused")}, false},
		{"account suspended", &types.AccountSuspendedException{Message: aws.String("suspended")}, false},
		{"network", errors.New("dial tcp: connection refused"), false},
	} {
		err := sesmail.New(failing{c.err}, "from@example.com").Send(context.Background(), m, r)
		if err == nil || errors.Is(err, mail.ErrPermanent) != c.permanent {
			t.Errorf("%s: %v, permanent %v, want %v", c.name, err, errors.Is(err, mail.ErrPermanent), c.permanent)
		}
	}
	for name, bad := range map[string]mail.Message{"no recipient": {ID: "m"}, "too many": {ID: "m", To: make([]string, mail.MaxRecipients+1)}} {
		if err := sesmail.New(failing{}, "from@example.com").Send(context.Background(), bad, r); !errors.Is(err, mail.ErrPermanent) {
			t.Errorf("%s: %v, want permanent", name, err)
		}
	}
}
