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
	"github.com/pbs/benefits/shared/table"
)

const (
	testIssuer   = "https://issuer.test/"
	testAudience = "test-audience"
	testFrom     = "mail@test.example"
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
		JWTIssuer:      testIssuer,
		JWTAudience:    testAudience,
		SESFromAddress: testFrom,
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

// function follows a function's first route to its Lambda function.
func (s *synthesized) function(t *testing.T, name string) (string, cfnResource) {
	t.Helper()
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
	roleID, role := s.referenced(t, fn.Properties["Role"], "AWS::IAM::Role")
	if m := role.Properties["ManagedPolicyArns"]; m != nil {
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
	t.Run("one provided.al2023 function per name", func(t *testing.T) {
		n := 0
		for _, fn := range s.ofType("AWS::Lambda::Function") {
			if fn.Properties["Runtime"] == "provided.al2023" {
				n++
			}
		}
		if want := len(routes.Functions()); n != want {
			t.Errorf("%d provided.al2023 functions, want %d", n, want)
		}
		got, want := slices.Sorted(slices.Values(s.codeFor)), slices.Sorted(slices.Values(routes.Functions()))
		if !slices.Equal(got, want) {
			t.Errorf("Code called for %v, want %v", got, want)
		}
	})
	tableID := ""
	for id := range s.ofType("AWS::DynamoDB::Table") {
		tableID = id
	}
	for _, name := range routes.Functions() {
		t.Run(name, func(t *testing.T) {
			_, fn := s.function(t, name)
			p := fn.Properties
			if p["MemorySize"] != float64(memoryMB) || p["Timeout"] != float64(timeoutSeconds) {
				t.Errorf("MemorySize, Timeout = %v, %v; want %d, %d", p["MemorySize"], p["Timeout"], memoryMB, timeoutSeconds)
			}
			env, _ := p["Environment"].(map[string]any)
			vars, _ := env["Variables"].(map[string]any)
			if got := refs(vars["TABLE_NAME"]); !slices.Equal(got, []string{tableID}) {
				t.Errorf("TABLE_NAME = %v, want a Ref to the table %s", vars["TABLE_NAME"], tableID)
			}
			if vars["SES_FROM_ADDRESS"] != testFrom || vars["LOG_LEVEL"] != "INFO" {
				t.Errorf("SES_FROM_ADDRESS, LOG_LEVEL = %v, %v; want %s, INFO", vars["SES_FROM_ADDRESS"], vars["LOG_LEVEL"], testFrom)
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

func TestLeastPrivilege(t *testing.T) {
	s := synth(t)
	write := []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
	tests := []struct {
		function   string
		want, deny []string
	}{
		{"benefits", []string{"dynamodb:GetItem", "dynamodb:Query"}, append([]string{"ses:SendEmail"}, write...)},
		{"purchases", append([]string{"dynamodb:Query", "ses:SendEmail"}, write...), nil},
		{"users", append([]string{"dynamodb:Query"}, write...), []string{"ses:SendEmail"}},
		{"admin", append([]string{"dynamodb:Query", "ses:SendEmail"}, write...), nil},
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

func TestSenderIdentityAndOutputs(t *testing.T) {
	s := synth(t)
	check(t, func() {
		s.template.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), map[string]any{"EmailIdentity": testFrom})
	})
	for _, name := range []string{"ApiUrl", "TableName"} {
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
