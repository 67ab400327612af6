package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/schedules"
	"github.com/pbs/benefits/shared/table"
)

const (
	testIssuer   = "https://issuer.test/"
	testAudience = "test-audience"
	testFrom     = "mail@test.example"
	testLowWater = 7
)

// tmpRoot holds the dummy bootstrap and the cloud assembly; TestMain removes it.
var tmpRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "infra-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// synthesized is the stack, built once per test binary because starting the
// jsii runtime and synthesizing take seconds.
type synthesized struct {
	template  assertions.Template
	resources map[string]cfnResource
	outputs   map[string]any
	codeFor   []string // the names Code was called with
}

type cfnResource struct {
	Type                string
	Properties          map[string]any
	DeletionPolicy      string
	UpdateReplacePolicy string
}

var synthOnce = sync.OnceValues(func() (s *synthesized, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	codeDir := filepath.Join(tmpRoot, "function")
	if err := os.MkdirAll(codeDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(codeDir, "bootstrap"), nil, 0o755); err != nil {
		return nil, err
	}
	// The app gets cdk.json's context, so feature flags added there apply here too.
	context, err := cdkJSONContext()
	if err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(filepath.Join(tmpRoot, "cdk.out")),
		Context: &context,
	})
	s = &synthesized{}
	stack := NewBenefitsStack(app, "Test", &StackProps{
		JWTIssuer:       testIssuer,
		JWTAudience:     testAudience,
		SESFromAddress:  testFrom,
		KeyPoolLowWater: testLowWater,
		Code: func(name string) awslambda.Code {
			s.codeFor = append(s.codeFor, name)
			return awslambda.Code_FromAsset(jsii.String(codeDir), nil)
		},
	})
	s.template = assertions.Template_FromStack(stack, nil)
	raw, err := json.Marshal(s.template.ToJSON())
	if err != nil {
		return nil, err
	}
	var tpl struct {
		Resources map[string]cfnResource
		Outputs   map[string]any
	}
	if err := json.Unmarshal(raw, &tpl); err != nil {
		return nil, err
	}
	s.resources, s.outputs = tpl.Resources, tpl.Outputs
	return s, nil
})

func synth(t *testing.T) *synthesized {
	t.Helper()
	s, err := synthOnce()
	if err != nil {
		t.Fatalf("synthesizing the stack: %v", err)
	}
	return s
}

func cdkJSONContext() (map[string]any, error) {
	raw, err := os.ReadFile("../cdk.json")
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	return cfg.Context, nil
}

// check runs a jsii assertion, which panics on a mismatch, as a test error.
func check(t *testing.T, assert func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Error(r)
		}
	}()
	assert()
}

// refs returns the logical ids that v references with Ref or Fn::GetAtt.
func refs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch k {
			case "Ref":
				if id, ok := x.(string); ok {
					out = append(out, id)
				}
			case "Fn::GetAtt":
				if parts, ok := x.([]any); ok && len(parts) > 0 {
					if id, ok := parts[0].(string); ok {
						out = append(out, id)
					}
				}
			default:
				out = append(out, refs(x)...)
			}
		}
	case []any:
		for _, x := range v {
			out = append(out, refs(x)...)
		}
	}
	return out
}

// referenced returns the one resource of type typ that v references.
func (s *synthesized) referenced(t *testing.T, v any, typ string) (string, cfnResource) {
	t.Helper()
	var ids []string
	for _, id := range refs(v) {
		if s.resources[id].Type == typ && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%v references %d resources of type %s, want 1", v, len(ids), typ)
	}
	return ids[0], s.resources[ids[0]]
}

