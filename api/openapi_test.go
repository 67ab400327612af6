package api

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pbs/benefits/shared/routes"
)

// httpMethods are the operation keys of an OpenAPI path item, in report order.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// docCheck inspects the parsed document against a route table and returns one
// message per problem found.
type docCheck struct {
	name string
	fn   func(doc map[string]any, rs []routes.Route) []string
}

var docChecks = []docCheck{
	{"openapi version is 3.1.0", checkVersion},
	{"operations equal routes.All", checkRouteParity},
	{"x-function equals the route's function", checkFunctions},
	{"security follows route access", checkSecurity},
	{"every POST documents Idempotency-Key", checkIdempotencyKey},
	{"every $ref resolves", checkRefs},
	{"operationIds are present, unique and the route's ID", checkOperationIDs},
	{"path parameters match the path template", checkPathParams},
	{"every response documents X-Request-Id", checkRequestID},
	{"every operation documents 503 service_unavailable", checkUnavailable},
}

func TestOpenAPI(t *testing.T) {
	doc := parseDoc(t, OpenAPI)
	for _, c := range docChecks {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range c.fn(doc, routes.All) {
				t.Error(p)
			}
		})
	}
}

// TestChecksCatchDrift makes sure each check fails when the document and the
// route table disagree, so a green TestOpenAPI means something.
func TestChecksCatchDrift(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, doc map[string]any, rs *[]routes.Route)
		want   string
	}{
		{
			name: "operation missing from the document",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				delete(pathItem(t, doc, "/v1/users"), "post")
			},
			want: "missing from openapi.yaml: POST /v1/users",
		},
		{
			name: "operation without a 503",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				delete(operation(t, doc, "/v1/users", "post")["responses"].(map[string]any), "503")
			},
			want: "POST /v1/users: no 503 service_unavailable with Retry-After",
		},
		{
			name: "route added to the table only",
			mutate: func(_ *testing.T, _ map[string]any, rs *[]routes.Route) {
				*rs = append(*rs, routes.Route{Method: "GET", Path: "/v1/support/incidents/{incidentId}", Function: "benefits", Access: routes.Partner})
			},
			want: "missing from openapi.yaml: GET /v1/support/incidents/{incidentId}",
		},
		{
			name: "operation not in the route table",
			mutate: func(_ *testing.T, _ map[string]any, rs *[]routes.Route) {
				*rs = slices.DeleteFunc(*rs, func(r routes.Route) bool { return r.Key() == "GET /v1/admin/catalog" })
			},
			want: "not in routes.All: GET /v1/admin/catalog",
		},
		{
			name: "wrong x-function",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				operation(t, doc, "/v1/purchases", "post")["x-function"] = "benefits"
			},
			want: `POST /v1/purchases: x-function is "benefits", route function is "purchases"`,
		},
		{
			name: "missing x-function",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				delete(operation(t, doc, "/v1/benefits", "get"), "x-function")
			},
			want: "GET /v1/benefits: x-function is <nil>",
		},
		{
			name: "public route without security: []",
			mutate: func(_ *testing.T, _ map[string]any, rs *[]routes.Route) {
				*rs = slices.Clone(*rs)
				(*rs)[0].Access = routes.Public
			},
			want: "GET /v1/benefits: public route must declare security: []",
		},
		{
			name: "secured route opened up",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				operation(t, doc, "/v1/users", "get")["security"] = []any{}
			},
			want: "GET /v1/users: partner route must require bearerJWT",
		},
		{
			name: "POST without Idempotency-Key",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				delete(operation(t, doc, "/v1/purchases", "post"), "parameters")
			},
			want: "POST /v1/purchases: no Idempotency-Key header parameter",
		},
		{
			name: "dangling $ref",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				op := operation(t, doc, "/v1/purchases/{id}", "get")
				op["responses"].(map[string]any)["404"] = map[string]any{"$ref": "#/components/responses/Gone"}
			},
			want: "#/components/responses/Gone does not resolve",
		},
		{
			name: "wrong openapi version",
			mutate: func(_ *testing.T, doc map[string]any, _ *[]routes.Route) {
				doc["openapi"] = "3.0.3"
			},
			want: `openapi is "3.0.3", want "3.1.0"`,
		},
		{
			name: "response without X-Request-Id",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				op := operation(t, doc, "/v1/benefits", "get")
				delete(op["responses"].(map[string]any)["200"].(map[string]any), "headers")
			},
			want: "GET /v1/benefits: response 200 has no X-Request-Id header",
		},
		{
			name: "operationId is not the route's ID",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				operation(t, doc, "/v1/users", "post")["operationId"] = "addUser"
			},
			want: `POST /v1/users: operationId "addUser", route ID "createUser"`,
		},
		{
			name: "undeclared path parameter",
			mutate: func(t *testing.T, doc map[string]any, _ *[]routes.Route) {
				delete(operation(t, doc, "/v1/purchases/{id}", "get"), "parameters")
			},
			want: "GET /v1/purchases/{id}: path parameter {id} is not declared",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := parseDoc(t, OpenAPI)
			rs := slices.Clone(routes.All)
			tc.mutate(t, doc, &rs)
			var all []string
			for _, c := range docChecks {
				all = append(all, c.fn(doc, rs)...)
			}
			for _, p := range all {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("no problem containing %q; got %q", tc.want, all)
		})
	}
}

