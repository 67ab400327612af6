package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/routes"
)

func TestAPI(t *testing.T) {
	s := synth(t)
	tests := []struct {
		name  string
		typ   string
		props map[string]any
	}{
		{"JWT authorizer", "AWS::ApiGatewayV2::Authorizer", map[string]any{
			"AuthorizerType": "JWT",
			"IdentitySource": []any{"$request.header.Authorization"},
			"JwtConfiguration": map[string]any{
				"Issuer":   testIssuer,
				"Audience": []any{testAudience},
			},
		}},
		{"CORS headers", "AWS::ApiGatewayV2::Api", map[string]any{
			"ProtocolType": "HTTP",
			"CorsConfiguration": map[string]any{
				"AllowHeaders":     assertions.Match_ArrayWith(&[]any{"Authorization", "Content-Type", "Idempotency-Key"}),
				"AllowCredentials": assertions.Match_Absent(),
			},
		}},
		{"name per stage", "AWS::ApiGatewayV2::Api", map[string]any{"Name": stackName(stageProd) + "-api"}},
		{"one stage", "AWS::ApiGatewayV2::Stage", map[string]any{"StageName": "$default", "AutoDeploy": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, func() { s.template.ResourceCountIs(jsii.String(tt.typ), jsii.Number(1)) })
			check(t, func() { s.template.HasResourceProperties(jsii.String(tt.typ), tt.props) })
		})
	}

	t.Run("CORS origins from context", func(t *testing.T) {
		for stage, want := range map[string][]string{stageProd: testOrigins, stageDev: {"*"}} {
			_, api := synthStage(t, stage).onlyOf(t, "AWS::ApiGatewayV2::Api")
			cors, _ := api.Properties["CorsConfiguration"].(map[string]any)
			if got := fmt.Sprint(cors["AllowOrigins"]); got != fmt.Sprint(want) {
				t.Errorf("%s: AllowOrigins = %s, want %v", stage, got, want)
			}
		}
	})

	t.Run("throttling from context", func(t *testing.T) {
		for stage, want := range map[string][2]float64{stageProd: {20, 40}, stageDev: {defaultThrottleRate, defaultThrottleBurst}} {
			_, stg := synthStage(t, stage).onlyOf(t, "AWS::ApiGatewayV2::Stage")
			rs, _ := stg.Properties["DefaultRouteSettings"].(map[string]any)
			if rs["ThrottlingRateLimit"] != want[0] || rs["ThrottlingBurstLimit"] != want[1] {
				t.Errorf("%s: DefaultRouteSettings = %v, want rate %v and burst %v", stage, rs, want[0], want[1])
			}
		}
	})

	t.Run("access log", func(t *testing.T) {
		_, stg := s.onlyOf(t, "AWS::ApiGatewayV2::Stage")
		als, _ := stg.Properties["AccessLogSettings"].(map[string]any)
		_, group := s.referenced(t, als["DestinationArn"], "AWS::Logs::LogGroup")
		if got := group.Properties["RetentionInDays"]; got != float64(30) {
			t.Errorf("access log RetentionInDays = %v, want 30", got)
		}
		if group.DeletionPolicy != "Retain" {
			t.Errorf("prod access log DeletionPolicy = %q, want Retain", group.DeletionPolicy)
		}
		format, _ := als["Format"].(string)
		if strings.Contains(format, "\n") {
			t.Errorf("access log format spans lines: %q", format)
		}
		var fields map[string]string
		if err := json.Unmarshal([]byte(format), &fields); err != nil {
			t.Fatalf("access log format is not JSON: %v: %s", err, format)
		}
		for k, v := range map[string]string{
			"requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "routeKey": "$context.routeKey",
			"status": "$context.status", "latency": "$context.responseLatency", "integrationError": "$context.integrationErrorMessage",
		} {
			if fields[k] != v {
				t.Errorf("access log field %s = %q, want %q", k, fields[k], v)
			}
		}
	})
}

func TestRoutes(t *testing.T) {
	s := synth(t)
	if got, want := len(s.ofType("AWS::ApiGatewayV2::Route")), len(routes.All); got != want {
		t.Errorf("%d routes, want %d", got, want)
	}
	functionOf := map[string]string{} // function name -> logical id
	for _, r := range routes.All {
		t.Run(r.Key(), func(t *testing.T) {
			route := s.route(t, r.Key())
			wantAuth := "JWT"
			if r.Access == routes.Public {
				wantAuth = "NONE"
			}
			if got := route.Properties["AuthorizationType"]; got != wantAuth {
				t.Errorf("AuthorizationType = %v, want %s", got, wantAuth)
			}
			if wantAuth == "JWT" {
				s.referenced(t, route.Properties["AuthorizerId"], "AWS::ApiGatewayV2::Authorizer")
			} else if id := route.Properties["AuthorizerId"]; id != nil {
				t.Errorf("public route has AuthorizerId %v", id)
			}

			_, integ := s.referenced(t, route.Properties["Target"], "AWS::ApiGatewayV2::Integration")
			for k, want := range map[string]string{"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"} {
				if got := integ.Properties[k]; got != want {
					t.Errorf("integration %s = %v, want %s", k, got, want)
				}
			}

			fnID, fn := s.referenced(t, integ.Properties["IntegrationUri"], "AWS::Lambda::Function")
			want := map[string]any{"Architectures": []any{"arm64"}, "Runtime": "provided.al2023", "Handler": "bootstrap"}
			for k, v := range want {
				if got := fn.Properties[k]; fmt.Sprint(got) != fmt.Sprint(v) {
					t.Errorf("function %s: %s = %v, want %v", fnID, k, got, v)
				}
			}
			if prev, ok := functionOf[r.Function]; ok && prev != fnID {
				t.Errorf("routes of %s reach two functions: %s and %s", r.Function, prev, fnID)
			}
			for name, id := range functionOf {
				if id == fnID && name != r.Function {
					t.Errorf("functions %s and %s share the Lambda %s", name, r.Function, fnID)
				}
			}
			functionOf[r.Function] = fnID
		})
	}
}
