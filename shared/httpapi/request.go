package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
)

// Request is one API call as a handler sees it.
type Request struct {
	Event     events.APIGatewayV2HTTPRequest
	Caller    access.Caller
	RequestID string
	bodyLimit int64
}

// Errors about the shape of a request.
var (
	ErrMalformedJSON   = apperr.New(apperr.Invalid, "malformed_json", "The body is not valid JSON.")
	ErrBodyTooLarge    = apperr.New(apperr.TooLarge, "body_too_large", "The body is larger than this route accepts.")
	ErrUnsupportedType = apperr.New(apperr.Unsupported, "unsupported_media_type", "Send the body as application/json.")
)

// Path returns a path parameter. One that names an id (id, or a name ending
// in Id) was checked by the router: see ID.
func (r *Request) Path(name string) string { return r.Event.PathParameters[name] }

// MaxIDLen is the longest id this service issues or accepts: a longer one in
// a body is 400 too_long (the OpenAPI Id schema's maxLength).
const MaxIDLen = 128

// ValidID reports whether s could be an id this service issued: 1 to 128
// letters, digits, '_' or '-' (^[A-Za-z0-9_-]{1,128}$, checked byte by byte:
// compiling that regexp cost every cold start about 0.2 ms and 120 KB).
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Query returns a query-string parameter (API Gateway joins repeats with commas).
func (r *Request) Query(name string) string { return r.Event.QueryStringParameters[name] }

// Header returns a header; API Gateway lowercases header names in 2.0 events.
func (r *Request) Header(name string) string {
	if v, ok := r.Event.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range r.Event.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// MediaType returns the body's media type, lowercased, without parameters.
func (r *Request) MediaType() string {
	mt, _, err := mime.ParseMediaType(r.Header("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// Body returns the raw body, decoded from base64 when API Gateway encoded it.
func (r *Request) Body() ([]byte, error) {
	if int64(len(r.Event.Body)) > r.limit()*4/3+4 {
		return nil, ErrBodyTooLarge
	}
	var b []byte
	if r.Event.IsBase64Encoded {
		var err error
		if b, err = base64.StdEncoding.DecodeString(r.Event.Body); err != nil {
			return nil, apperr.New(apperr.Invalid, "malformed_body", "The base64 body could not be decoded.")
		}
	} else {
		b = []byte(r.Event.Body)
	}
	if int64(len(b)) > r.limit() {
		return nil, ErrBodyTooLarge
	}
	return b, nil
}

func (r *Request) limit() int64 {
	if r.bodyLimit > 0 {
		return r.bodyLimit
	}
	return DefaultBodyLimit
}

// DefaultBodyLimit bounds JSON bodies; no request of this API needs more.
const DefaultBodyLimit = 1 << 20

// Decode reads a JSON body strictly into v: the media type must be JSON,
// unknown fields and trailing data are rejected, and type mismatches name
// the field.
func (r *Request) Decode(v any) error {
	body, err := r.Body()
	if err != nil {
		return err
	}
	if mt := r.MediaType(); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		if mt != "" || len(body) > 0 {
			return ErrUnsupportedType
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.New(apperr.Invalid, "malformed_json", "A JSON body is required.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.New(apperr.Invalid, "malformed_json", "Unexpected data after the JSON value.")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var f apperr.Fields
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		f.Add(typeErr.Field, apperr.Format, "must be "+jsonType(typeErr.Type.Kind().String()))
		return f.Err()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		f.Add(name, apperr.UnknownValue, "unknown field")
		return f.Err()
	}
	e := *ErrMalformedJSON
	e.Message = fmt.Sprintf("The body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
	return &e
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	default:
		return "a number"
	}
}

// Paging reads limit (1–100, default 50) and the opaque cursor.
func (r *Request) Paging() (limit int, cursor string, err error) {
	limit = 50
	if s := r.Query("limit"); s != "" {
		n, convErr := strconv.Atoi(s)
		if convErr != nil || n < 1 || n > 100 {
			var f apperr.Fields
			f.Add("limit", apperr.OutOfRange, "must be a whole number from 1 to 100")
			return 0, "", f.Err()
		}
		limit = n
	}
	return limit, r.Query("cursor"), nil
}