// ---- checks ----

func checkVersion(doc map[string]any, _ []routes.Route) []string {
	if v, _ := doc["openapi"].(string); v != "3.1.0" {
		return []string{fmt.Sprintf("openapi is %q, want %q", doc["openapi"], "3.1.0")}
	}
	return nil
}

func checkRouteParity(doc map[string]any, rs []routes.Route) []string {
	var problems []string
	inTable := map[string]bool{}
	for _, r := range rs {
		if inTable[r.Key()] {
			problems = append(problems, "duplicate route in routes.All: "+r.Key())
		}
		inTable[r.Key()] = true
	}
	inDoc := map[string]bool{}
	for _, o := range operations(doc) {
		inDoc[o.key] = true
	}
	for _, k := range sortedKeys(inTable) {
		if !inDoc[k] {
			problems = append(problems, "route missing from openapi.yaml: "+k)
		}
	}
	for _, k := range sortedKeys(inDoc) {
		if !inTable[k] {
			problems = append(problems, "operation not in routes.All: "+k)
		}
	}
	return problems
}

func checkFunctions(doc map[string]any, rs []routes.Route) []string {
	var problems []string
	byKey := routesByKey(rs)
	for _, o := range operations(doc) {
		r, ok := byKey[o.key]
		if !ok {
			continue // reported by checkRouteParity
		}
		if f, _ := o.op["x-function"].(string); f != r.Function {
			problems = append(problems, fmt.Sprintf("%s: x-function is %s, route function is %q", o.key, quoteOrNil(o.op["x-function"]), r.Function))
		}
	}
	return problems
}

func checkSecurity(doc map[string]any, rs []routes.Route) []string {
	var problems []string
	scheme, _ := lookup(doc, "components", "securitySchemes", "bearerJWT").(map[string]any)
	if scheme["type"] != "http" || scheme["scheme"] != "bearer" || scheme["bearerFormat"] != "JWT" {
		problems = append(problems, "components.securitySchemes.bearerJWT must be http bearer with bearerFormat JWT")
	}
	byKey := routesByKey(rs)
	for _, o := range operations(doc) {
		r, ok := byKey[o.key]
		if !ok {
			continue
		}
		declared, hasOwn := o.op["security"]
		if r.Access == routes.Public {
			if list, ok := declared.([]any); !hasOwn || !ok || len(list) != 0 {
				problems = append(problems, o.key+": public route must declare security: []")
			}
			continue
		}
		effective := declared
		if !hasOwn {
			effective = doc["security"]
		}
		if !requiresBearer(effective) {
			problems = append(problems, fmt.Sprintf("%s: %s route must require bearerJWT (declared or inherited), got %v", o.key, r.Access, effective))
		}
	}
	return problems
}

