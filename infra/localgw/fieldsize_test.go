package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"

	apidoc "github.com/pbs/benefits/api"
	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/routes"
	"github.com/pbs/benefits/shared/testenv"
)

// The field-size net: every string of every JSON request body of the
// OpenAPI document declares maxLength (a new field fails here until it has
// one), and end to end each such field, set alone in an otherwise valid
// request of the authorization fixture, is
//
//	(a) accepted at exactly maxLength characters (no 400 about the field);
//	(b) refused at maxLength+1 with the route's validation problem naming
//	    the field (code too_long, except for enums);
//	(c) refused the same way at 300 KB, or 413 where that is over the
//	    route's body limit;
//
// and nothing answers 5xx. Then the table is scanned: no item a partner's
// request wrote is over maxPartnerItem, and a catalogue published at its
// body limit is stored in an item under maxCatalogItem.

const (
	maxPartnerItem = 64 << 10
	// maxCatalogItem: a catalogue at the body limit (256 KiB) plus the
	// item's other attributes, well below DynamoDB's 400 KB.
	maxCatalogItem = 260 << 10
	hugeBytes      = 300 << 10
)

// fieldSeg is one step of a path into a JSON body.
type fieldSeg struct {
	name  string // an object property
	index bool   // the first item of an array
	key   bool   // some key of a map (additionalProperties)
}

// bodyField is one string of a request body schema.
type bodyField struct {
	path   []fieldSeg
	schema map[string]any // the string schema itself
	ref    string         // the last component followed to reach it (Id, CurrencyCode, ...)
}

func (f bodyField) String() string {
	var b strings.Builder
	for i, s := range f.path {
		switch {
		case s.index:
			b.WriteString("[0]")
		case s.key:
			b.WriteString(".*")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		}
	}
	return b.String()
}

func (f bodyField) leaf() string {
	for i := len(f.path) - 1; i >= 0; i-- {
		if s := f.path[i]; !s.index && !s.key {
			return s.name
		}
	}
	return ""
}

func (f bodyField) maxLength() (int, bool) {
	n, ok := f.schema["maxLength"].(int)
	return n, ok
}

func (f bodyField) enum() []any { e, _ := f.schema["enum"].([]any); return e }

// openAPIDoc parses the embedded document.
func openAPIDoc(t testing.TB) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(apidoc.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		if next == nil {
			return nil
		}
		m = next
	}
	return m
}

// jsonBodyFields lists the string fields of a route's application/json
// request body; ok is false when the route takes no JSON body.
func jsonBodyFields(doc map[string]any, rt routes.Route) (fields []bodyField, ok bool) {
	op := dig(doc, "paths", rt.Path, strings.ToLower(rt.Method))
	schema := dig(op, "requestBody", "content", "application/json", "schema")
	if schema == nil {
		return nil, false
	}
	return stringFields(doc, schema, nil, "", map[string]bool{}), true
}

func stringFields(doc, schema map[string]any, path []fieldSeg, ref string, seen map[string]bool) []bodyField {
	if r, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(r, "#/components/schemas/")
		if seen[name] {
			return nil
		}
		seen = mapsWith(seen, name)
		return stringFields(doc, dig(doc, "components", "schemas", name), path, name, seen)
	}
	var out []bodyField
	for _, sub := range asList(schema["allOf"]) {
		out = append(out, stringFields(doc, sub, path, ref, seen)...)
	}
	switch schema["type"] {
	case "string":
		return append(out, bodyField{path: path, schema: schema, ref: ref})
	case "array":
		if items, ok := schema["items"].(map[string]any); ok {
			out = append(out, stringFields(doc, items, appendSeg(path, fieldSeg{index: true}), "", seen)...)
		}
	case "object", nil:
		props, _ := schema["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for k := range props {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			out = append(out, stringFields(doc, props[k].(map[string]any), appendSeg(path, fieldSeg{name: k}), "", seen)...)
		}
		if ap, ok := schema["additionalProperties"].(map[string]any); ok {
			out = append(out, stringFields(doc, ap, appendSeg(path, fieldSeg{key: true}), "", seen)...)
		}
	}
	return out
}

func appendSeg(path []fieldSeg, s fieldSeg) []fieldSeg { return append(slices.Clip(path), s) }

