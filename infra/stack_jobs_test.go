package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/schedules"
)

func TestSchedules(t *testing.T) {
	s := synth(t)
	if got, want := len(s.ofType("AWS::Scheduler::Schedule")), len(schedules.All); got != want {
		t.Errorf("%d schedules, want %d", got, want)
	}
	for _, job := range schedules.All {
		t.Run(job.Name, func(t *testing.T) {
			_, sched := s.schedule(t, job)
			fnID, _ := s.function(t, job.Name)
			p := sched.Properties
			for k, want := range map[string]any{
				"ScheduleExpression":         job.Expression,
				"ScheduleExpressionTimezone": "Etc/UTC",
				"FlexibleTimeWindow":         map[string]any{"Mode": "OFF"},
				"State":                      "ENABLED",
			} {
				if got := p[k]; fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			tgt := target(sched)
			retry := fmt.Sprint(tgt["RetryPolicy"])
			if want := fmt.Sprint(map[string]any{"MaximumEventAgeInSeconds": scheduleMaxEventAge * 3600, "MaximumRetryAttempts": scheduleRetryAttempts}); retry != want {
				t.Errorf("RetryPolicy = %s, want %s", retry, want)
			}
			if input, ok := tgt["Input"]; !ok {
				t.Error("no Input: the function gets Scheduler's default payload")
			} else if raw, _ := json.Marshal(input); !strings.Contains(string(raw), `\"source\":\"aws.scheduler\"`) ||
				!strings.Contains(string(raw), "aws.scheduler.scheduled-time") {
				t.Errorf("Input = %s, want an aws.scheduler event with the scheduled time", raw)
			}

			dlqID, dlq := s.referenced(t, tgt["DeadLetterConfig"], "AWS::SQS::Queue")
			checkQueue(t, dlq)

			roleID, role := s.referenced(t, tgt["RoleArn"], "AWS::IAM::Role")
			trust, _ := json.Marshal(role.Properties["AssumeRolePolicyDocument"])
			if !strings.Contains(string(trust), `"Service":"scheduler.amazonaws.com"`) || !strings.Contains(string(trust), "aws:SourceAccount") {
				t.Errorf("trust policy %s, want scheduler.amazonaws.com from this account only", trust)
			}
			// The function's ARN, or the same ARN with a version or alias.
			fnARN := map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}
			allowed := []string{jsonOf(fnARN), jsonOf(map[string]any{"Fn::Join": []any{"", []any{fnARN, ":*"}}})}
			invokes := false
			for _, st := range s.roleStatements(t, roleID) {
				if st.Effect != "Allow" {
					continue
				}
				for _, a := range st.actions() {
					switch a {
					case "lambda:InvokeFunction":
						invokes = true
						for _, r := range resources(st) {
							if !slices.Contains(allowed, jsonOf(r)) {
								t.Errorf("lambda:InvokeFunction on %s, want only %s", jsonOf(r), jsonOf(fnARN))
							}
						}
					case "sqs:SendMessage":
						if got := refs(st.Resource); !slices.Equal(slices.Compact(got), []string{dlqID}) {
							t.Errorf("sqs:SendMessage on %v, want only the DLQ %s", got, dlqID)
						}
					default:
						t.Errorf("scheduler role allows %s", a)
					}
				}
			}
			if !invokes {
				t.Error("scheduler role may not invoke the function")
			}
		})
	}
}

// checkQueue checks a dead-letter or on-failure queue.
func checkQueue(t *testing.T, q cfnResource) {
	t.Helper()
	if got := q.Properties["SqsManagedSseEnabled"]; got != true {
		t.Errorf("queue SqsManagedSseEnabled = %v, want true", got)
	}
	if got := q.Properties["MessageRetentionPeriod"]; got != float64(14*24*3600) {
		t.Errorf("queue MessageRetentionPeriod = %v, want 14 days", got)
	}
}

// onFailure returns the EventInvokeConfig of a function and its on-failure queue.
func (s *synthesized) onFailure(t *testing.T, fnID string) (cfnResource, string, cfnResource) {
	t.Helper()
	var found []cfnResource
	for _, c := range s.ofType("AWS::Lambda::EventInvokeConfig") {
		if slices.Equal(refs(c.Properties["FunctionName"]), []string{fnID}) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d EventInvokeConfigs for %s, want 1", len(found), fnID)
	}
	dest, _ := found[0].Properties["DestinationConfig"].(map[string]any)
	onFailure, _ := dest["OnFailure"].(map[string]any)
	qID, q := s.referenced(t, onFailure["Destination"], "AWS::SQS::Queue")
	return found[0], qID, q
}

func TestOnFailureDestinations(t *testing.T) {
	s := synth(t)
	if got, want := len(s.ofType("AWS::Lambda::EventInvokeConfig")), len(schedules.All); got != want {
		t.Errorf("%d EventInvokeConfigs, want one per job (%d)", got, want)
	}
	for _, job := range schedules.All {
		t.Run(job.Name, func(t *testing.T) {
			fnID, fn := s.function(t, job.Name)
			cfg, qID, q := s.onFailure(t, fnID)
			checkQueue(t, q)
			_, sched := s.schedule(t, job)
			if dlqID, _ := s.referenced(t, target(sched)["DeadLetterConfig"], "AWS::SQS::Queue"); dlqID == qID {
				t.Errorf("the on-failure queue is the schedule's DLQ %s; want a queue of its own", qID)
			}
			wantRetries := 2
			if job.Expression == "rate(1 minute)" {
				wantRetries = 0 // the next minute's run is the retry
			}
			if got := cfg.Properties["MaximumRetryAttempts"]; got != float64(wantRetries) {
				t.Errorf("MaximumRetryAttempts = %v, want %d", got, wantRetries)
			}
			if age, _ := cfg.Properties["MaximumEventAgeInSeconds"].(float64); age < 60 || age > 6*3600 {
				t.Errorf("MaximumEventAgeInSeconds = %v, want 1 minute to 6 hours", age)
			}
			if cfg.Properties["Qualifier"] != "$LATEST" {
				t.Errorf("Qualifier = %v, want $LATEST", cfg.Properties["Qualifier"])
			}
			// Lambda checks sqs:SendMessage when the config is created.
			roleID, _ := s.referenced(t, fn.Properties["Role"], "AWS::IAM::Role")
			if !slices.Contains(cfg.DependsOn, roleID) {
				t.Errorf("EventInvokeConfig DependsOn %v, want the role %s", cfg.DependsOn, roleID)
			}
			sends := false
			for _, st := range s.roleStatements(t, roleID) {
				if slices.Contains(st.actions(), "sqs:SendMessage") {
					sends = true
					if got := refs(st.Resource); !slices.Equal(got, []string{qID}) {
						t.Errorf("sqs:SendMessage on %v, want only the on-failure queue %s", got, qID)
					}
				}
			}
			if !sends {
				t.Error("the function's role may not send to its on-failure queue")
			}
		})
	}
	t.Run("HTTP functions have none", func(t *testing.T) {
		for _, name := range routes.Functions() {
			fnID, _ := s.function(t, name)
			for _, c := range s.ofType("AWS::Lambda::EventInvokeConfig") {
				if slices.Contains(refs(c.Properties["FunctionName"]), fnID) {
					t.Errorf("HTTP function %s has an EventInvokeConfig", name)
				}
			}
		}
	})
}
