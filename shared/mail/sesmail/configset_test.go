package sesmail_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/mail/sesmail"
)

// capture fakes SES v2 SendEmail and keeps the last input.
type capture struct{ in *sesv2.SendEmailInput }

func (c *capture) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	c.in = in
	return &sesv2.SendEmailOutput{MessageId: aws.String("ses-1")}, nil
}

// TestConfigurationSet: with a configuration set (SES_CONFIGURATION_SET in
// AWS) every message names it; without one, none is named.
func TestConfigurationSet(t *testing.T) {
	m := mail.Message{ID: "msg_1", To: []string{"a@example.com"}}
	r := mail.Rendered{Subject: "s", Text: "t"}
	for _, set := range []string{"PartnerBenefits-prod", ""} {
		c := &capture{}
		ses := sesmail.New(c, "from@example.com")
		ses.ConfigurationSet = set
		if err := ses.Send(context.Background(), m, r); err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(c.in.ConfigurationSetName); got != set || (set == "" && c.in.ConfigurationSetName != nil) {
			t.Errorf("ConfigurationSet %q: ConfigurationSetName = %v", set, c.in.ConfigurationSetName)
		}
	}
}

func TestFromConfigReadsConfigurationSet(t *testing.T) {
	t.Setenv("SES_CONFIGURATION_SET", "PartnerBenefits-dev")
	if got := sesmail.FromConfig(aws.Config{Region: "us-east-1"}, "from@example.com").ConfigurationSet; got != "PartnerBenefits-dev" {
		t.Errorf("ConfigurationSet = %q, want SES_CONFIGURATION_SET", got)
	}
	t.Setenv("SES_CONFIGURATION_SET", "")
	if got := sesmail.FromConfig(aws.Config{Region: "us-east-1"}, "from@example.com").ConfigurationSet; got != "" {
		t.Errorf("ConfigurationSet = %q without SES_CONFIGURATION_SET", got)
	}
}
