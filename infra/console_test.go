package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/pbs/benefits/shared/console"
	"github.com/pbs/benefits/shared/routes"
)

// Ids of the CloudFront managed policies the distribution uses.
const (
	cachingOptimizedID          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	cachingDisabledID           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeaderID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// distribution returns the logical id and the DistributionConfig of the
// console's distribution.
func (s *synthesized) distribution(t *testing.T) (string, map[string]any) {
	t.Helper()
	id, d := s.onlyOf(t, "AWS::CloudFront::Distribution")
	cfg, _ := d.Properties["DistributionConfig"].(map[string]any)
	return id, cfg
}

// consoleOrigin is https:// and the distribution's domain, as the template
// writes it.
func (s *synthesized) consoleOrigin(t *testing.T) any {
	t.Helper()
	id, _ := s.distribution(t)
	return map[string]any{"Fn::Join": []any{"", []any{"https://", map[string]any{"Fn::GetAtt": []any{id, "DomainName"}}}}}
}

// distributionARN is the distribution's ARN, as the template writes it.
func (s *synthesized) distributionARN(t *testing.T) any {
	t.Helper()
	id, _ := s.distribution(t)
	return map[string]any{"Fn::Join": []any{"", []any{
		"arn:", map[string]any{"Ref": "AWS::Partition"}, ":cloudfront::", map[string]any{"Ref": "AWS::AccountId"},
		":distribution/", map[string]any{"Ref": id},
	}}}
}

// origin returns the distribution's origin with the given id.
func origin(t *testing.T, cfg map[string]any, id any) map[string]any {
	t.Helper()
	origins, _ := cfg["Origins"].([]any)
	for _, o := range origins {
		if o, _ := o.(map[string]any); o["Id"] == id {
			return o
		}
	}
	t.Fatalf("no origin %v among %s", id, jsonOf(origins))
	return nil
}

// deployment returns the console's Custom::CDKBucketDeployment.
func (s *synthesized) deployment(t *testing.T) cfnResource {
	t.Helper()
	_, d := s.onlyOf(t, "Custom::CDKBucketDeployment")
	return d
}

func TestConsoleBucket(t *testing.T) {
	s := synth(t)
	bucketID, bucket := s.onlyOf(t, "AWS::S3::Bucket")
	t.Run("private, SSE-S3, no ACLs", func(t *testing.T) {
		check(t, func() {
			s.template.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
				"PublicAccessBlockConfiguration": map[string]any{
					"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
				},
				"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
					map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
				}},
				"OwnershipControls":       map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
				"BucketName":              assertions.Match_Absent(),
				"WebsiteConfiguration":    assertions.Match_Absent(),
				"VersioningConfiguration": assertions.Match_Absent(),
			})
		})
	})
	t.Run("retained in prod, emptied by the deployment in dev", func(t *testing.T) {
		if bucket.DeletionPolicy != "Retain" || s.deployment(t).Properties["RetainOnDelete"] != true {
			t.Errorf("prod: DeletionPolicy %q, RetainOnDelete %v; want Retain and true", bucket.DeletionPolicy, s.deployment(t).Properties["RetainOnDelete"])
		}
		dev := synthStage(t, stageDev)
		if _, b := dev.onlyOf(t, "AWS::S3::Bucket"); b.DeletionPolicy != "Delete" || dev.deployment(t).Properties["RetainOnDelete"] != false {
			t.Errorf("dev: DeletionPolicy %q, RetainOnDelete %v; want Delete and false", b.DeletionPolicy, dev.deployment(t).Properties["RetainOnDelete"])
		}
		// autoDeleteObjects would add a custom resource of its own.
		for _, stage := range stages {
			if n := len(synthStage(t, stage).ofType("Custom::S3AutoDeleteObjects")); n != 0 {
				t.Errorf("%s: %d Custom::S3AutoDeleteObjects", stage, n)
			}
		}
	})

	t.Run("policy: TLS only, CloudFront of this distribution reads", func(t *testing.T) {
		_, policy := s.onlyOf(t, "AWS::S3::BucketPolicy")
		if got := refs(policy.Properties["Bucket"]); !slices.Equal(got, []string{bucketID}) {
			t.Fatalf("bucket policy of %v, want %s", got, bucketID)
		}
		raw, _ := json.Marshal(policy.Properties["PolicyDocument"])
		var doc struct {
			Statement []struct {
				Effect, Action string
				Principal      map[string]any
				Resource       any
				Condition      map[string]map[string]any
			}
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		bucketARN := map[string]any{"Fn::GetAtt": []any{bucketID, "Arn"}}
		objects := map[string]any{"Fn::Join": []any{"", []any{bucketARN, "/*"}}}
		denyPlain, allows := false, 0
		for _, st := range doc.Statement {
			switch st.Effect {
			case "Deny":
				if st.Condition["Bool"]["aws:SecureTransport"] == "false" && st.Action == "s3:*" && jsonOf(st.Principal) == `{"AWS":"*"}` {
					denyPlain = true
				}
			case "Allow":
				allows++
				if st.Action != "s3:GetObject" || jsonOf(st.Principal) != `{"Service":"cloudfront.amazonaws.com"}` || jsonOf(st.Resource) != jsonOf(objects) {
					t.Errorf("bucket policy allows %s to %s on %s; want only s3:GetObject to CloudFront on the objects", st.Action, jsonOf(st.Principal), jsonOf(st.Resource))
				}
				if got, want := jsonOf(st.Condition["StringEquals"]["AWS:SourceArn"]), jsonOf(s.distributionARN(t)); got != want {
					t.Errorf("CloudFront's read is conditioned on AWS:SourceArn %s, want the distribution %s", got, want)
				}
			}
		}
		if !denyPlain {
			t.Errorf("no statement denies requests without TLS: %s", raw)
		}
		if allows != 1 {
			t.Errorf("%d Allow statements, want 1 (CloudFront)", allows)
		}
	})

	t.Run("origin access control", func(t *testing.T) {
		oacID, oac := s.onlyOf(t, "AWS::CloudFront::OriginAccessControl")
		cfg, _ := oac.Properties["OriginAccessControlConfig"].(map[string]any)
		want := map[string]any{"Name": stackName(stageProd) + "-console", "OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"}
		for k, v := range want {
			if cfg[k] != v {
				t.Errorf("OriginAccessControlConfig.%s = %v, want %v", k, cfg[k], v)
			}
		}
		_, dist := s.distribution(t)
		def, _ := dist["DefaultCacheBehavior"].(map[string]any)
		o := origin(t, dist, def["TargetOriginId"])
		if got := refs(o["OriginAccessControlId"]); !slices.Equal(got, []string{oacID}) {
			t.Errorf("default origin OriginAccessControlId = %v, want %s", o["OriginAccessControlId"], oacID)
		}
		if got, want := jsonOf(o["DomainName"]), jsonOf(map[string]any{"Fn::GetAtt": []any{bucketID, "RegionalDomainName"}}); got != want {
			t.Errorf("default origin DomainName = %s, want the bucket's %s", got, want)
		}
		if s3, _ := o["S3OriginConfig"].(map[string]any); s3 == nil || s3["OriginAccessIdentity"] != "" {
			t.Errorf("default origin S3OriginConfig = %v, want OAC without an OAI", o["S3OriginConfig"])
		}
	})
}

