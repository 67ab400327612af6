package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/schedules"
	"github.com/pbs/benefits/shared/table"
)

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

// access is what a role may do: per kind of resource, its sorted actions.
type access map[string][]string

// access classifies every allowed action of a function's role by the
// resource it is allowed on: the table, its GSI1 and GSI2, the function's own log
// group, queue or ARN, the SES identity and configuration set, the signing
// secret, or "*" (X-Ray only). Anything else is reported.
func (s *synthesized) access(t *testing.T, name string) access {
	t.Helper()
	fnID, fn := s.function(t, name)
	tableARN := map[string]any{"Fn::GetAtt": []any{s.tableID(t), "Arn"}}
	kinds := map[string]string{
		jsonOf(tableARN): "table",
		jsonOf(map[string]any{"Fn::Join": []any{"", []any{tableARN, "/index/" + table.GSI1}}}): "index",
		jsonOf(map[string]any{"Fn::Join": []any{"", []any{tableARN, "/index/" + table.GSI2}}}): "holdings index",
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
		"benefits":  {"table": sorted(idem...), "index": query, "holdings index": query},
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
		"request-cancel": {"table": plus("dynamodb:BatchGetItem")},
		"expire-benefits": {"table": sorted("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"),
			"index": query, "self": {"lambda:InvokeFunction"}, "on-failure queue": onFailure},
		"finish-cancellations": {"table": sorted("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"),
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

// TestJobsMayInvokeOnlyThemselves: the jobs that continue themselves
// (monthly-credit-grant, expire-benefits) may each invoke exactly their own
// function, and no other function role may invoke anything.
func TestJobsMayInvokeOnlyThemselves(t *testing.T) {
	s := synth(t)
	functionRoles := map[string]string{} // role id → function name
	for _, name := range functionNames() {
		_, fn := s.function(t, name)
		roleID, _ := s.referenced(t, fn.Properties["Role"], "AWS::IAM::Role")
		functionRoles[roleID] = name
	}
	found := map[string]int{}
	for id, p := range s.ofType("AWS::IAM::Policy") {
		roles := refs(p.Properties["Roles"])
		if !slices.ContainsFunc(roles, func(r string) bool { return functionRoles[r] != "" }) {
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
			if len(roles) != 1 {
				t.Errorf("policy %s allows lambda:InvokeFunction to %d roles, want one job's", id, len(roles))
				continue
			}
			name := functionRoles[roles[0]]
			found[name]++
			fnID, _ := s.function(t, name)
			if res := jsonOf(st.Resource); res != jsonOf(map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}) {
				t.Errorf("policy %s: %s may invoke %s, want only its own ARN", id, name, res)
			}
		}
	}
	want := map[string]int{"monthly-credit-grant": 1, "expire-benefits": 1}
	if !maps.Equal(found, want) {
		t.Errorf("lambda:InvokeFunction statements by function %v, want %v", found, want)
	}
}
