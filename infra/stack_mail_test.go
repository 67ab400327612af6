package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

func TestOnlySendMailSendsMail(t *testing.T) {
	s := synth(t)
	_, fn := s.function(t, "send-mail")
	sendMailRole, _ := s.referenced(t, fn.Properties["Role"], "AWS::IAM::Role")
	for id, p := range s.ofType("AWS::IAM::Policy") {
		raw, _ := json.Marshal(p.Properties["PolicyDocument"])
		if !strings.Contains(string(raw), `"ses:`) {
			continue
		}
		if roles := refs(p.Properties["Roles"]); !slices.Equal(roles, []string{sendMailRole}) {
			t.Errorf("policy %s grants SES to roles %v, want only send-mail's %s", id, roles, sendMailRole)
		}
	}
}

func TestSES(t *testing.T) {
	s := synth(t)
	check(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), map[string]any{"EmailIdentity": testFrom})
	})
	check(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::SES::ConfigurationSet"), map[string]any{
			"Name":               stackName(stageProd),
			"SuppressionOptions": map[string]any{"SuppressedReasons": []any{"BOUNCE", "COMPLAINT"}},
			"ReputationOptions":  map[string]any{"ReputationMetricsEnabled": true},
		})
	})
}