func TestConsoleDistribution(t *testing.T) {
	s := synth(t)
	_, dist := s.distribution(t)
	for k, want := range map[string]any{
		"DefaultRootObject": "index.html", "Enabled": true, "HttpVersion": "http2and3", "PriceClass": "PriceClass_100",
	} {
		if dist[k] != want {
			t.Errorf("%s = %v, want %v", k, dist[k], want)
		}
	}
	// Error responses would apply to /v1/* too and hide the API's errors.
	if v, ok := dist["CustomErrorResponses"]; ok {
		t.Errorf("CustomErrorResponses = %v, want none", v)
	}
	headersID, _ := s.onlyOf(t, "AWS::CloudFront::ResponseHeadersPolicy")

	t.Run("default: the bucket, cached, with the console's headers", func(t *testing.T) {
		def, _ := dist["DefaultCacheBehavior"].(map[string]any)
		for k, want := range map[string]any{
			"ViewerProtocolPolicy": "redirect-to-https", "Compress": true, "CachePolicyId": cachingOptimizedID,
			"AllowedMethods": []any{"GET", "HEAD"},
		} {
			if jsonOf(def[k]) != jsonOf(want) {
				t.Errorf("%s = %v, want %v", k, def[k], want)
			}
		}
		if got := refs(def["ResponseHeadersPolicyId"]); !slices.Equal(got, []string{headersID}) {
			t.Errorf("ResponseHeadersPolicyId = %v, want %s", def["ResponseHeadersPolicyId"], headersID)
		}
		if v, ok := def["OriginRequestPolicyId"]; ok {
			t.Errorf("OriginRequestPolicyId = %v: S3 needs no viewer headers", v)
		}
	})

	t.Run("/v1/*: the API, uncached, every viewer header but Host", func(t *testing.T) {
		behaviors, _ := dist["CacheBehaviors"].([]any)
		if len(behaviors) != 1 {
			t.Fatalf("%d cache behaviours, want 1 (/v1/*)", len(behaviors))
		}
		b, _ := behaviors[0].(map[string]any)
		for k, want := range map[string]any{
			"PathPattern": "/v1/*", "ViewerProtocolPolicy": "https-only", "Compress": false,
			"CachePolicyId": cachingDisabledID, "OriginRequestPolicyId": allViewerExceptHostHeaderID,
			"AllowedMethods": []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"},
		} {
			if jsonOf(b[k]) != jsonOf(want) {
				t.Errorf("%s = %v, want %v", k, b[k], want)
			}
		}
		if v, ok := b["ResponseHeadersPolicyId"]; ok {
			t.Errorf("ResponseHeadersPolicyId = %v: the API's responses pass as they are", v)
		}
		o := origin(t, dist, b["TargetOriginId"])
		apiID, _ := s.onlyOf(t, "AWS::ApiGatewayV2::Api")
		wantDomain := map[string]any{"Fn::Join": []any{"", []any{
			map[string]any{"Ref": apiID}, ".execute-api.", map[string]any{"Ref": "AWS::Region"}, ".", map[string]any{"Ref": "AWS::URLSuffix"},
		}}}
		if got := jsonOf(o["DomainName"]); got != jsonOf(wantDomain) {
			t.Errorf("API origin DomainName = %s, want %s", got, jsonOf(wantDomain))
		}
		if got, want := jsonOf(o["CustomOriginConfig"]), `{"OriginProtocolPolicy":"https-only","OriginSSLProtocols":["TLSv1.2"]}`; got != want {
			t.Errorf("API origin CustomOriginConfig = %s, want %s", got, want)
		}
		if _, ok := o["OriginPath"]; ok {
			t.Errorf("API origin has OriginPath %v; the $default stage has none", o["OriginPath"])
		}
	})

	t.Run("every API route is under /v1/", func(t *testing.T) {
		for _, r := range routes.All {
			if !strings.HasPrefix(r.Path, strings.TrimSuffix(consoleAPIPath, "*")) {
				t.Errorf("route %s is not under %s: the console's origin would not reach it", r.Key(), consoleAPIPath)
			}
		}
	})

	t.Run("no certificate, no aliases", func(t *testing.T) {
		for _, k := range []string{"Aliases", "ViewerCertificate", "Logging", "WebACLId"} {
			if v, ok := dist[k]; ok {
				t.Errorf("%s = %v, want none", k, v)
			}
		}
	})
}

