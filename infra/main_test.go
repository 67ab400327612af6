package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/console"
)

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
