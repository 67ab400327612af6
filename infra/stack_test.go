package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/console"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/schedules"
	"github.com/pbs/benefits/shared/table"
)

const (
	testIssuer   = "https://issuer.test/"
	testAudience = "test-audience"
	testFrom     = "mail@test.example"
	testLowWater = 7
	// testAlarmEmail is prod's alarmEmail.
	testAlarmEmail = "ops@test.example"
	// The console's sign-in in prod's context; dev takes cdk.json's.
	testAuthorizeURL = "https://login.test.example/oauth2/authorize"
	testTokenURL     = "https://login.test.example/oauth2/token"
	testLogoutURL    = "https://login.test.example/logout"
	testClientID     = "console-client"
	// testIndexHTML is the dummy console build.
	testIndexHTML = "<!doctype html><title>test console</title>"
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

// synthesized is one stage's stack. Both stages are built once per test
// binary, in one app, because starting the jsii runtime and synthesizing
// take seconds.
type synthesized struct {
	stack     awscdk.Stack
	props     *StackProps
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
	DependsOn           []string
	Metadata            map[string]any
}

// The test context of each stage, over cdk.json's: prod sets every optional
// value, dev leaves them to their defaults.
var (
	testOrigins  = []string{"https://partners.test.example", "https://admin.test.example"}
	stageContext = map[string]map[string]any{
		stageProd: {
			"stage": stageProd, "corsOrigins": strings.Join(testOrigins, ","), "alarmEmail": testAlarmEmail,
			"apiThrottleRate": "20", "apiThrottleBurst": "40", "tracing": "true",
			"oidcAuthorizeUrl": testAuthorizeURL, "oidcTokenUrl": testTokenURL, "oidcLogoutUrl": testLogoutURL,
			"oidcClientId": testClientID, "oidcScope": "openid", "oidcTokenField": "access_token",
		},
		stageDev: {"stage": stageDev},
	}
)

var synthOnce = sync.OnceValues(func() (out map[string]*synthesized, err error) {
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
	webDir := filepath.Join(tmpRoot, "web")
	if err := os.MkdirAll(webDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(webDir, "index.html"), []byte(testIndexHTML), 0o644); err != nil {
		return nil, err
	}
	// The app gets cdk.json's context, so feature flags added there apply here too.
	base, err := cdkJSONContext()
	if err != nil {
		return nil, err
	}
	base["jwtIssuer"], base["jwtAudience"], base["sesFromAddress"] = testIssuer, testAudience, testFrom
	base["keyPoolLowWater"] = fmt.Sprint(testLowWater)
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(filepath.Join(tmpRoot, "cdk.out")),
		Context: &base,
	})
	out = map[string]*synthesized{}
	for _, stage := range stages {
		context := maps.Clone(base)
		maps.Copy(context, stageContext[stage])
		props, err := propsFromContext(func(key string) any { return context[key] })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", stage, err)
		}
		s := &synthesized{props: props}
		props.Code = func(name string) awslambda.Code {
			s.codeFor = append(s.codeFor, name)
			return awslambda.Code_FromAsset(jsii.String(codeDir), nil)
		}
		props.ConsoleAssets = func() awss3deployment.ISource {
			return awss3deployment.Source_Asset(jsii.String(webDir), nil)
		}
		s.stack = NewBenefitsStack(app, stackName(stage), props)
		out[stage] = s
	}
	// Template_FromStack synthesizes the app: every stack must exist first.
	for _, s := range out {
		s.template = assertions.Template_FromStack(s.stack, nil)
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
	}
	return out, nil
})

// synth returns the prod stack, which most tests check.
func synth(t *testing.T) *synthesized { t.Helper(); return synthStage(t, stageProd) }

func synthStage(t *testing.T, stage string) *synthesized {
	t.Helper()
	all, err := synthOnce()
	if err != nil {
		t.Fatalf("synthesizing the stacks: %v", err)
	}
	return all[stage]
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
	return s.policyStatements(t, roleID)
}