func mapsWith(m map[string]bool, k string) map[string]bool {
	c := make(map[string]bool, len(m)+1)
	for kk, v := range m {
		c[kk] = v
	}
	c[k] = true
	return c
}

func asList(v any) []map[string]any {
	var out []map[string]any
	for _, x := range asAnyList(v) {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func asAnyList(v any) []any { l, _ := v.([]any); return l }

// generator makes a value of n characters for a field; valid says whether
// it is valid for the field apart from its length (case (a) runs only for a
// valid value at maxLength).
type generator struct {
	name string
	make func(n int) (value string, valid bool)
}

// The generators (documented in the report of the test):
//
//   - text: "é" repeated (two bytes a character, so limits counted in bytes
//     rather than characters show), for free text;
//   - slug: "a" repeated, for ids of the catalogue, versions and tokens;
//   - id: "usr_" then "a"s, the shape of an id this service issues;
//   - email: a 64-character local part at most, then a domain of labels of
//     at most 63 characters ending in .example;
//   - phone: +1 then 5s (E.164 allows 7 to 15 digits);
//   - language: a BCP 47 tag of registered variants, 35 characters;
//   - domain: labels of at most 63 "a"s joined by dots (a tenant's domain);
//   - url: https://fieldsize.example/ then "a"s;
//   - currency: EUR (three letters; longer values are never valid);
//   - enum: "z" repeated; only (b) and (c) run;
//   - reference: an id that must name something of the same document (a
//     catalogue line's product); only (b) and (c) run.
var (
	genText  = generator{"text", func(n int) (string, bool) { return strings.Repeat("é", n), true }}
	genSlug  = generator{"slug", func(n int) (string, bool) { return strings.Repeat("a", n), n > 0 }}
	genID    = generator{"id", func(n int) (string, bool) { return "usr_" + strings.Repeat("a", max(0, n-4)), n >= 5 }}
	genEnum  = generator{"enum", func(n int) (string, bool) { return strings.Repeat("z", n), false }}
	genRef   = generator{"reference", func(n int) (string, bool) { return strings.Repeat("a", n), false }}
	genEmail = generator{"email", func(n int) (string, bool) {
		const tail = ".example"
		local := min(64, n-2-len(tail)) // at least "@" and one character of domain
		if local < 1 {
			return strings.Repeat("a", n), false
		}
		domain := labels(n-local-1-len(tail)) + tail
		return strings.Repeat("a", local) + "@" + domain, true
	}}
	genPhone = generator{"phone", func(n int) (string, bool) {
		if n < 2 {
			return strings.Repeat("5", n), false
		}
		return "+1" + strings.Repeat("5", n-2), n >= 8 && n <= 16
	}}
	genLanguage = generator{"language", func(n int) (string, bool) {
		const tag = "en-fonipa-fonupa-pinyin-simple-1994" // 35 characters, every variant registered
		if n == len(tag) {
			return tag, true
		}
		if n <= 2 {
			return "en"[:n], n == 2
		}
		return "en-" + strings.Repeat("a", n-3), false
	}}
	genDomain = generator{"domain", func(n int) (string, bool) { return labels(n), n > 0 }}
	genURL    = generator{"url", func(n int) (string, bool) {
		const base = "https://fieldsize.example/"
		return base + strings.Repeat("a", max(0, n-len(base))), n >= len(base)
	}}
	genCurrency = generator{"currency", func(n int) (string, bool) {
		if n == 3 {
			return "EUR", true
		}
		return strings.Repeat("A", n), false
	}}
)

// labels is n characters of DNS labels of at most 63 "a"s joined by dots.
func labels(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		k := min(63, n-b.Len())
		if k == 1 && b.Len() > 0 && n-b.Len() == 1 { // never end on a dot
			b.WriteByte('a')
			break
		}
		b.WriteString(strings.Repeat("a", k))
	}
	s := b.String()
	if strings.HasSuffix(s, ".") {
		s = s[:len(s)-1] + "a"
	}
	return s
}

// generatorFor picks a field's generator from its schema, then its name.
func generatorFor(f bodyField) generator {
	switch {
	case len(f.enum()) > 0:
		return genEnum
	case f.ref == "Id":
		return genID
	case f.ref == "CurrencyCode":
		return genCurrency
	case f.ref == "ProductId":
		return genRef
	case f.schema["format"] == "email":
		return genEmail
	case f.schema["format"] == "uri":
		return genURL
	}
	switch f.leaf() {
	case "phone":
		return genPhone
	case "language":
		return genLanguage
	case "tenantId":
		return genDomain
	case "token", "version", "packageId", "id", "sha256":
		return genSlug
	}
	return genText
}

// fieldBase overrides the authorization fixture's request where a field
// needs another base to be accepted at its maximum: an incident of another
// category than on-premises takes any product and version in words.
var fieldBase = map[string]string{
	"POST /v1/support/incidents": `{"category":"cloud","product":"Cloud services","productVersion":"2026"}`,
}

// overLong are fields whose over-long value has another documented answer
// than the route's validation problem: a confirmation token of any shape
// that is not a live link is 410 token_invalid, never 400.
var overLong = map[string]struct {
	status int
	code   string
}{
	"POST /v1/gtm/confirm token": {http.StatusGone, "token_invalid"},
}

// validationOf is the route's problem for an invalid field: the catalogue
// is a document the operator publishes, refused as a whole.
func validationOf(rt routes.Route) (int, string) {
	if rt.Key() == "POST /v1/admin/catalog" {
		return http.StatusUnprocessableEntity, "catalog_invalid"
	}
	return http.StatusBadRequest, "validation_failed"
}

// setField puts v at path in body (decoded JSON), creating what is missing,
// and returns the field's name as the API reports it (products.office.name,
// assignments[0].userId). A map step takes the first key, sorted, under
// which the rest of the path exists, else the first key.
func setField(body any, path []fieldSeg, v string) (any, string) {
	if len(path) == 0 {
		return v, ""
	}
	s, rest := path[0], path[1:]
	join := func(prefix, sub string) string {
		if sub == "" || strings.HasPrefix(sub, "[") {
			return prefix + sub
		}
		return prefix + "." + sub
	}
	switch {
	case s.index:
		arr, _ := body.([]any)
		var first any
		if len(arr) > 0 {
			first = arr[0]
		} else {
			arr = []any{nil}
		}
		val, name := setField(first, rest, v)
		arr[0] = val
		return arr, join("[0]", name)
	case s.key:
		m, _ := body.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		keys := keysOf(m)
		sort.Strings(keys)
		key := "en"
		if len(keys) > 0 {
			key = keys[0]
		}
		for _, k := range keys {
			if has(m[k], rest) {
				key = k
				break
			}
		}
		val, name := setField(m[key], rest, v)
		m[key] = val
		return m, join(key, name)
	default:
		m, _ := body.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		val, name := setField(m[s.name], rest, v)
		m[s.name] = val
		return m, join(s.name, name)
	}
}

// has reports whether path exists in body.
func has(body any, path []fieldSeg) bool {
	if len(path) == 0 {
		return body != nil
	}
	s := path[0]
	switch {
	case s.index:
		arr, _ := body.([]any)
		return len(arr) > 0 && has(arr[0], path[1:])
	case s.key:
		m, _ := body.(map[string]any)
		for _, v := range m {
			if has(v, path[1:]) {
				return true
			}
		}
		return false
	default:
		m, _ := body.(map[string]any)
		v, ok := m[s.name]
		return ok && has(v, path[1:])
	}
}

// TestOpenAPIStringsHaveMaxLength: every string of every JSON request body
// declares maxLength (enums are bounded by their values).
func TestOpenAPIStringsHaveMaxLength(t *testing.T) {
	doc := openAPIDoc(t)
	n := 0
	for _, rt := range routes.All {
		fields, _ := jsonBodyFields(doc, rt)
		for _, f := range fields {
			n++
			if _, ok := f.maxLength(); !ok && len(f.enum()) == 0 {
				t.Errorf("%s: body field %s is a string without maxLength", rt.Key(), f)
			}
		}
	}
	t.Logf("%d string fields in request bodies", n)
}

// TestFieldSizes runs the sweep end to end, then measures the table.
func TestFieldSizes(t *testing.T) {
	doc := openAPIDoc(t)
	f := newAuthzFixture(t)
	h := f.h
	admin := f.a.tokens[string(access.GlobalAdmin)]
	limits := map[routes.ID]int64{}
	for _, eps := range api.AllEndpoints() {
		for key, ep := range eps(h.svc) {
			limits[key] = ep.BodyLimit
			if ep.BodyLimit == 0 {
				limits[key] = httpapi.DefaultBodyLimit
			}
		}
	}
	// The catalogue last: its accepted cases publish new versions.
	rs := slices.Clone(routes.All)
	sort.SliceStable(rs, func(i, j int) bool {
		return rs[i].Key() != "POST /v1/admin/catalog" && rs[j].Key() == "POST /v1/admin/catalog"
	})
	cases, n, fieldsN := 0, 0, 0
	byCase := map[string]int{}
	for _, rt := range rs {
		fields, ok := jsonBodyFields(doc, rt)
		if !ok {
			continue
		}
		if routeRequest[rt.Key()] == nil {
			t.Errorf("%s has no request in routeRequest (authz_test.go)", rt.Key())
			continue
		}
		token := admin
		switch rt.Access {
		case routes.Operator:
			token = f.opTok
		case routes.Public:
			token = ""
		}
		for _, fld := range fields {
			fieldsN++
			maxLen, ok := fld.maxLength()
			if !ok {
				if len(fld.enum()) == 0 {
					continue // TestOpenAPIStringsHaveMaxLength reports it
				}
				for _, e := range fld.enum() {
					maxLen = max(maxLen, utf8.RuneCountInString(fmt.Sprint(e)))
				}
			}
			gen := generatorFor(fld)
			hugeN := hugeBytes
			if gen.name == "text" {
				hugeN = hugeBytes / 2
			}
			type sizeCase struct {
				name   string
				n      int
				accept bool
			}
			var sizes []sizeCase
			if _, valid := gen.make(maxLen); valid {
				sizes = append(sizes, sizeCase{"at maxLength", maxLen, true})
			}
			sizes = append(sizes, sizeCase{"maxLength+1", maxLen + 1, false}, sizeCase{"300 KB", hugeN, false})
			for _, sc := range sizes {
				n++
				c := f.request(rt, f.a, 5000+n, token)
				if b, ok := fieldBase[rt.Key()]; ok {
					c.body = b
				}
				var body any
				dec := json.NewDecoder(strings.NewReader(c.body))
				dec.UseNumber()
				if err := dec.Decode(&body); err != nil {
					t.Fatalf("%s: base body: %v", rt.Key(), err)
				}
				value, _ := gen.make(sc.n)
				body, name := setField(body, fld.path, value)
				raw, err := json.Marshal(body)
				if err != nil {
					t.Fatal(err)
				}
				c.body = string(raw)
				if c.method == "POST" && rt.Access != routes.Public {
					c.headers = map[string]string{"Idempotency-Key": fmt.Sprintf("fieldsize-%d", n)}
				}
				r := h.with(t).do(c)
				cases++
				byCase[sc.name]++
				what := fmt.Sprintf("%s %s (%s, %s, %d characters)", rt.Key(), name, gen.name, sc.name, sc.n)
				if r.Status >= 500 {
					t.Errorf("%s: %d %.300s", what, r.Status, r.Body)
					continue
				}
				if sc.accept {
					if names(r, name) {
						t.Errorf("%s: refused, want accepted: %d %.300s", what, r.Status, r.Body)
					}
					continue
				}
				if int64(len(c.body)) > limits[rt.ID] {
					if !problemIs(r, http.StatusRequestEntityTooLarge, "body_too_large") {
						t.Errorf("%s: body of %d bytes over the limit of %d: %d %.300s, want 413 body_too_large",
							what, len(c.body), limits[rt.ID], r.Status, r.Body)
					}
					continue
				}
				if want, ok := overLong[rt.Key()+" "+fld.String()]; ok {
					if !problemIs(r, want.status, want.code) {
						t.Errorf("%s: %d %.300s, want %d %s", what, r.Status, r.Body, want.status, want.code)
					}
					continue
				}
				status, code := validationOf(rt)
				fe := fieldError(r, name)
				switch {
				case !problemIs(r, status, code) || fe == nil:
					t.Errorf("%s: %d %.300s, want %d %s naming %s", what, r.Status, r.Body, status, code, name)
				case gen.name != "enum" && fe["code"] != "too_long":
					t.Errorf("%s: field error %v, want code too_long", what, fe)
				}
			}
		}
	}
	t.Logf("field sizes: %d cases over %d fields: %v", cases, fieldsN, byCase)

	// A catalogue at the body limit is published and stored; one byte more is 413.
	limit := limits[routes.PublishCatalog]
	bound := catalogOfSize(t, "fieldsize-bound", int(limit))
	if r := h.do(call{method: "POST", path: "/v1/admin/catalog", token: f.opTok, body: bound}); r.Status != http.StatusCreated {
		t.Errorf("catalogue of %d bytes (the limit): %d %.300s", len(bound), r.Status, r.Body)
	}
	over := catalogOfSize(t, "fieldsize-over", int(limit)+1)
	if r := h.do(call{method: "POST", path: "/v1/admin/catalog", token: f.opTok, body: over}); !problemIs(r, http.StatusRequestEntityTooLarge, "body_too_large") {
		t.Errorf("catalogue of %d bytes: %d %.300s, want 413 body_too_large", len(over), r.Status, r.Body)
	}
	// Scan the table.
	largest := scanItemSizes(t, h)
	for _, it := range largest {
		t.Logf("largest %-14s item: %7d bytes (%s)", it.typ, it.size, trunc(it.key, 120))
		switch {
		case it.typ == "catalog":
			if it.size > maxCatalogItem {
				t.Errorf("catalogue item %s is %d bytes, over %d", trunc(it.key, 120), it.size, maxCatalogItem)
			}
		case it.size > maxPartnerItem:
			t.Errorf("%s item %s is %d bytes, over %d", it.typ, trunc(it.key, 120), it.size, maxPartnerItem)
		}
	}
}

// names reports a 4xx problem with a field error about field.
func names(r reply, field string) bool {
	return r.Status >= 400 && r.Status < 500 && fieldError(r, field) != nil
}

func fieldError(r reply, field string) map[string]any {
	var p struct {
		Errors []map[string]any `json:"errors"`
	}
	if json.Unmarshal(r.Body, &p) != nil {
		return nil
	}
	for _, e := range p.Errors {
		if e["field"] == field {
			return e
		}
	}
	return nil
}

// catalogOfSize is the demo catalogue as version, with padding products of
// maximum-length texts, then spaces, to exactly size bytes.
func catalogOfSize(t testing.TB, version string, size int) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(catalog.Demo, &doc); err != nil {
		t.Fatal(err)
	}
	doc["version"] = version
	products := doc["products"].(map[string]any)
	for i := 0; ; i++ {
		raw, _ := json.Marshal(doc)
		if len(raw) > size-12<<10 {
			break
		}
		products[fmt.Sprintf("padding-%04d", i)] = map[string]any{"name": strings.Repeat("N", 256), "kind": "advisory-hours",
			"instructions": map[string]any{"en": strings.Repeat("I", 4000), "ja": strings.Repeat("指", 2000)}}
	}
	raw, _ := json.Marshal(doc)
	if len(raw) > size {
		t.Fatalf("padded catalogue is %d bytes, over %d", len(raw), size)
	}
	return string(raw) + strings.Repeat(" ", size-len(raw))
}

