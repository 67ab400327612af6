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

	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/schedules"
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
