package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/jsii-runtime-go"
)

// mailSender is where every email goes out from: the SES identity of the
// sender address and the configuration set. Functions that owe an email
// only queue it in the outbox; send-mail alone sends (functionGrants).
type mailSender struct {
	identity     awsses.EmailIdentity
	configSet    awsses.ConfigurationSet
	configSetARN *string
}

// newMail builds the sender identity and the configuration set.
func (b *builder) newMail() mailSender {
	// An email identity must be verified (a link SES mails to the address);
	// a domain identity with DKIM (awsses.Identity_Domain) can replace it
	// without touching the grants.
	identity := awsses.NewEmailIdentity(b.stack, jsii.String("Sender"), &awsses.EmailIdentityProps{
		Identity: awsses.Identity_Email(jsii.String(b.props.SESFromAddress)),
	})
	// Every message goes out through this configuration set: SES keeps
	// bounced and complaining addresses off the list and publishes
	// reputation metrics for it.
	configSet := awsses.NewConfigurationSet(b.stack, jsii.String("MailConfigurationSet"), &awsses.ConfigurationSetProps{
		ConfigurationSetName: jsii.String(*b.stack.StackName()),
		ReputationMetrics:    jsii.Bool(true),
		SendingEnabled:       jsii.Bool(true),
		SuppressionReasons:   awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
	})
	configSetARN := b.stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ses"), Resource: jsii.String("configuration-set"), ResourceName: configSet.ConfigurationSetName(),
	})
	return mailSender{identity: identity, configSet: configSet, configSetARN: configSetARN}
}