// policyHeaders returns the headers a response headers policy sets, by
// name, and fails on one it does not set over the origin's.
func policyHeaders(t *testing.T, p cfnResource) map[string]string {
	t.Helper()
	cfg, _ := p.Properties["ResponseHeadersPolicyConfig"].(map[string]any)
	raw, _ := json.Marshal(cfg)
	var c struct {
		SecurityHeadersConfig struct {
			ContentSecurityPolicy *struct {
				ContentSecurityPolicy string
				Override              bool
			}
			ContentTypeOptions *struct{ Override bool }
			FrameOptions       *struct {
				FrameOption string
				Override    bool
			}
			ReferrerPolicy *struct {
				ReferrerPolicy string
				Override       bool
			}
			StrictTransportSecurity *struct {
				AccessControlMaxAgeSec     int
				IncludeSubdomains, Preload bool
				Override                   bool
			}
			XSSProtection any
		}
		CustomHeadersConfig struct {
			Items []struct {
				Header, Value string
				Override      bool
			}
		}
		CorsConfig, RemoveHeadersConfig, ServerTimingHeadersConfig any
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"CorsConfig": c.CorsConfig, "RemoveHeadersConfig": c.RemoveHeadersConfig,
		"ServerTimingHeadersConfig": c.ServerTimingHeadersConfig, "XSSProtection": c.SecurityHeadersConfig.XSSProtection} {
		if v != nil {
			t.Errorf("%s = %v, want none", name, v)
		}
	}
	got := map[string]string{}
	set := func(name, value string, override bool) {
		if !override {
			t.Errorf("%s does not override the origin's", name)
		}
		got[name] = value
	}
	sec := c.SecurityHeadersConfig
	if h := sec.ContentSecurityPolicy; h != nil {
		set("Content-Security-Policy", h.ContentSecurityPolicy, h.Override)
	}
	if h := sec.ContentTypeOptions; h != nil {
		set("X-Content-Type-Options", "nosniff", h.Override)
	}
	if h := sec.FrameOptions; h != nil {
		set("X-Frame-Options", h.FrameOption, h.Override)
	}
	if h := sec.ReferrerPolicy; h != nil {
		set("Referrer-Policy", h.ReferrerPolicy, h.Override)
	}
	if h := sec.StrictTransportSecurity; h != nil {
		v := fmt.Sprintf("max-age=%d", h.AccessControlMaxAgeSec)
		if h.IncludeSubdomains {
			v += "; includeSubDomains"
		}
		if h.Preload {
			v += "; preload"
		}
		set("Strict-Transport-Security", v, h.Override)
	}
	for _, h := range c.CustomHeadersConfig.Items {
		if _, dup := got[h.Header]; dup {
			t.Errorf("header %s set twice", h.Header)
		}
		set(h.Header, h.Value, h.Override)
	}
	return got
}

