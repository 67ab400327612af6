package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/schedules"
)

func TestAlarms(t *testing.T) {
	s := synth(t)
	topicID, _ := s.onlyOf(t, "AWS::SNS::Topic")
	all := s.ofType("AWS::CloudWatch::Alarm")
	// alarms returns the alarms on one metric of the resource with that id.
	alarms := func(namespace, metric, id string) []string {
		var out []string
		for alarmID, a := range all {
			p := a.Properties
			if p["Namespace"] == namespace && p["MetricName"] == metric && slices.Contains(refs(p["Dimensions"]), id) &&
				p["ComparisonOperator"] == "GreaterThanThreshold" && p["Threshold"] == float64(0) {
				out = append(out, alarmID)
			}
		}
		return out
	}
	one := func(t *testing.T, namespace, metric, id string) {
		t.Helper()
		if got := alarms(namespace, metric, id); len(got) != 1 {
			t.Errorf("%d alarms on %s %s > 0 of %s, want 1", len(got), namespace, metric, id)
		}
	}

	t.Run("every alarm notifies the topic", func(t *testing.T) {
		for id, a := range all {
			if got := jsonOf(a.Properties["AlarmActions"]); got != jsonOf([]any{map[string]any{"Ref": topicID}}) {
				t.Errorf("alarm %s: AlarmActions = %s, want the topic %s", id, got, topicID)
			}
			if name, _ := a.Properties["AlarmName"].(string); !strings.HasPrefix(name, stackName(stageProd)+"-") {
				t.Errorf("alarm %s: AlarmName %q does not start with the stack name", id, name)
			}
			if a.Properties["TreatMissingData"] != "notBreaching" {
				t.Errorf("alarm %s: TreatMissingData = %v, want notBreaching", id, a.Properties["TreatMissingData"])
			}
		}
	})
	t.Run("errors and throttles of every function", func(t *testing.T) {
		for _, name := range functionNames() {
			fnID, _ := s.function(t, name)
			one(t, "AWS/Lambda", "Errors", fnID)
			one(t, "AWS/Lambda", "Throttles", fnID)
		}
	})
	t.Run("dead-letter and on-failure queues", func(t *testing.T) {
		for _, job := range schedules.All {
			_, sched := s.schedule(t, job)
			dlqID, _ := s.referenced(t, target(sched)["DeadLetterConfig"], "AWS::SQS::Queue")
			one(t, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dlqID)
			fnID, _ := s.function(t, job.Name)
			_, qID, _ := s.onFailure(t, fnID)
			one(t, "AWS/SQS", "ApproximateNumberOfMessagesVisible", qID)
		}
	})
	t.Run("API 5xx", func(t *testing.T) {
		apiID, _ := s.onlyOf(t, "AWS::ApiGatewayV2::Api")
		check(t, func() {
			s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"Namespace": "AWS/ApiGateway", "MetricName": "5xx", "Statistic": "Sum",
				"Dimensions":         []any{map[string]any{"Name": "ApiId", "Value": map[string]any{"Ref": apiID}}},
				"ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": api5xxThreshold,
			})
		})
	})
	t.Run("key pool low water", func(t *testing.T) {
		var found []cfnResource
		for _, a := range all {
			if strings.Contains(jsonOf(a.Properties["Metrics"]), "KeyPoolRemaining") {
				found = append(found, a)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%d alarms on KeyPoolRemaining, want 1", len(found))
		}
		p := found[0].Properties
		metrics, _ := p["Metrics"].([]any)
		expr, _ := metrics[0].(map[string]any)
		if q := fmt.Sprint(expr["Expression"]); q != "SELECT MIN(KeyPoolRemaining) FROM SCHEMA(PartnerBenefits, Product)" {
			t.Errorf("query = %s, want the minimum over the products", q)
		}
		if p["Threshold"] != float64(testLowWater) || p["ComparisonOperator"] != "LessThanThreshold" {
			t.Errorf("Threshold %v %v, want LessThanThreshold %d (keyPoolLowWater)", p["ComparisonOperator"], p["Threshold"], testLowWater)
		}
	})
	t.Run("mail dead letters", func(t *testing.T) {
		check(t, func() {
			s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"Namespace": "PartnerBenefits", "MetricName": "MailDeadLetters", "Statistic": "Sum",
				"ComparisonOperator": "GreaterThanThreshold", "Threshold": 0,
			})
		})
	})
	t.Run("SES reputation", func(t *testing.T) {
		for _, metric := range []string{"Reputation.BounceRate", "Reputation.ComplaintRate"} {
			check(t, func() {
				s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
					"Namespace": "AWS/SES", "MetricName": metric, "ComparisonOperator": "GreaterThanThreshold",
				})
			})
		}
	})
	t.Run("no other alarms", func(t *testing.T) {
		// Errors and Throttles per function; DLQ and on-failure queue per
		// job; API 5xx, key pools, mail dead letters, SES bounces and
		// complaints.
		if want := 2*len(functionNames()) + 2*len(schedules.All) + 5; len(all) != want {
			t.Errorf("%d alarms, want %d", len(all), want)
		}
	})
	t.Run("alarm email from context", func(t *testing.T) {
		check(t, func() {
			s.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
				"Protocol": "email", "Endpoint": testAlarmEmail, "TopicArn": map[string]any{"Ref": topicID},
			})
		})
		if n := len(synthStage(t, stageDev).ofType("AWS::SNS::Subscription")); n != 0 {
			t.Errorf("dev without alarmEmail has %d subscriptions, want 0", n)
		}
	})
}