func (s *synthesized) ofType(typ string) map[string]cfnResource {
	out := map[string]cfnResource{}
	for id, r := range s.resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// route returns the route resource with the given route key.
func (s *synthesized) route(t *testing.T, key string) cfnResource {
	t.Helper()
	var found []cfnResource
	for _, r := range s.ofType("AWS::ApiGatewayV2::Route") {
		if r.Properties["RouteKey"] == key {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d routes with RouteKey %q, want 1", len(found), key)
	}
	return found[0]
}

// schedule returns the schedule of a job, the one whose description starts
// with the job's name.
func (s *synthesized) schedule(t *testing.T, job schedules.Job) (string, cfnResource) {
	t.Helper()
	var ids []string
	for id, r := range s.ofType("AWS::Scheduler::Schedule") {
		if d, _ := r.Properties["Description"].(string); strings.HasPrefix(d, job.Name+": ") {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d schedules for job %s, want 1", len(ids), job.Name)
	}
	return ids[0], s.resources[ids[0]]
}

// target returns the Target property of a schedule.
func target(sched cfnResource) map[string]any {
	tgt, _ := sched.Properties["Target"].(map[string]any)
	return tgt
}

// function follows a job's schedule, or an HTTP function's first route, to
// its Lambda function.
func (s *synthesized) function(t *testing.T, name string) (string, cfnResource) {
	t.Helper()
	for _, job := range schedules.All {
		if job.Name == name {
			_, sched := s.schedule(t, job)
			return s.referenced(t, target(sched)["Arn"], "AWS::Lambda::Function")
		}
	}
	rs := routes.ForFunction(name)
	if len(rs) == 0 {
		t.Fatalf("no route for function %s", name)
	}
	_, integ := s.referenced(t, s.route(t, rs[0].Key()).Properties["Target"], "AWS::ApiGatewayV2::Integration")
	return s.referenced(t, integ.Properties["IntegrationUri"], "AWS::Lambda::Function")
}

type statement struct {
	Effect   string
	Action   any // a string or a list
	Resource any // a string, an intrinsic, or a list
}

func (st statement) actions() []string {
	switch a := st.Action.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// statements returns every policy statement attached to a function's role.
func (s *synthesized) statements(t *testing.T, fn cfnResource) []statement {
	t.Helper()
	roleID, _ := s.referenced(t, fn.Properties["Role"], "AWS::IAM::Role")
	return s.roleStatements(t, roleID)
}

// roleStatements returns every policy statement attached to a role, which
// must have no managed policies.
func (s *synthesized) roleStatements(t *testing.T, roleID string) []statement {
	t.Helper()
	if m := s.resources[roleID].Properties["ManagedPolicyArns"]; m != nil {
		t.Errorf("role %s has managed policies %v, want none", roleID, m)
	}
	var out []statement
	for id, p := range s.ofType("AWS::IAM::Policy") {
		if !slices.Contains(refs(p.Properties["Roles"]), roleID) {
			continue
		}
		raw, _ := json.Marshal(p.Properties["PolicyDocument"])
		var doc struct{ Statement []statement }
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("policy %s: %v", id, err)
		}
		out = append(out, doc.Statement...)
	}
	return out
}

func TestTable(t *testing.T) {
	s := synth(t)
	keySchema := func(pk, sk string) []any {
		return []any{
			map[string]any{"AttributeName": pk, "KeyType": "HASH"},
			map[string]any{"AttributeName": sk, "KeyType": "RANGE"},
		}
	}
	var indexes []any
	for _, ix := range table.Table.Indexes {
		indexes = append(indexes, map[string]any{
			"IndexName":  ix.Name,
			"KeySchema":  keySchema(ix.PartitionKey, ix.SortKey),
			"Projection": map[string]any{"ProjectionType": "ALL"},
		})
	}
	tests := []struct {
		name  string
		props map[string]any
	}{
		{"billing mode", map[string]any{"BillingMode": "PAY_PER_REQUEST"}},
		{"point-in-time recovery", map[string]any{
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		}},
		{"TTL", map[string]any{
			"TimeToLiveSpecification": map[string]any{"AttributeName": table.Table.TTLAttribute, "Enabled": true},
		}},
		{"key schema", map[string]any{"KeySchema": keySchema(table.Table.PartitionKey, table.Table.SortKey)}},
		{"GSIs", map[string]any{"GlobalSecondaryIndexes": assertions.Match_ArrayEquals(&indexes)}},
		{"no hard-coded name", map[string]any{"TableName": assertions.Match_Absent()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, func() { s.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), tt.props) })
		})
	}
	t.Run("one table, retained", func(t *testing.T) {
		check(t, func() { s.template.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1)) })
		check(t, func() {
			s.template.HasResource(jsii.String("AWS::DynamoDB::Table"),
				map[string]any{"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
		})
	})
}

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
				"AllowHeaders": assertions.Match_ArrayWith(&[]any{"Authorization", "Content-Type", "Idempotency-Key"}),
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, func() { s.template.ResourceCountIs(jsii.String(tt.typ), jsii.Number(1)) })
			check(t, func() { s.template.HasResourceProperties(jsii.String(tt.typ), tt.props) })
		})
	}
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