type itemSize struct {
	typ, key string
	size     int
}

// scanItemSizes scans the harness table and returns the largest item of
// each type, computed as DynamoDB sizes items.
func scanItemSizes(t testing.TB, h *harness) []itemSize {
	t.Helper()
	largest := map[string]itemSize{}
	all := scanItems(t, h)
	for _, it := range all {
		if it.size > largest[it.typ].size {
			largest[it.typ] = it
		}
	}
	out := make([]itemSize, 0, len(largest))
	for _, v := range largest {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].size > out[j].size })
	t.Logf("scanned %d items", len(all))
	return out
}

// scanItems is every item of the harness table with its type, key and size.
func scanItems(t testing.TB, h *harness) []itemSize {
	t.Helper()
	db := testenv.DynamoDB(t)
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(h.svc.Store.Table())})
	var out []itemSize
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			typ := "?"
			if s, ok := it["type"].(*types.AttributeValueMemberS); ok {
				typ = s.Value
			}
			pk, _ := it["PK"].(*types.AttributeValueMemberS)
			sk, _ := it["SK"].(*types.AttributeValueMemberS)
			key := ""
			if pk != nil && sk != nil {
				key = pk.Value + " / " + sk.Value
			}
			out = append(out, itemSize{typ, key, testenv.ItemSize(it)})
		}
	}
	return out
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
