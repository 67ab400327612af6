package main

import (
	"encoding/base64"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/routes"
)

// matcher finds the route for a method and path, as API Gateway does.
type matcher struct {
	routes []compiled
}

type compiled struct {
	routes.Route
	segments []string
}

func newMatcher(rs []routes.Route) *matcher {
	m := &matcher{}
	for _, r := range rs {
		m.routes = append(m.routes, compiled{r, strings.Split(strings.Trim(r.Path, "/"), "/")})
	}
	return m
}

// match returns the route and its path parameters. Literal segments win
// over parameters, as in API Gateway's "most specific route" rule.
func (m *matcher) match(method, path string) (routes.Route, map[string]string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	best, bestScore := -1, -1
	var bestParams map[string]string
	for i, c := range m.routes {
		if c.Method != method || len(c.segments) != len(parts) {
			continue
		}
		params, score, ok := map[string]string{}, 0, true
		for j, seg := range c.segments {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				if parts[j] == "" {
					ok = false
					break
				}
				v, err := url.PathUnescape(parts[j])
				if err != nil {
					ok = false
					break
				}
				params[strings.Trim(seg, "{}")] = v
			} else if seg == parts[j] {
				score++
			} else {
				ok = false
				break
			}
		}
		if ok && score > bestScore {
			best, bestScore, bestParams = i, score, params
		}
	}
	if best < 0 {
		return routes.Route{}, nil, false
	}
	if len(bestParams) == 0 {
		bestParams = nil
	}
	return m.routes[best].Route, bestParams, true
}

// buildEvent turns an HTTP request into the payload format 2.0 event that
// API Gateway's HTTP API sends to a Lambda integration.
func buildEvent(r *http.Request, rt routes.Route, params map[string]string, claims map[string]string, requestID string, now time.Time) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20+1)) // HTTP API's payload limit is 10 MB
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, err
	}
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		lname := strings.ToLower(name)
		if lname == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					cookies = append(cookies, strings.TrimSpace(c))
				}
			}
			continue
		}
		headers[lname] = strings.Join(values, ",")
	}
	headers["host"] = r.Host
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, v := range q {
			query[k] = strings.Join(v, ",")
		}
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              rt.Key(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     rt.Key(),
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        "local",
			DomainName:   r.Host,
			DomainPrefix: strings.Split(r.Host, ".")[0],
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent(),
			},
		},
	}
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: nil},
		}
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			// API Gateway base64-encodes payloads it does not treat as text.
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev, nil
}

func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || mt == "application/javascript" || mt == "application/x-www-form-urlencoded"
}

// writeResponse copies a Lambda proxy response onto the HTTP response.
func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			body = b
		}
	}
	if w.Header().Get("Content-Type") == "" && len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