func TestFunctions(t *testing.T) {
	s := synth(t)
	t.Run("one provided.al2023 function per HTTP function and job", func(t *testing.T) {
		n := 0
		for _, fn := range s.ofType("AWS::Lambda::Function") {
			if fn.Properties["Runtime"] == "provided.al2023" {
				n++
			}
		}
		if want := len(routes.Functions()) + len(schedules.All); n != want {
			t.Errorf("%d provided.al2023 functions, want %d", n, want)
		}
		got, want := slices.Sorted(slices.Values(s.codeFor)), slices.Sorted(slices.Values(functionNames()))
		if !slices.Equal(got, want) {
			t.Errorf("Code called for %v, want %v", got, want)
		}
	})
	t.Run("no LOG_LEVEL and no secret in any function", func(t *testing.T) {
		for id, fn := range s.ofType("AWS::Lambda::Function") {
			vars := variables(fn)
			for _, name := range []string{"LOG_LEVEL", "LICENSE_SIGNING_SEED"} {
				if v, ok := vars[name]; ok {
					t.Errorf("function %s sets %s = %v", id, name, v)
				}
			}
		}
	})
	tableID := ""
	for id := range s.ofType("AWS::DynamoDB::Table") {
		tableID = id
	}
	isJob := map[string]bool{}
	for _, name := range schedules.Names() {
		isJob[name] = true
	}
	for _, name := range functionNames() {
		t.Run(name, func(t *testing.T) {
			fnID, fn := s.function(t, name)
			p := fn.Properties
			want := map[string]any{"Architectures": []any{"arm64"}, "Runtime": "provided.al2023", "Handler": "bootstrap",
				"MemorySize": memoryMB, "Timeout": timeoutSeconds}
			if isJob[name] {
				want["Timeout"] = jobTimeoutSeconds
			}
			if name == "admin" {
				want["Timeout"] = adminTimeoutSeconds // large key imports
			}
			if name == "monthly-credit-grant" {
				want["Timeout"] = 900 // hundreds of thousands of grants, then a continuation
			}
			if name == "expire-benefits" {
				want["Timeout"] = 300 // 62 index days and the writes they call for
			}
			for k, v := range want {
				if got := p[k]; fmt.Sprint(got) != fmt.Sprint(v) {
					t.Errorf("function %s: %s = %v, want %v", fnID, k, got, v)
				}
			}
			vars := variables(fn)
			// Emailed confirmation links point at the API itself.
			if _, has := vars["PUBLIC_BASE_URL"]; has != (name == "activate-gtm") {
				t.Errorf("function %s: PUBLIC_BASE_URL set = %v", fnID, has)
			} else if has && !strings.Contains(fmt.Sprint(vars["PUBLIC_BASE_URL"]), "execute-api") {
				t.Errorf("PUBLIC_BASE_URL = %v, want the HTTP API's URL", vars["PUBLIC_BASE_URL"])
			}
			if got := refs(vars["TABLE_NAME"]); !slices.Equal(got, []string{tableID}) {
				t.Errorf("TABLE_NAME = %v, want a Ref to the table %s", vars["TABLE_NAME"], tableID)
			}
			wantFrom := any(nil)
			if functionGrants[name].sendsMail {
				wantFrom = testFrom
			}
			if got := vars["SES_FROM_ADDRESS"]; got != wantFrom {
				t.Errorf("SES_FROM_ADDRESS = %v, want %v", got, wantFrom)
			}
			wantLowWater := any(fmt.Sprint(testLowWater))
			if isJob[name] {
				wantLowWater = nil
			}
			if got := vars["KEY_POOL_LOW_WATER"]; got != wantLowWater {
				t.Errorf("KEY_POOL_LOW_WATER = %v, want %v", got, wantLowWater)
			}
			logging, _ := p["LoggingConfig"].(map[string]any)
			if logging["LogFormat"] != "JSON" || logging["ApplicationLogLevel"] != "INFO" {
				t.Errorf("LoggingConfig = %v, want JSON format and INFO application level", logging)
			}
			_, group := s.referenced(t, logging["LogGroup"], "AWS::Logs::LogGroup")
			if got := group.Properties["RetentionInDays"]; got != float64(30) {
				t.Errorf("log group RetentionInDays = %v, want 30", got)
			}
		})
	}
}