// requiresBearer reports whether every alternative of a security requirement
// list includes bearerJWT (an empty alternative {} would allow anonymous calls).
func requiresBearer(security any) bool {
	list, ok := security.([]any)
	if !ok || len(list) == 0 {
		return false
	}
	for _, alt := range list {
		m, ok := alt.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := m["bearerJWT"]; !ok {
			return false
		}
	}
	return true
}

func checkIdempotencyKey(doc map[string]any, _ []routes.Route) []string {
	var problems []string
	for _, o := range operations(doc) {
		if o.method != "POST" {
			continue
		}
		found := false
		for _, p := range parameters(doc, o) {
			if p["in"] == "header" && strings.EqualFold(fmt.Sprint(p["name"]), "Idempotency-Key") {
				found = true
			}
		}
		if !found {
			problems = append(problems, o.key+": no Idempotency-Key header parameter")
		}
	}
	return problems
}

func checkRefs(doc map[string]any, _ []routes.Route) []string {
	var problems []string
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := resolvePointer(doc, ref); err != nil {
					problems = append(problems, fmt.Sprintf("%s: $ref %s does not resolve: %v", at, ref, err))
				}
			}
			for _, k := range sortedKeys(v) {
				walk(v[k], at+"/"+escapePointer(k))
			}
		case []any:
			for i, e := range v {
				walk(e, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")
	return problems
}

func checkOperationIDs(doc map[string]any, rs []routes.Route) []string {
	var problems []string
	seen := map[string]string{}
	byKey := routesByKey(rs)
	for _, o := range operations(doc) {
		id, _ := o.op["operationId"].(string)
		switch {
		case id == "":
			problems = append(problems, o.key+": no operationId")
		case seen[id] != "":
			problems = append(problems, fmt.Sprintf("%s: operationId %q already used by %s", o.key, id, seen[id]))
		default:
			seen[id] = o.key
		}
		// The route's ID keys the endpoint tables: it is the operationId.
		if r, ok := byKey[o.key]; ok && string(r.ID) != id {
			problems = append(problems, fmt.Sprintf("%s: operationId %q, route ID %q", o.key, id, r.ID))
		}
	}
	return problems
}

var pathParam = regexp.MustCompile(`\{([^{}]+)\}`)

func checkPathParams(doc map[string]any, _ []routes.Route) []string {
	var problems []string
	for _, o := range operations(doc) {
		inTemplate := map[string]bool{}
		for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
			inTemplate[m[1]] = true
		}
		declared := map[string]bool{}
		for _, p := range parameters(doc, o) {
			if p["in"] == "path" {
				name := fmt.Sprint(p["name"])
				declared[name] = true
				if p["required"] != true {
					problems = append(problems, fmt.Sprintf("%s: path parameter {%s} must be required", o.key, name))
				}
			}
		}
		for _, n := range sortedKeys(inTemplate) {
			if !declared[n] {
				problems = append(problems, fmt.Sprintf("%s: path parameter {%s} is not declared", o.key, n))
			}
		}
		for _, n := range sortedKeys(declared) {
			if !inTemplate[n] {
				problems = append(problems, fmt.Sprintf("%s: path parameter %q is not in the path", o.key, n))
			}
		}
	}
	return problems
}