// TestConsoleHeaders: CloudFront answers the console with the headers of
// shared/console, which the local gateway also serves, plus HSTS.
func TestConsoleHeaders(t *testing.T) {
	for stage, tokenOrigin := range map[string]string{stageProd: "https://login.test.example", stageDev: "https://auth.example.com"} {
		t.Run(stage, func(t *testing.T) {
			s := synthStage(t, stage)
			_, p := s.onlyOf(t, "AWS::CloudFront::ResponseHeadersPolicy")
			got := policyHeaders(t, p)
			if csp, want := got["Content-Security-Policy"], console.CSP(tokenOrigin); csp != want {
				t.Errorf("Content-Security-Policy = %q, want %q", csp, want)
			}
			want := console.Headers(s.props.Console.ConnectOrigins()...)
			want["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
			if jsonOf(got) != jsonOf(want) {
				t.Errorf("headers:\n%s\nwant\n%s", jsonOf(got), jsonOf(want))
			}
			cfg, _ := p.Properties["ResponseHeadersPolicyConfig"].(map[string]any)
			if name := cfg["Name"]; name != stackName(stage)+"-console" {
				t.Errorf("policy Name = %v, want %s-console", name, stackName(stage))
			}
		})
	}
}

// TestConsoleDeployment: the deployment uploads the build and config.json,
// revalidated by browsers, and invalidates the distribution.
func TestConsoleDeployment(t *testing.T) {
	defaults, err := cdkJSONContext()
	if err != nil {
		t.Fatal(err)
	}
	wantConfig := map[string]console.Config{
		stageProd: {Auth: console.Auth{Mode: console.ModeOIDC, AuthorizeURL: testAuthorizeURL, TokenURL: testTokenURL,
			LogoutURL: testLogoutURL, ClientID: testClientID, Scope: "openid", TokenField: "access_token"}},
		// cdk.json's placeholders; the client is the JWT audience.
		stageDev: {Auth: console.Auth{Mode: console.ModeOIDC, AuthorizeURL: fmt.Sprint(defaults["oidcAuthorizeUrl"]),
			TokenURL: fmt.Sprint(defaults["oidcTokenUrl"]), ClientID: testAudience, Scope: "openid email profile", TokenField: "id_token"}},
	}
	for _, stage := range stages {
		t.Run(stage, func(t *testing.T) {
			s := synthStage(t, stage)
			d := s.deployment(t)
			p := d.Properties
			bucketID, _ := s.onlyOf(t, "AWS::S3::Bucket")
			distID, _ := s.distribution(t)
			if got := refs(p["DestinationBucketName"]); !slices.Equal(got, []string{bucketID}) {
				t.Errorf("DestinationBucketName = %v, want the console bucket %s", p["DestinationBucketName"], bucketID)
			}
			if got := refs(p["DistributionId"]); !slices.Equal(got, []string{distID}) {
				t.Errorf("DistributionId = %v, want %s", p["DistributionId"], distID)
			}
			for k, want := range map[string]any{
				"DistributionPaths": []any{"/*"}, "Prune": true, "WaitForDistributionInvalidation": true,
				"SystemMetadata":             map[string]any{"cache-control": "max-age=0, must-revalidate, s-maxage=86400"},
				"DestinationBucketKeyPrefix": nil, "Extract": nil,
			} {
				if jsonOf(p[k]) != jsonOf(want) {
					t.Errorf("%s = %s, want %s", k, jsonOf(p[k]), jsonOf(want))
				}
			}

			// The sources, as the cloud assembly stages them: the build, then config.json.
			keys, _ := p["SourceObjectKeys"].([]any)
			if len(keys) != 2 {
				t.Fatalf("SourceObjectKeys = %v, want the build and config.json", keys)
			}
			files := make([]map[string]string, len(keys))
			for i, k := range keys {
				dir := filepath.Join(tmpRoot, "cdk.out", "asset."+strings.TrimSuffix(fmt.Sprint(k), ".zip"))
				entries, err := os.ReadDir(dir)
				if err != nil {
					t.Fatalf("source %v: %v", k, err)
				}
				files[i] = map[string]string{}
				for _, e := range entries {
					raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
					if err != nil {
						t.Fatal(err)
					}
					files[i][e.Name()] = string(raw)
				}
			}
			if got := files[0]["index.html"]; got != testIndexHTML {
				t.Errorf("first source's index.html = %q, want the build's %q", got, testIndexHTML)
			}
			raw, ok := files[1]["config.json"]
			if !ok || len(files[1]) != 1 {
				t.Fatalf("second source holds %v, want config.json only", slices.Sorted(maps.Keys(files[1])))
			}
			var got console.Config
			dec := json.NewDecoder(strings.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("config.json %s: %v", raw, err)
			}
			if got != wantConfig[stage] || got != s.props.Console {
				t.Errorf("config.json = %+v, want %+v", got, wantConfig[stage])
			}
			if !strings.Contains(raw, `"apiBase":""`) {
				t.Errorf("config.json %s has no empty apiBase: the console would not call its own origin", raw)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("config.json: %v", err)
			}
		})
	}
}

// TestConsoleDeploymentRole: CDK's deployment handler may read the CDK
// asset bucket, write the console bucket and invalidate this distribution,
// and nothing else. Its role is CDK's, outside TestLeastPrivilege (which
// covers the service's functions), so it is checked here.
func TestConsoleDeploymentRole(t *testing.T) {
	s := synth(t)
	fnID, fn := s.referenced(t, s.deployment(t).Properties["ServiceToken"], "AWS::Lambda::Function")
	if !strings.HasPrefix(fnID, "CustomCDKBucketDeployment") {
		t.Errorf("deployment handler %s", fnID)
	}
	logging, _ := fn.Properties["LoggingConfig"].(map[string]any)
	_, group := s.referenced(t, logging["LogGroup"], "AWS::Logs::LogGroup")
	if group.Properties["RetentionInDays"] != float64(30) || group.DeletionPolicy != "Retain" {
		t.Errorf("handler log group: RetentionInDays %v, DeletionPolicy %q; want 30 and Retain", group.Properties["RetentionInDays"], group.DeletionPolicy)
	}

	roleID, role := s.referenced(t, fn.Properties["Role"], "AWS::IAM::Role")
	// CDK's function role: AWSLambdaBasicExecutionRole, for its own logs.
	basic := []any{map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}}}}
	if got := jsonOf(role.Properties["ManagedPolicyArns"]); got != jsonOf(basic) {
		t.Errorf("ManagedPolicyArns = %s, want only AWSLambdaBasicExecutionRole", got)
	}
	bucketID, _ := s.onlyOf(t, "AWS::S3::Bucket")
	bucketARN := map[string]any{"Fn::GetAtt": []any{bucketID, "Arn"}}
	consoleBucket := []string{jsonOf(bucketARN), jsonOf(map[string]any{"Fn::Join": []any{"", []any{bucketARN, "/*"}}})}
	distARN := jsonOf(s.distributionARN(t))
	invalidates := false
	for _, st := range s.policyStatements(t, roleID) {
		if st.Effect != "Allow" {
			continue
		}
		for _, r := range resources(st) {
			res := jsonOf(r)
			for _, a := range st.actions() {
				switch {
				case strings.HasPrefix(a, "cloudfront:"):
					invalidates = invalidates || a == "cloudfront:CreateInvalidation"
					if (a != "cloudfront:CreateInvalidation" && a != "cloudfront:GetInvalidation") || res != distARN {
						t.Errorf("%s on %s, want only Create/GetInvalidation on the distribution %s", a, res, distARN)
					}
				case strings.HasPrefix(a, "s3:"):
					// The console bucket, or the CDK assets bucket the sources are staged in.
					if !slices.Contains(consoleBucket, res) && !strings.Contains(res, "cdk-hnb659fds-assets-") {
						t.Errorf("%s on %s, want the console bucket or the CDK assets bucket", a, res)
					}
					if strings.Contains(res, "cdk-hnb659fds-assets-") && !strings.HasPrefix(a, "s3:Get") && !strings.HasPrefix(a, "s3:List") {
						t.Errorf("%s on the CDK assets bucket, want reads only", a)
					}
				default:
					t.Errorf("deployment role allows %s on %s", a, res)
				}
			}
		}
	}
	if !invalidates {
		t.Error("the deployment role may not invalidate the distribution")
	}
}

