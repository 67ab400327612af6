// Package httpapi adapts API Gateway HTTP API (payload 2.0) events to plain
// handlers: claims, roles, strict JSON, problem+json errors, idempotency and
// request logging live here once, so route handlers hold only their rule.
package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/store"
)

// Response is what a handler returns to API Gateway.
type Response = events.APIGatewayV2HTTPResponse

// statusOf is the one table from error kind to HTTP status.
var statusOf = map[apperr.Kind]int{
	apperr.Internal:        http.StatusInternalServerError,
	apperr.Invalid:         http.StatusBadRequest,
	apperr.Unauthenticated: http.StatusUnauthorized,
	apperr.Forbidden:       http.StatusForbidden,
	apperr.NotFound:        http.StatusNotFound,
	apperr.Conflict:        http.StatusConflict,
	apperr.TooLarge:        http.StatusRequestEntityTooLarge,
	apperr.Unsupported:     http.StatusUnsupportedMediaType,
	apperr.Unprocessable:   http.StatusUnprocessableEntity,
	apperr.Unavailable:     http.StatusServiceUnavailable,
	apperr.Gone:            http.StatusGone,
	apperr.TooManyRequests: http.StatusTooManyRequests,
}

// problem is an RFC 9457 document with the stable code member.
type problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Code     string              `json:"code"`
	Instance string              `json:"instance,omitempty"`
	Errors   []apperr.FieldError `json:"errors,omitempty"`
}

var errInternal = apperr.New(apperr.Internal, "internal", "Something went wrong on our side; it has been logged.")

// ErrUnavailable is DynamoDB saying "not now" (throttled, over capacity, a
// transient failure on AWS's side): not a bug, and safe to retry, since a
// failed request wrote nothing or is replayed by its Idempotency-Key.
var ErrUnavailable = apperr.New(apperr.Unavailable, "service_unavailable",
	"The service is busy or briefly unavailable; retry after the time in Retry-After.").With(apperr.RetryAfter, 2)

// Problem renders an error. Errors that are not *apperr.Error become a
// generic 500: their text goes to the log, never to the client.
func Problem(err error, instance, requestID string) Response {
	e, body := render(err, instance)
	status := statusOf[e.Kind]
	headers := map[string]string{"Content-Type": "application/problem+json", "X-Request-Id": requestID}
	// An error that says when to try again (rate limits, a busy table, a
	// running duplicate) says it in the header too.
	if secs, ok := e.Extra[apperr.RetryAfter].(int); ok {
		headers["Retry-After"] = strconv.Itoa(secs)
	}
	return Response{StatusCode: status, Headers: headers, Body: string(body)}
}

// render is the problem document of an error.
func render(err error, instance string) (*apperr.Error, []byte) {
	e, ok := apperr.As(err)
	switch {
	case ok:
	case store.Unavailable(err):
		e = ErrUnavailable
	default:
		e = errInternal
	}
	status := statusOf[e.Kind]
	p := problem{Type: "urn:pbs:problem:" + e.Code, Title: http.StatusText(status), Status: status,
		Detail: e.Message, Code: e.Code, Instance: instance, Errors: e.Fields}
	body, _ := json.Marshal(p)
	if len(e.Extra) > 0 {
		// Extension members sit beside the standard ones (RFC 9457 §3.2).
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		for k, v := range e.Extra {
			if _, taken := m[k]; !taken {
				m[k] = v
			}
		}
		body, _ = json.Marshal(m)
	}
	return e, body
}

// ProblemOf is the problem document of an error as a value, for reports
// that carry one outcome per item (a bulk request's rows).
func ProblemOf(err error) map[string]any {
	_, body := render(err, "")
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return m
}

// JSON renders a successful response.
func JSON(status int, v any) (Response, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Response{}, err
	}
	return Response{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}, nil
}