func checkRequestID(doc map[string]any, _ []routes.Route) []string {
	var problems []string
	for _, o := range operations(doc) {
		responses, _ := o.op["responses"].(map[string]any)
		if len(responses) == 0 {
			problems = append(problems, o.key+": no responses")
		}
		for _, status := range sortedKeys(responses) {
			resp, _ := deref(doc, responses[status]).(map[string]any)
			headers, _ := resp["headers"].(map[string]any)
			found := false
			for name := range headers {
				found = found || strings.EqualFold(name, "X-Request-Id")
			}
			if !found {
				problems = append(problems, fmt.Sprintf("%s: response %s has no X-Request-Id header", o.key, status))
			}
		}
	}
	return problems
}

// checkUnavailable: a busy table can answer any operation 503
// service_unavailable with Retry-After, so each must say so.
func checkUnavailable(doc map[string]any, _ []routes.Route) []string {
	var problems []string
	for _, o := range operations(doc) {
		responses, _ := o.op["responses"].(map[string]any)
		resp, _ := deref(doc, responses["503"]).(map[string]any)
		content, _ := lookup(resp, "content", "application/problem+json", "examples").(map[string]any)
		headers, _ := resp["headers"].(map[string]any)
		if _, ok := content["service_unavailable"]; !ok || headers["Retry-After"] == nil {
			problems = append(problems, o.key+": no 503 service_unavailable with Retry-After")
		}
	}
	return problems
}

// ---- document helpers ----

type op struct {
	key    string // "METHOD /path", as routes.Route.Key
	method string // upper case
	path   string
	item   map[string]any // the path item
	op     map[string]any // the operation object
}

// operations lists the document's operations in path then method order.
func operations(doc map[string]any) []op {
	paths, _ := doc["paths"].(map[string]any)
	var out []op
	for _, p := range sortedKeys(paths) {
		item, _ := deref(doc, paths[p]).(map[string]any)
		for _, m := range httpMethods {
			if o, ok := item[m].(map[string]any); ok {
				method := strings.ToUpper(m)
				out = append(out, op{key: method + " " + p, method: method, path: p, item: item, op: o})
			}
		}
	}
	return out
}

// parameters returns an operation's parameters, path-item level first, with
// $refs resolved.
func parameters(doc map[string]any, o op) []map[string]any {
	var out []map[string]any
	for _, src := range []any{o.item["parameters"], o.op["parameters"]} {
		list, _ := src.([]any)
		for _, p := range list {
			if m, ok := deref(doc, p).(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// deref follows $ref chains (a few levels) and returns the target, or v itself.
func deref(doc map[string]any, v any) any {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		target, err := resolvePointer(doc, ref)
		if err != nil {
			return nil
		}
		v = target
	}
	return v
}

// resolvePointer resolves a local reference such as #/components/schemas/Id.
func resolvePointer(doc map[string]any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("not a local reference")
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("no index %q", tok)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("cannot descend into %q", tok)
		}
	}
	return cur, nil
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

func lookup(doc map[string]any, keys ...string) any {
	var cur any = doc
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func routesByKey(rs []routes.Route) map[string]routes.Route {
	m := make(map[string]routes.Route, len(rs))
	for _, r := range rs {
		m[r.Key()] = r
	}
	return m
}

func parseDoc(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	doc, ok := normalize(raw).(map[string]any)
	if !ok {
		t.Fatalf("openapi.yaml: top level is %T, want a mapping", raw)
	}
	return doc
}

// normalize turns YAML mappings with non-string keys (e.g. an unquoted 200)
// into map[string]any, recursively, so the checks see one shape.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalize(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = normalize(e)
		}
		return v
	}
	return v
}

func pathItem(t *testing.T, doc map[string]any, path string) map[string]any {
	t.Helper()
	item, ok := lookup(doc, "paths", path).(map[string]any)
	if !ok {
		t.Fatalf("no path item %s", path)
	}
	return item
}

func operation(t *testing.T, doc map[string]any, path, method string) map[string]any {
	t.Helper()
	o, ok := pathItem(t, doc, path)[method].(map[string]any)
	if !ok {
		t.Fatalf("no operation %s %s", method, path)
	}
	return o
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quoteOrNil(v any) string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", fmt.Sprint(v))
}
