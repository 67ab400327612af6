package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/mail"
)

// newAlarmTopic is the SNS topic every alarm notifies, with the operator's
// email subscribed when one is configured.
func (b *builder) newAlarmTopic() awssns.Topic {
	topic := awssns.NewTopic(b.stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String(*b.stack.StackName() + " alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	checkov(topic, skipTopicKMS)
	if b.props.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(b.props.AlarmEmail), nil))
	}
	return topic
}

// notifyAlarms makes every alarm of the stack notify the alarm topic.
func (b *builder) notifyAlarms() {
	for _, a := range b.alarms {
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(b.topic))
	}
}

// anyAbove adds an alarm on metric > 0 over one period; missing data (no
// invocations, an empty queue) is OK.
func (b *builder) anyAbove(id, name, description string, metric awscloudwatch.IMetric) awscloudwatch.Alarm {
	return b.alarm(id, name, description, metric, 0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
}

func (b *builder) alarm(id, name, description string, metric awscloudwatch.IMetric, threshold float64, op awscloudwatch.ComparisonOperator) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(b.stack, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(*b.stack.StackName() + "-" + name),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: op,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	b.alarms = append(b.alarms, a)
	return a
}

// Alarms on the service as a whole.
const (
	// api5xxThreshold: server errors in 5 minutes that wake someone; one
	// 5xx is often a client's retry away, five in five minutes are not.
	api5xxThreshold = 5
	// SES reviews accounts whose bounce rate passes 5% or complaint rate
	// 0.1%, and pauses sending at 10% and 0.5%: warn at the review marks.
	sesBounceRateThreshold    = 0.05
	sesComplaintRateThreshold = 0.001
)

// newServiceAlarms adds the alarms on the API's 5xx, the key pools and SES.
func (b *builder) newServiceAlarms(api awsapigatewayv2.HttpApi) {
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	b.alarm("Api5xxAlarm", "api-5xx", fmt.Sprintf("API answered at least %d 5xx responses in 5 minutes; see the access log and the functions' logs", api5xxThreshold),
		api.MetricServerError(&awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}),
		api5xxThreshold, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)

	// get-key writes KeyPoolRemaining (namespace PartnerBenefits, dimension
	// Product) in embedded metric format only when a pool is below the low
	// water mark or empty. Products are catalogue data, unknown here, so one
	// Metrics Insights query takes the minimum over every product: the
	// alarm fires when any pool reported a level under the mark. With the
	// mark at 0 (no warnings) it still fires on an empty pool.
	threshold := max(b.props.KeyPoolLowWater, 1)
	b.alarm("KeyPoolLowAlarm", "key-pool-low", fmt.Sprintf("A key pool has fewer than %d free keys (KeyPoolRemaining by Product); import keys with POST /v1/admin/key-pools/{product}", threshold),
		awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(`SELECT MIN(KeyPoolRemaining) FROM SCHEMA(PartnerBenefits, Product)`),
			Label:      jsii.String("Fewest free keys of any pool"),
			Period:     fiveMinutes,
		}),
		float64(threshold), awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD)

	// send-mail writes MailDeadLetters (namespace PartnerBenefits, no
	// dimension) in embedded metric format for every message it gave up
	// on: after its last retry, or at once when SES rejected it for good
	// (an unverified sender identity in the sandbox, a malformed address).
	b.anyAbove("MailDeadLettersAlarm", "mail-dead-letters", "send-mail gave up on a message (MailDeadLetters); its log line \"mail dead letter\" says why, e.g. an SES identity that is not verified",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(mail.MetricNamespace), MetricName: jsii.String("MailDeadLetters"), Statistic: jsii.String("Sum"), Period: fiveMinutes,
		}))

	// Account-wide SES reputation (AWS/SES, no dimension).
	hour := awscdk.Duration_Hours(jsii.Number(1))
	for _, m := range []struct {
		id, name, metric, what string
		threshold              float64
	}{
		{"SesBounceRateAlarm", "ses-bounce-rate", "Reputation.BounceRate", "bounce rate", sesBounceRateThreshold},
		{"SesComplaintRateAlarm", "ses-complaint-rate", "Reputation.ComplaintRate", "complaint rate", sesComplaintRateThreshold},
	} {
		b.alarm(m.id, m.name, fmt.Sprintf("The account's SES %s is above %g, where SES starts a review (it pauses sending at 10%% bounces or 0.5%% complaints); see the SES reputation page", m.what, m.threshold),
			awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("AWS/SES"), MetricName: jsii.String(m.metric), Statistic: jsii.String("Maximum"), Period: hour,
			}),
			m.threshold, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
	}
}