// variables returns a function's environment variables.
func variables(fn cfnResource) map[string]any {
	env, _ := fn.Properties["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	return vars
}

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
			if got := dlq.Properties["SqsManagedSseEnabled"]; got != true {
				t.Errorf("DLQ SqsManagedSseEnabled = %v, want true", got)
			}
			if got := dlq.Properties["MessageRetentionPeriod"]; got != float64(14*24*3600) {
				t.Errorf("DLQ MessageRetentionPeriod = %v, want 14 days", got)
			}

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

// resources returns a statement's Resource as a list.
func resources(st statement) []any {
	if l, ok := st.Resource.([]any); ok {
		return l
	}
	return []any{st.Resource}
}

func jsonOf(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func TestAlarms(t *testing.T) {
	s := synth(t)
	// alarm returns the alarms on one metric of the resource with that id.
	alarms := func(namespace, metric, id string) []string {
		var out []string
		for alarmID, a := range s.ofType("AWS::CloudWatch::Alarm") {
			p := a.Properties
			if p["Namespace"] == namespace && p["MetricName"] == metric && slices.Contains(refs(p["Dimensions"]), id) &&
				p["ComparisonOperator"] == "GreaterThanThreshold" && p["Threshold"] == float64(0) {
				out = append(out, alarmID)
			}
		}
		return out
	}
	output, _ := s.outputs["AlarmNames"].(map[string]any)
	for _, job := range schedules.All {
		t.Run(job.Name, func(t *testing.T) {
			_, sched := s.schedule(t, job)
			dlqID, _ := s.referenced(t, target(sched)["DeadLetterConfig"], "AWS::SQS::Queue")
			fnID, _ := s.function(t, job.Name)
			for _, tt := range []struct{ namespace, metric, id string }{
				{"AWS/SQS", "ApproximateNumberOfMessagesVisible", dlqID},
				{"AWS/Lambda", "Errors", fnID},
			} {
				got := alarms(tt.namespace, tt.metric, tt.id)
				if len(got) != 1 {
					t.Errorf("%d alarms on %s > 0 of %s, want 1", len(got), tt.metric, tt.id)
					continue
				}
				if !slices.Contains(refs(output["Value"]), got[0]) {
					t.Errorf("output AlarmNames %v does not name %s", output["Value"], got[0])
				}
			}
		})
	}
}

func TestLeastPrivilege(t *testing.T) {
	s := synth(t)
	write := []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
	tests := []struct {
		function   string
		want, deny []string
	}{
		{"benefits", append([]string{"dynamodb:GetItem", "dynamodb:Query"}, write...), []string{"ses:SendEmail", "lambda:InvokeFunction"}},
		{"purchases", append([]string{"dynamodb:Query"}, write...), []string{"ses:SendEmail"}},
		{"users", append([]string{"dynamodb:Query"}, write...), []string{"ses:SendEmail"}},
		{"get-key", append([]string{"dynamodb:Query"}, write...), []string{"ses:SendEmail"}},
		{"admin", append([]string{"dynamodb:Query"}, write...), []string{"ses:SendEmail"}},
		{"send-mail", append([]string{"dynamodb:Query", "ses:SendEmail"}, write...), []string{"ses:SendRawEmail", "lambda:InvokeFunction"}},
		{"assign-user", append([]string{"dynamodb:Query", "dynamodb:GetItem"}, write...), []string{"ses:SendEmail", "lambda:InvokeFunction"}},
		{"monthly-credit-grant", append([]string{"dynamodb:Query", "lambda:InvokeFunction"}, write...), []string{"ses:SendEmail"}},
		{"request-cancel", append([]string{"dynamodb:Query", "dynamodb:GetItem"}, write...), []string{"ses:SendEmail", "lambda:InvokeFunction"}},
		{"activate-gtm", append([]string{"dynamodb:Query", "dynamodb:GetItem"}, write...), []string{"ses:SendEmail", "lambda:InvokeFunction"}},
		{"expire-benefits", append([]string{"dynamodb:Query"}, write...), []string{"ses:SendEmail", "lambda:InvokeFunction"}},
	}
	for _, name := range functionNames() {
		if !slices.ContainsFunc(tests, func(tt struct {
			function   string
			want, deny []string
		}) bool {
			return tt.function == name
		}) {
			t.Errorf("no least-privilege case for function %s", name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			_, fn := s.function(t, tt.function)
			sts := s.statements(t, fn)
			var actions []string
			for _, st := range sts {
				if st.Effect != "Allow" {
					continue
				}
				actions = append(actions, st.actions()...)
				if slices.Contains(flatten(st.Resource), "*") {
					t.Errorf("statement %v allows every resource", st.actions())
				}
				if slices.ContainsFunc(st.actions(), func(a string) bool { return strings.HasPrefix(a, "ses:") }) {
					s.referenced(t, st.Resource, "AWS::SES::EmailIdentity")
				}
			}
			sort.Strings(actions)
			for _, a := range tt.want {
				if !slices.Contains(actions, a) {
					t.Errorf("missing %s; has %v", a, actions)
				}
			}
			for _, a := range tt.deny {
				if slices.Contains(actions, a) {
					t.Errorf("has %s, want it denied; has %v", a, actions)
				}
			}
		})
	}
}

// flatten returns the plain strings in a Resource value.
func flatten(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, flatten(x)...)
		}
		return out
	}
	return nil
}

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

