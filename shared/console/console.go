// Package console holds what the benefits console (the static web app in
// web/) needs from its host: the shape of its config.json and the security
// headers of its pages. The local gateway and the CDK stack (CloudFront)
// both use it, so the page is served under the same policy in both places.
package console

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Sign-in modes of Auth.Mode.
const (
	// ModeLocal signs in with the local gateway's POST /_local/token.
	ModeLocal = "local"
	// ModeOIDC signs in with the issuer's hosted login: OpenID Connect
	// authorization code flow with PKCE (S256), public client, no secret.
	ModeOIDC = "oidc"
)

// Config is /config.json, read by the console before anything else. It is
// the only thing that differs between a laptop and AWS.
type Config struct {
	// APIBase prefixes every /v1 call; "" is the page's own origin
	// (CloudFront routes /v1/* to the HTTP API; locally the gateway serves both).
	APIBase string `json:"apiBase"`
	Auth    Auth   `json:"auth"`
}

// Auth says how the console gets a bearer token.
type Auth struct {
	Mode string `json:"mode"`
	// OIDC: the endpoints of the issuer's hosted login, the public client's
	// id, the scopes asked for, and which token of the token response the
	// console sends as the bearer (id_token for a Cognito V1 trigger).
	AuthorizeURL string `json:"authorizeUrl,omitempty"`
	TokenURL     string `json:"tokenUrl,omitempty"`
	LogoutURL    string `json:"logoutUrl,omitempty"`
	ClientID     string `json:"clientId,omitempty"`
	Scope        string `json:"scope,omitempty"`
	TokenField   string `json:"tokenField,omitempty"`
	// Local: the demo partner and the directory users the sign-in offers.
	Demo *Demo `json:"demo,omitempty"`
}

// Demo is the local sign-in's choice of users.
type Demo struct {
	PartnerID string     `json:"partnerId"`
	Users     []DemoUser `json:"users"`
}

// DemoUser is one user the local sign-in offers, with the roles its token
// will carry.
type DemoUser struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// Validate checks an OIDC or local configuration.
func (c Config) Validate() error {
	switch c.Auth.Mode {
	case ModeLocal:
		if c.Auth.Demo == nil || c.Auth.Demo.PartnerID == "" {
			return fmt.Errorf("console config: local sign-in needs a demo partner")
		}
	case ModeOIDC:
		for name, v := range map[string]string{"authorizeUrl": c.Auth.AuthorizeURL, "tokenUrl": c.Auth.TokenURL} {
			if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" {
				return fmt.Errorf("console config: %s %q must be an https URL", name, v)
			}
		}
		if c.Auth.LogoutURL != "" {
			if u, err := url.Parse(c.Auth.LogoutURL); err != nil || u.Scheme != "https" || u.Host == "" {
				return fmt.Errorf("console config: logoutUrl %q must be an https URL", c.Auth.LogoutURL)
			}
		}
		if c.Auth.ClientID == "" {
			return fmt.Errorf("console config: clientId is required")
		}
		if c.Auth.TokenField != "id_token" && c.Auth.TokenField != "access_token" {
			return fmt.Errorf("console config: tokenField %q must be id_token or access_token", c.Auth.TokenField)
		}
	default:
		return fmt.Errorf("console config: mode %q must be %s or %s", c.Auth.Mode, ModeLocal, ModeOIDC)
	}
	return nil
}

// ConnectOrigins are the origins beyond the page's own that the console
// fetches from: the API when it lives elsewhere, and the OIDC token
// endpoint (the authorize and logout endpoints are navigations, not fetches).
func (c Config) ConnectOrigins() []string {
	var out []string
	for _, raw := range []string{c.APIBase, c.Auth.TokenURL} {
		if o := origin(raw); o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// CSP is the Content-Security-Policy of every console response: scripts and
// styles only from the page's own origin (no inline code, no eval), no
// frames, plugins, fonts or external images, fetches only to the origin and
// connect, and Trusted Types enforced, so the DOM sinks that parse HTML
// (innerHTML and friends) throw instead of running injected markup.
func CSP(connect ...string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self'",
		"connect-src " + strings.Join(append([]string{"'self'"}, connect...), " "),
		"form-action 'none'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
		"require-trusted-types-for 'script'",
		"trusted-types 'none'",
	}, "; ")
}

// Headers are the security headers of every console response.
func Headers(connect ...string) map[string]string {
	return map[string]string{
		"Content-Security-Policy":      CSP(connect...),
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"X-Frame-Options":              "DENY",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), payment=()",
	}
}