func TestValidConsole(t *testing.T) {
	ok := console.Config{Auth: console.Auth{Mode: console.ModeOIDC, AuthorizeURL: testAuthorizeURL, TokenURL: testTokenURL,
		ClientID: testClientID, TokenField: "id_token"}}
	if err := validConsole(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	local := console.Config{Auth: console.Auth{Mode: console.ModeLocal, Demo: &console.Demo{PartnerID: "p1"}}}
	elsewhere := ok
	elsewhere.APIBase = "https://api.example.com"
	noClient := ok
	noClient.Auth.ClientID = ""
	for name, tt := range map[string]struct {
		cfg     console.Config
		wantErr string
	}{
		"local sign-in":       {local, `mode "local" must be oidc`},
		"API elsewhere":       {elsewhere, "API base"},
		"no client id":        {noClient, "clientId is required"},
		"no sign-in at all":   {console.Config{}, "mode"},
		"token URL not https": {func() console.Config { c := ok; c.Auth.TokenURL = "http://x.example/token"; return c }(), "tokenUrl"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := validConsole(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheckConsole(t *testing.T) {
	dir := t.TempDir()
	err := checkConsole(dir)
	if err == nil || !strings.Contains(err.Error(), "index.html is missing: run `make web` first") {
		t.Errorf("empty build: error = %v, want one telling to run make web", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(testIndexHTML), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkConsole(dir); err != nil {
		t.Errorf("built console: %v", err)
	}
}
