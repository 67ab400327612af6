package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestOutputs(t *testing.T) {
	s := synth(t)
	for _, name := range []string{"ApiUrl", "ConsoleUrl", "TableName", "AlarmTopicArn", "SigningSecretArn", "SesConfigurationSet"} {
		if _, ok := s.outputs[name]; !ok {
			t.Errorf("output %s missing; have %v", name, slices.Sorted(maps.Keys(s.outputs)))
		}
	}
}

// TestStages: each stage is its own stack whose explicit resource names
// carry the stack name, so dev and prod deploy side by side; prod keeps its
// data and refuses deletion.
func TestStages(t *testing.T) {
	names := map[string]string{} // explicit name -> stage
	for _, stage := range stages {
		s := synthStage(t, stage)
		if got, want := *s.stack.StackName(), stackPrefix+"-"+stage; got != want {
			t.Errorf("stack name %q, want %q", got, want)
		}
		for id, r := range s.resources {
			for _, key := range []string{"Name", "AlarmName", "TopicName", "QueueName", "FunctionName", "TableName", "LogGroupName", "RoleName"} {
				name, ok := r.Properties[key].(string)
				if !ok || r.Type == "AWS::ApiGatewayV2::Authorizer" { // named within its API
					continue
				}
				if !strings.HasPrefix(name, *s.stack.StackName()) {
					t.Errorf("%s: %s %s = %q does not start with the stack name", stage, id, key, name)
				}
				if other, dup := names[name]; dup {
					t.Errorf("%s and %s both name a resource %q", other, stage, name)
				}
				names[name] = stage
			}
		}
		retain := stage == stageProd
		for id, r := range s.resources {
			switch r.Type {
			case "AWS::DynamoDB::Table", "AWS::Logs::LogGroup", "AWS::SecretsManager::Secret", "AWS::S3::Bucket":
				if got := r.DeletionPolicy == "Retain"; got != retain {
					t.Errorf("%s: %s DeletionPolicy %q, want retained = %v", stage, id, r.DeletionPolicy, retain)
				}
			}
		}
		tp := s.props.TerminationProtection != nil && *s.props.TerminationProtection
		if tp != retain {
			t.Errorf("%s: termination protection %v, want %v", stage, tp, retain)
		}
		if got := *(*s.props.Tags)["stage"]; got != stage {
			t.Errorf("%s: stage tag %q", stage, got)
		}
	}
	if len(names) == 0 {
		t.Error("no explicitly named resources found")
	}
}

// TestCheckovSkips: every checkov finding the stack accepts is in the
// template, next to its resource, with a one-line reason, and only the
// reviewed ones.
func TestCheckovSkips(t *testing.T) {
	allowed := map[string][]string{
		"AWS::Lambda::Function":       {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"},
		"AWS::Logs::LogGroup":         {"CKV_AWS_158"},
		"AWS::SQS::Queue":             {"CKV_AWS_27"},
		"AWS::DynamoDB::Table":        {"CKV_AWS_119"},
		"AWS::SNS::Topic":             {"CKV_AWS_26"},
		"AWS::SecretsManager::Secret": {"CKV_AWS_149"},
		// The console (console.go).
		"AWS::S3::Bucket":               {"CKV_AWS_18", "CKV_AWS_21"},
		"AWS::CloudFront::Distribution": {"CKV_AWS_174", "CKV_AWS_68", "CKV_AWS_86"},
	}
	for _, stage := range stages {
		s := synthStage(t, stage)
		for id, r := range s.resources {
			var meta struct {
				Skip []struct{ ID, Comment string }
			}
			raw, _ := json.Marshal(r.Metadata["checkov"])
			_ = json.Unmarshal(raw, &meta)
			var ids []string
			for _, sk := range meta.Skip {
				ids = append(ids, sk.ID)
				if len(sk.Comment) < 20 || len(sk.Comment) > 200 || strings.Contains(sk.Comment, "\n") {
					t.Errorf("%s %s: skip %s has no one-line reason: %q", stage, id, sk.ID, sk.Comment)
				}
			}
			slices.Sort(ids)
			if want := allowed[r.Type]; !slices.Equal(ids, want) {
				t.Errorf("%s %s (%s) skips %v, want %v", stage, id, r.Type, ids, want)
			}
		}
	}
}