// policyStatements returns the statements of the inline policies (AWS::IAM::Policy) attached to a role.
func (s *synthesized) policyStatements(t *testing.T, roleID string) []statement {
	t.Helper()
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

// tableID is the logical id of the one table.
func (s *synthesized) tableID(t *testing.T) string {
	t.Helper()
	tables := s.ofType("AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("%d tables, want 1", len(tables))
	}
	for id := range tables {
		return id
	}
	return ""
}

// onlyOf returns the logical id of the one resource of a type.
func (s *synthesized) onlyOf(t *testing.T, typ string) (string, cfnResource) {
	t.Helper()
	all := s.ofType(typ)
	if len(all) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(all), typ)
	}
	for id, r := range all {
		return id, r
	}
	return "", cfnResource{}
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
		{"no stream", map[string]any{"StreamSpecification": assertions.Match_Absent()}},
		// SSEEnabled alone is SSE-KMS under the AWS managed key aws/dynamodb.
		{"encryption", map[string]any{"SSESpecification": map[string]any{"SSEEnabled": true, "KMSMasterKeyId": assertions.Match_Absent()}}},
		{"deletion protection", map[string]any{"DeletionProtectionEnabled": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, func() { s.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), tt.props) })
		})
	}
	t.Run("one table, retained in prod", func(t *testing.T) {
		_, tbl := s.onlyOf(t, "AWS::DynamoDB::Table")
		if tbl.DeletionPolicy != "Retain" || tbl.UpdateReplacePolicy != "Retain" {
			t.Errorf("DeletionPolicy %q, UpdateReplacePolicy %q, want Retain", tbl.DeletionPolicy, tbl.UpdateReplacePolicy)
		}
	})
	t.Run("dev is disposable", func(t *testing.T) {
		_, tbl := synthStage(t, stageDev).onlyOf(t, "AWS::DynamoDB::Table")
		if tbl.DeletionPolicy != "Delete" || tbl.Properties["DeletionProtectionEnabled"] != false {
			t.Errorf("dev table: DeletionPolicy %q, DeletionProtectionEnabled %v; want Delete and false",
				tbl.DeletionPolicy, tbl.Properties["DeletionProtectionEnabled"])
		}
		if got := tbl.Properties["PointInTimeRecoverySpecification"]; fmt.Sprint(got) != "map[PointInTimeRecoveryEnabled:true]" {
			t.Errorf("dev table PITR %v", got)
		}
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
	tableID := s.tableID(t)
	secretID, _ := s.onlyOf(t, "AWS::SecretsManager::Secret")
	configSetID, _ := s.onlyOf(t, "AWS::SES::ConfigurationSet")
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
			// Emailed confirmation links point at the console's origin,
			// whose /v1/* behaviour is the API.
			if _, has := vars["PUBLIC_BASE_URL"]; has != (name == "activate-gtm") {
				t.Errorf("function %s: PUBLIC_BASE_URL set = %v", fnID, has)
			} else if has {
				if got, want := jsonOf(vars["PUBLIC_BASE_URL"]), jsonOf(s.consoleOrigin(t)); got != want {
					t.Errorf("PUBLIC_BASE_URL = %s, want the console's origin %s", got, want)
				}
			}
			if got := refs(vars["TABLE_NAME"]); !slices.Equal(got, []string{tableID}) {
				t.Errorf("TABLE_NAME = %v, want a Ref to the table %s", vars["TABLE_NAME"], tableID)
			}
			wantFrom, wantConfigSet := any(nil), []string(nil)
			if name == "send-mail" {
				wantFrom, wantConfigSet = testFrom, []string{configSetID}
			}
			if got := vars["SES_FROM_ADDRESS"]; got != wantFrom {
				t.Errorf("SES_FROM_ADDRESS = %v, want %v", got, wantFrom)
			}
			if got := refs(vars["SES_CONFIGURATION_SET"]); !slices.Equal(got, wantConfigSet) {
				t.Errorf("SES_CONFIGURATION_SET = %v, want a Ref to %v", vars["SES_CONFIGURATION_SET"], wantConfigSet)
			}
			wantSecret := []string(nil)
			if name == "get-key" {
				wantSecret = []string{secretID}
			}
			if got := refs(vars["LICENSE_SIGNING_SECRET_ARN"]); !slices.Equal(got, wantSecret) {
				t.Errorf("LICENSE_SIGNING_SECRET_ARN = %v, want a Ref to %v", vars["LICENSE_SIGNING_SECRET_ARN"], wantSecret)
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

func TestTracing(t *testing.T) {
	for stage, active := range map[string]bool{stageProd: true, stageDev: false} {
		s := synthStage(t, stage)
		for _, name := range functionNames() {
			_, fn := s.function(t, name)
			mode := fmt.Sprint(fn.Properties["TracingConfig"])
			if got := mode == "map[Mode:Active]"; got != active {
				t.Errorf("%s %s: TracingConfig = %s, want active %v", stage, name, mode, active)
			}
			xray := false
			for _, st := range s.statements(t, fn) {
				xray = xray || slices.ContainsFunc(st.actions(), func(a string) bool { return strings.HasPrefix(a, "xray:") })
			}
			if xray != active {
				t.Errorf("%s %s: may write X-Ray segments = %v, want %v", stage, name, xray, active)
			}
		}
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
			if job.Name == "send-mail" {
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
		// job; API 5xx, key pools, SES bounces and complaints.
		if want := 2*len(functionNames()) + 2*len(schedules.All) + 4; len(all) != want {
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

// access is what a role may do: per kind of resource, its sorted actions.
type access map[string][]string

// access classifies every allowed action of a function's role by the
// resource it is allowed on: the table, its GSI1, the function's own log
// group, queue or ARN, the SES identity and configuration set, the signing
// secret, or "*" (X-Ray only). Anything else is reported.
func (s *synthesized) access(t *testing.T, name string) access {
	t.Helper()
	fnID, fn := s.function(t, name)
	tableARN := map[string]any{"Fn::GetAtt": []any{s.tableID(t), "Arn"}}
	kinds := map[string]string{
		jsonOf(tableARN): "table",
		jsonOf(map[string]any{"Fn::Join": []any{"", []any{tableARN, "/index/" + table.GSI1}}}): "index",
		jsonOf(map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}):                               "self",
		jsonOf("*"): "*",
	}
	logging, _ := fn.Properties["LoggingConfig"].(map[string]any)
	logsID, _ := s.referenced(t, logging["LogGroup"], "AWS::Logs::LogGroup")
	kinds[jsonOf(map[string]any{"Fn::GetAtt": []any{logsID, "Arn"}})] = "logs"
	if slices.Contains(schedules.Names(), name) {
		_, qID, _ := s.onFailure(t, fnID)
		kinds[jsonOf(map[string]any{"Fn::GetAtt": []any{qID, "Arn"}})] = "on-failure queue"
	}
	secretID, _ := s.onlyOf(t, "AWS::SecretsManager::Secret")
	kinds[jsonOf(map[string]any{"Ref": secretID})] = "signing secret"
	identityID, _ := s.onlyOf(t, "AWS::SES::EmailIdentity")
	configSetID, _ := s.onlyOf(t, "AWS::SES::ConfigurationSet")

	got := access{}
	for _, st := range s.statements(t, fn) {
		if st.Effect != "Allow" {
			t.Errorf("statement with Effect %s", st.Effect)
			continue
		}
		for _, r := range resources(st) {
			kind, ok := kinds[jsonOf(r)]
			switch ids := refs(r); {
			case ok:
			case slices.Contains(ids, identityID):
				kind = "ses identity"
			case slices.Contains(ids, configSetID):
				kind = "ses configuration set"
			default:
				t.Errorf("%v allowed on %s, which is none of the function's resources", st.actions(), jsonOf(r))
				continue
			}
			for _, a := range st.actions() {
				if !slices.Contains(got[kind], a) {
					got[kind] = append(got[kind], a)
				}
			}
		}
	}
	for k := range got {
		slices.Sort(got[k])
	}
	return got
}

func TestLeastPrivilege(t *testing.T) {
	s := synth(t)
	sorted := func(l ...string) []string { return slices.Sorted(slices.Values(l)) }
	// Every HTTP function claims, completes and releases Idempotency-Keys.
	idem := []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
	plus := func(more ...string) []string { return sorted(append(slices.Clone(idem), more...)...) }
	query := []string{"dynamodb:Query"}
	// Every function writes its own log group and, with tracing (prod's
	// context), X-Ray segments, which X-Ray authorizes only on "*".
	common := access{
		"logs": {"logs:CreateLogStream", "logs:PutLogEvents"},
		"*":    {"xray:PutTelemetryRecords", "xray:PutTraceSegments"},
	}
	onFailure := []string{"sqs:SendMessage"}
	tests := map[string]access{
		"benefits":  {"table": sorted(idem...), "index": query},
		"purchases": {"table": plus("dynamodb:ConditionCheckItem")},
		"users":     {"table": plus("dynamodb:ConditionCheckItem")},
		"get-key":   {"table": sorted(idem...), "signing secret": {"secretsmanager:GetSecretValue"}},
		"admin":     {"table": sorted(idem...), "index": query},
		"send-mail": {"table": sorted("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"), "index": query,
			"ses identity": {"ses:SendEmail"}, "ses configuration set": {"ses:SendEmail"}, "on-failure queue": onFailure},
		"assign-user": {"table": plus("dynamodb:ConditionCheckItem", "dynamodb:BatchGetItem")},
		"monthly-credit-grant": {"table": sorted("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"), "index": query,
			"self": {"lambda:InvokeFunction"}, "on-failure queue": onFailure},
		"activate-gtm":   {"table": plus("dynamodb:ConditionCheckItem", "dynamodb:BatchGetItem")},
		"request-cancel": {"table": plus("dynamodb:BatchWriteItem")},
		"expire-benefits": {"table": sorted("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"),
			"index": query, "on-failure queue": onFailure},
	}
	for _, name := range functionNames() {
		if _, ok := tests[name]; !ok {
			t.Errorf("no least-privilege case for function %s", name)
		}
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			maps.Copy(want, common)
			got := s.access(t, name)
			kinds := map[string]bool{}
			for k := range got {
				kinds[k] = true
			}
			for k := range want {
				kinds[k] = true
			}
			for _, kind := range slices.Sorted(maps.Keys(kinds)) {
				if !slices.Equal(got[kind], want[kind]) {
					t.Errorf("on %s: %v, want exactly %v", kind, got[kind], want[kind])
				}
			}
			for kind, actions := range got {
				for _, a := range actions {
					if a == "*" || strings.HasSuffix(a, ":*") || (kind == "*" && !strings.HasPrefix(a, "xray:")) {
						t.Errorf("%s on %s is too broad", a, kind)
					}
				}
			}
		})
	}
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

func TestSigningSecret(t *testing.T) {
	s := synth(t)
	secretID, secret := s.onlyOf(t, "AWS::SecretsManager::Secret")
	t.Run("generated by Secrets Manager, never in the template", func(t *testing.T) {
		if v, ok := secret.Properties["SecretString"]; ok {
			t.Errorf("SecretString in the template: %v", v)
		}
		gen, _ := secret.Properties["GenerateSecretString"].(map[string]any)
		want := map[string]any{
			"SecretStringTemplate": `{"current":"k1"}`, "GenerateStringKey": "k1",
			"PasswordLength": float64(64), "ExcludePunctuation": true, "IncludeSpace": false,
		}
		for k, v := range want {
			if gen[k] != v {
				t.Errorf("GenerateSecretString.%s = %v, want %v", k, gen[k], v)
			}
		}
	})
	t.Run("only get-key may read it", func(t *testing.T) {
		_, fn := s.function(t, "get-key")
		getKeyRole, _ := s.referenced(t, fn.Properties["Role"], "AWS::IAM::Role")
		for id, p := range s.ofType("AWS::IAM::Policy") {
			raw, _ := json.Marshal(p.Properties["PolicyDocument"])
			if !strings.Contains(string(raw), `secretsmanager:`) && !strings.Contains(string(raw), secretID) {
				continue
			}
			if roles := refs(p.Properties["Roles"]); !slices.Equal(roles, []string{getKeyRole}) {
				t.Errorf("policy %s names the secret for roles %v, want only get-key's %s", id, roles, getKeyRole)
			}
		}
		if len(s.ofType("AWS::SecretsManager::ResourcePolicy")) != 0 {
			t.Error("the secret has a resource policy")
		}
	})
	t.Run("retained in prod only", func(t *testing.T) {
		if secret.DeletionPolicy != "Retain" {
			t.Errorf("prod secret DeletionPolicy = %q, want Retain", secret.DeletionPolicy)
		}
		if _, dev := synthStage(t, stageDev).onlyOf(t, "AWS::SecretsManager::Secret"); dev.DeletionPolicy != "Delete" {
			t.Errorf("dev secret DeletionPolicy = %q, want Delete", dev.DeletionPolicy)
		}
	})
}

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

func TestPropsFromContext(t *testing.T) {
	defaults, err := cdkJSONContext()
	if err != nil {
		t.Fatal(err)
	}
	with := func(kv ...any) map[string]any {
		m := maps.Clone(defaults)
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
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
		{"unknown stage", with("stage", "staging"), `stage "staging" must be one of dev, prod`},
		{"prod without CORS origins", with("stage", "prod"), "corsOrigins is required for prod"},
		{"prod with CORS origins", with("stage", "prod", "corsOrigins", "https://partners.example.com"), ""},
		{"prod with any origin, deliberately", with("stage", "prod", "corsOrigins", "*"), ""},
		{"origins as a JSON array in cdk.json", with("corsOrigins", []any{"https://a.example.com", "http://localhost:3000"}), ""},
		{"origins as a JSON array from -c", with("corsOrigins", `["https://a.example.com"]`), ""},
		{"origin with a path", with("corsOrigins", "https://a.example.com/app"), "scheme://host"},
		{"origin without a scheme", with("corsOrigins", "a.example.com"), "scheme://host"},
		{"any origin among others", with("corsOrigins", "*,https://a.example.com"), "stand alone"},
		{"origins empty", with("corsOrigins", " , "), "corsOrigins is empty"},
		{"tracing off from -c", with("tracing", "false"), ""},
		{"tracing not a boolean", with("tracing", "sometimes"), "tracing"},
		{"throttle rate zero", with("apiThrottleRate", "0"), "apiThrottleRate"},
		{"throttle rate fractional", with("apiThrottleRate", "0.5"), ""},
		{"throttle burst zero", with("apiThrottleBurst", "0"), "apiThrottleBurst"},
		{"throttle burst JSON number", with("apiThrottleBurst", float64(500)), ""},
		{"alarm email", with("alarmEmail", "ops@example.com"), ""},
		{"alarm email with display name", with("alarmEmail", "Ops <ops@example.com>"), "alarm email"},
		{"alarm email not a string", with("alarmEmail", 42), "alarmEmail 42 is not a string"},
		{"OIDC authorize URL missing", with("oidcAuthorizeUrl", nil), "oidcAuthorizeUrl is missing"},
		{"OIDC token URL missing", with("oidcTokenUrl", nil), "oidcTokenUrl is missing"},
		{"OIDC token URL not https", with("oidcTokenUrl", "http://auth.example.com/oauth2/token"), "tokenUrl"},
		{"OIDC authorize URL not a URL", with("oidcAuthorizeUrl", "auth.example.com"), "authorizeUrl"},
		{"OIDC logout URL", with("oidcLogoutUrl", "https://auth.example.com/logout"), ""},
		{"OIDC logout URL not https", with("oidcLogoutUrl", "http://auth.example.com/logout"), "logoutUrl"},
		{"OIDC client id", with("oidcClientId", "abc123"), ""},
		{"OIDC client id not a string", with("oidcClientId", 7), "oidcClientId 7 is not a string"},
		{"OIDC scope", with("oidcScope", "openid"), ""},
		{"OIDC access token", with("oidcTokenField", "access_token"), ""},
		{"OIDC token field unknown", with("oidcTokenField", "refresh_token"), "tokenField"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props, err := propsFromContext(func(key string) any { return tt.context[key] })
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			case tt.wantErr == "" && (props.JWTIssuer == "" || props.JWTAudience == "" || props.SESFromAddress == "" || len(props.CORSOrigins) == 0):
				t.Errorf("props = %+v, want every value set", props)
			}
		})
	}
}

// requiredContext are the context values without a default.
func requiredContext() map[string]any {
	return map[string]any{
		"jwtIssuer": testIssuer, "jwtAudience": testAudience, "sesFromAddress": testFrom,
		"oidcAuthorizeUrl": testAuthorizeURL, "oidcTokenUrl": testTokenURL,
	}
}

func TestContextDefaults(t *testing.T) {
	context := requiredContext()
	props, err := propsFromContext(func(key string) any { return context[key] })
	if err != nil {
		t.Fatal(err)
	}
	if props.Stage != stageDev || !slices.Equal(props.CORSOrigins, []string{"*"}) || props.AlarmEmail != "" ||
		props.Tracing || props.ThrottleRate != defaultThrottleRate || props.ThrottleBurst != defaultThrottleBurst ||
		props.KeyPoolLowWater != defaultKeyPoolLowWater || props.TerminationProtection != nil {
		t.Errorf("defaults = %+v", props)
	}
	// The console signs in with the ID token of the JWT audience's client.
	wantConsole := console.Config{Auth: console.Auth{
		Mode: console.ModeOIDC, AuthorizeURL: testAuthorizeURL, TokenURL: testTokenURL,
		ClientID: testAudience, Scope: "openid email profile", TokenField: "id_token",
	}}
	if props.Console != wantConsole {
		t.Errorf("console = %+v, want %+v", props.Console, wantConsole)
	}
	context["stage"], context["corsOrigins"] = stageProd, "https://a.example.com/, https://b.example.com"
	props, err = propsFromContext(func(key string) any { return context[key] })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://a.example.com", "https://b.example.com"}; !slices.Equal(props.CORSOrigins, want) ||
		!props.Tracing || props.TerminationProtection == nil || !*props.TerminationProtection {
		t.Errorf("prod: CORSOrigins %v, tracing %v, termination protection %v; want %v, true, true",
			props.CORSOrigins, props.Tracing, props.TerminationProtection, want)
	}
	context["tracing"] = "false"
	if props, err = propsFromContext(func(key string) any { return context[key] }); err != nil {
		t.Fatal(err)
	}
	if props.Tracing {
		t.Error("prod with -c tracing=false traces")
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
			context := requiredContext()
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
