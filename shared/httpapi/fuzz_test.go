package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/apperr"
)

// Hostile-input fuzz targets. Their seeds run as ordinary tests; `make fuzz`
// mutates them for a while. Each target checks that bad input ends as a 4xx
// *apperr.Error, never a panic or an error the problem table maps to 500.

// wantClientError fails unless err is an *apperr.Error of one of the kinds.
func wantClientError(t *testing.T, err error, kinds ...apperr.Kind) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *apperr.Error", err, err)
	}
	for _, k := range kinds {
		if e.Kind == k {
			return
		}
	}
	t.Fatalf("error %v has kind %d, want one of %v", e, e.Kind, kinds)
}

// hostileStrings are edge cases shared by several targets' seeds.
var hostileStrings = []string{
	"",
	" ",
	"\x00",
	"a\x00b",
	"\ufeff",
	"\xef\xbb\xbf{}",
	"\xff\xfe",
	"\xc3\x28",           // invalid UTF-8
	"\xed\xa0\x80",       // an encoded surrogate
	"\U0010ffff",         // the last code point
	"e\u0301",            // combining mark
	"\u202e\u0644\u0627", // right-to-left override
	"𝔘𝔫𝔦𝔠𝔬𝔡𝔢",            // astral plane
	"\u200b\u200d\u2060", // zero-width
	"１２３",                // full-width digits
	"-1",
	"-0",
	"0",
	"9223372036854775807",
	"9223372036854775808",
	"-9223372036854775809",
	"1e309",
	"18446744073709551616",
	strings.Repeat("9", 400),
	strings.Repeat("a", 129),
	strings.Repeat("a", 70000),
	"\r\n\t",
}

type decodeTarget struct {
	Name     string            `json:"name"`
	Count    int               `json:"count"`
	Qty      int32             `json:"qty"`
	Small    uint8             `json:"small"`
	Price    float64           `json:"price"`
	Ptr      *int64            `json:"ptr"`
	Flag     bool              `json:"flag"`
	Tags     []string          `json:"tags"`
	Fixed    [2]int            `json:"fixed"`
	Attrs    map[string]string `json:"attrs"`
	Any      any               `json:"any"`
	Raw      json.RawMessage   `json:"raw"`
	Nested   *decodeTarget     `json:"nested"`
	Children []decodeTarget    `json:"children"`
}