func TestSenderIdentityAndOutputs(t *testing.T) {
	s := synth(t)
	check(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), map[string]any{"EmailIdentity": testFrom})
	})
	for _, name := range []string{"ApiUrl", "TableName", "AlarmNames"} {
		if _, ok := s.outputs[name]; !ok {
			t.Errorf("output %s missing; have %v", name, s.outputs)
		}
	}
}

func TestPropsFromContext(t *testing.T) {
	defaults, err := cdkJSONContext()
	if err != nil {
		t.Fatal(err)
	}
	with := func(key string, v any) map[string]any {
		m := map[string]any{}
		for k, x := range defaults {
			m[k] = x
		}
		if v == nil {
			delete(m, key)
		} else {
			m[key] = v
		}
		return m
	}
	tests := []struct {
		name    string
		context map[string]any
		wantErr string // substring; empty for success
	}{
		{"cdk.json defaults", defaults, ""},
		{"low water negative", with("keyPoolLowWater", "-1"), "keyPoolLowWater"},
		{"low water not a count", with("keyPoolLowWater", "lots"), "keyPoolLowWater"},
		{"low water fractional", with("keyPoolLowWater", 2.5), "keyPoolLowWater"},
		{"issuer missing", with("jwtIssuer", nil), "jwtIssuer is missing"},
		{"audience missing", with("jwtAudience", nil), "jwtAudience is missing"},
		{"audience empty", with("jwtAudience", ""), "jwtAudience is missing"},
		{"sender missing", with("sesFromAddress", nil), "sesFromAddress is missing"},
		{"issuer not https", with("jwtIssuer", "http://auth.example.com/"), "https URL"},
		{"issuer not a string", with("jwtIssuer", 42), "jwtIssuer is missing"},
		{"sender with display name", with("sesFromAddress", "Benefits <b@example.com>"), "bare email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props, err := propsFromContext(func(key string) any { return tt.context[key] })
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			case tt.wantErr == "" && (props.JWTIssuer == "" || props.JWTAudience == "" || props.SESFromAddress == ""):
				t.Errorf("props = %+v, want every value set", props)
			}
		})
	}
}

func TestKeyPoolLowWaterContext(t *testing.T) {
	tests := []struct {
		name  string
		value any // nil: absent
		want  int
	}{
		{"absent", nil, defaultKeyPoolLowWater},
		{"cdk.json style string", "50", 50},
		{"from -c", "7", 7},
		{"JSON number", float64(12), 12},
		{"zero never warns", "0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			context := map[string]any{"jwtIssuer": testIssuer, "jwtAudience": testAudience, "sesFromAddress": testFrom}
			if tt.value != nil {
				context["keyPoolLowWater"] = tt.value
			}
			props, err := propsFromContext(func(key string) any { return context[key] })
			if err != nil {
				t.Fatal(err)
			}
			if props.KeyPoolLowWater != tt.want {
				t.Errorf("KeyPoolLowWater = %d, want %d", props.KeyPoolLowWater, tt.want)
			}
		})
	}
}

func TestCheckBootstraps(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "built"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "built", "bootstrap"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkBootstraps(dir, []string{"built"}); err != nil {
		t.Errorf("built function: %v", err)
	}
	err := checkBootstraps(dir, []string{"built", "missing"})
	if err == nil || !strings.Contains(err.Error(), "missing/bootstrap") || strings.Contains(err.Error(), "built/bootstrap") {
		t.Errorf("error = %v, want one naming only missing/bootstrap", err)
	}
}

// TestGrantJobMayInvokeOnlyItself: the grant job continues itself, so its
// role (and no other) may invoke exactly its own function.
func TestGrantJobMayInvokeOnlyItself(t *testing.T) {
	s := synth(t)
	fnID, _ := s.function(t, "monthly-credit-grant")
	functionRoles := map[string]bool{}
	for _, name := range functionNames() {
		_, fn := s.function(t, name)
		roleID, _ := s.referenced(t, fn.Properties["Role"], "AWS::IAM::Role")
		functionRoles[roleID] = true
	}
	found := 0
	for id, p := range s.ofType("AWS::IAM::Policy") {
		if !slices.ContainsFunc(refs(p.Properties["Roles"]), func(r string) bool { return functionRoles[r] }) {
			continue // Scheduler's roles invoke their job; tested with the schedules
		}
		raw, _ := json.Marshal(p.Properties["PolicyDocument"])
		var doc struct{ Statement []statement }
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		for _, st := range doc.Statement {
			if !slices.Contains(st.actions(), "lambda:InvokeFunction") {
				continue
			}
			found++
			if res := jsonOf(st.Resource); res != jsonOf(map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}) {
				t.Errorf("policy %s: lambda:InvokeFunction on %s, want only the job's own ARN", id, res)
			}
			_, fn := s.function(t, "monthly-credit-grant")
			roleID, _ := s.referenced(t, fn.Properties["Role"], "AWS::IAM::Role")
			if roles := refs(p.Properties["Roles"]); !slices.Equal(roles, []string{roleID}) {
				t.Errorf("policy %s is attached to %v, want only the job's role %s", id, roles, roleID)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d statements allow lambda:InvokeFunction to a function role, want 1", found)
	}
}