func FuzzDecode(f *testing.F) {
	nested := strings.Repeat(`{"nested":`, 200) + `{}` + strings.Repeat(`}`, 200)
	deep := strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000)
	for _, s := range []string{
		`{"name":"a","count":2}`,
		`{"name":"a","count":2,"qty":-5,"small":255,"price":1.5,"ptr":null,"flag":true,"tags":["x"],"fixed":[1,2],"attrs":{"k":"v"},"any":{"a":[1,{}]},"raw":{"x":1}}`,
		`{"count":-1}`,
		`{"count":9223372036854775808}`,
		`{"qty":2147483648}`,
		`{"small":256}`,
		`{"small":-1}`,
		`{"price":1e309}`,
		`{"count":1.5}`,
		`{"count":"1"}`,
		`{"name":1}`,
		`{"tags":"x"}`,
		`{"fixed":[1,2,3]}`,
		`{"attrs":{"k":1}}`,
		`{"nested":{"nested":{"count":"x"}}}`,
		`{"children":[{"count":true}]}`,
		`{"unknown":1}`,
		`{"Name":"case"}`,
		`{"name":"a"}{"name":"b"}`,
		`{"name":"a"} x`,
		`{"name":"a"`,
		`{"name":"\ud800"}`,
		`{"name":"\u0000"}`,
		"{\"name\":\"a\x00\"}",
		"\xef\xbb\xbf{\"name\":\"bom\"}",
		`{"name":"` + strings.Repeat("é", 5000) + `"}`,
		`{"any":` + deep[:2000] + `}`,
		nested,
		deep,
		`[]`,
		`null`,
		`"str"`,
		`0`,
		``,
		"   \n",
		`{"\u006eame":"escaped key"}`,
		`{"name":"dup","name":"dup2"}`,
	} {
		f.Add(s, "application/json", false)
	}
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"name":"b64"}`)), "application/json; charset=utf-8", true)
	f.Add("not base64!", "application/json", true)
	f.Add(`{"name":"a"}`, "application/problem+json", false)
	f.Add(`{"name":"a"}`, "text/plain", false)
	f.Add(`{"name":"a"}`, "", false)
	f.Add(``, "", false)
	f.Add(`{"name":"a"}`, "application/json; charset=", false)
	f.Add(`{"name":"a"}`, "APPLICATION/JSON", false)
	f.Add(`{"name":"a"}`, "application/json;;", false)
	f.Add(strings.Repeat(" ", DefaultBodyLimit+1), "application/json", false)
	for _, s := range hostileStrings {
		f.Add(s, "application/json", false)
	}
	f.Fuzz(func(t *testing.T, body, contentType string, b64 bool) {
		r := &Request{Event: events.APIGatewayV2HTTPRequest{Body: body, IsBase64Encoded: b64,
			Headers: map[string]string{"content-type": contentType}}}
		var v decodeTarget
		err := r.Decode(&v)
		if err == nil {
			raw, berr := r.Body()
			if berr != nil || !json.Valid(raw) {
				t.Fatalf("Decode accepted a body that is not one JSON value: %q", raw)
			}
			return
		}
		wantClientError(t, err, apperr.Invalid, apperr.TooLarge, apperr.Unsupported)
	})
}

func FuzzValidID(f *testing.F) {
	for _, s := range []string{"a", "ptn_1", "ben-2", strings.Repeat("a", 128), "a.b", "a/b", "a#b", "../x", "a b", "é"} {
		f.Add(s)
	}
	for _, s := range hostileStrings {
		f.Add(s)
	}
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidID(s), re.MatchString(s); got != want {
			t.Fatalf("ValidID(%q) = %v, the regexp %v", s, got, want)
		}
	})
}

func FuzzPaging(f *testing.F) {
	for _, l := range []string{"", "1", "50", "100", "101", "0", "-1", "+5", "05", " 5", "5 ", "1e2", "0x10", "9223372036854775808", "１"} {
		f.Add(l, "", false)
	}
	f.Add("10", "eyJrIjoidiJ9", true)
	f.Add("", "\x00", true)
	for _, s := range hostileStrings {
		f.Add(s, s, true)
	}
	f.Fuzz(func(t *testing.T, limit, cursor string, withCursor bool) {
		q := map[string]string{}
		if limit != "" {
			q["limit"] = limit
		}
		if withCursor {
			q["cursor"] = cursor
		}
		r := &Request{Event: events.APIGatewayV2HTTPRequest{QueryStringParameters: q}}
		n, c, err := r.Paging()
		if err != nil {
			wantClientError(t, err, apperr.Invalid)
			if limit == "" {
				t.Fatalf("no limit, yet error %v", err)
			}
			return
		}
		if n < 1 || n > 100 {
			t.Fatalf("limit %q gave %d", limit, n)
		}
		if limit == "" && n != 50 {
			t.Fatalf("default limit %d", n)
		}
		if want, _ := strconv.Atoi(limit); limit != "" && n != want {
			t.Fatalf("limit %q gave %d", limit, n)
		}
		if want := q["cursor"]; c != want {
			t.Fatalf("cursor %q came back as %q", want, c)
		}
	})
}

func FuzzBody(f *testing.F) {
	enc := base64.StdEncoding.EncodeToString
	for _, s := range []string{"", "{}", "a", "\x00\xff", strings.Repeat("x", 100)} {
		f.Add(s, false, uint16(0))
		f.Add(enc([]byte(s)), true, uint16(0))
		f.Add(enc([]byte(s)), true, uint16(len(s)))
		if len(s) > 0 {
			f.Add(enc([]byte(s)), true, uint16(len(s)-1))
		}
	}
	for _, s := range []string{"=", "====", "YQ", "YQ=", "YQ==", "YR==", "Y Q==", "YQ==\n", "-_-_", "!!!!", "YWJj\x00"} {
		f.Add(s, true, uint16(0))
	}
	f.Fuzz(func(t *testing.T, body string, b64 bool, limit uint16) {
		r := &Request{Event: events.APIGatewayV2HTTPRequest{Body: body, IsBase64Encoded: b64}, bodyLimit: int64(limit)}
		b, err := r.Body()
		if err != nil {
			wantClientError(t, err, apperr.Invalid, apperr.TooLarge)
			if !b64 && !errors.Is(err, ErrBodyTooLarge) {
				t.Fatalf("a plain body failed with %v", err)
			}
			return
		}
		if int64(len(b)) > r.limit() {
			t.Fatalf("body of %d bytes passed the limit %d", len(b), r.limit())
		}
		if !b64 && string(b) != body {
			t.Fatalf("plain body changed")
		}
		if b64 {
			want, derr := base64.StdEncoding.DecodeString(body)
			if derr != nil || string(want) != string(b) {
				t.Fatalf("base64 body %q decoded to %q", body, b)
			}
		}
	})
}

func FuzzMediaType(f *testing.F) {
	for _, s := range []string{
		"application/json", "application/json; charset=utf-8", "Application/JSON ; Charset=UTF-8",
		"application/problem+json", "text/csv", "text/csv; header=present", "application/x-ndjson",
		"", ";", "/", "application/", "/json", "application/json;", "application/json; charset",
		`application/json; charset="utf-8`, "application/json; a=1; a=2", "multipart/form-data; boundary=----x",
		"application/json\x00", "application/json\r\nX-Injected: 1", "text/plain; charset*=utf-8''%E2%82%AC",
		"text/plain; title*0*=us-ascii'en'This%20is; title*1*=%2A%2A%2Afun",
		"\ufeffapplication/json", "ＡＰＰＬＩＣＡＴＩＯＮ/json", strings.Repeat("a", 10000) + "/json",
	} {
		f.Add(s)
	}
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		r := &Request{Event: events.APIGatewayV2HTTPRequest{Headers: map[string]string{"Content-Type": ct}}}
		mt := r.MediaType()
		if mt == "" {
			return
		}
		if mt != strings.ToLower(mt) || strings.ContainsAny(mt, "; \t\r\n") {
			t.Fatalf("media type %q of %q is not a bare lowercase type", mt, ct)
		}
		if want, _, err := mime.ParseMediaType(ct); err != nil || want != mt {
			t.Fatalf("media type %q of %q, mime says %q %v", mt, ct, want, err)
		}
	})
}
