// Package apperr is the service's one error vocabulary. Domain code returns
// an *Error with a stable Code and a Kind; the HTTP layer maps the Kind to a
// status through a single table, so no domain package knows about HTTP.
package apperr

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Kind groups codes by what the caller did wrong; it decides the HTTP status.
type Kind int

const (
	Internal        Kind = iota // a bug or an outage: 500, details only in logs
	Invalid                     // malformed or failing validation: 400
	Unauthenticated             // no or bad token: 401
	Forbidden                   // role may not do this: 403
	NotFound                    // missing, or another partner's: 404
	Conflict                    // the current state forbids it: 409
	TooLarge                    // body over the limit: 413
	Unsupported                 // media type not accepted: 415
	Unprocessable               // well-formed but refers to something unusable: 422
	Unavailable                 // a dependency or setting is missing: 503
	Gone                        // was valid once, never again (a used link): 410
	TooManyRequests             // over a rate limit; Extra[RetryAfter] says when to try again: 429
)

// RetryAfter is the Extra member, in whole seconds, that the HTTP layer also
// sends as the Retry-After header.
const RetryAfter = "retryAfter"

// FieldError names one offending input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Code is the stable reason beside the English message (one of the
	// constants below), which a client translates: every field error has
	// one.
	Code string `json:"code"`
}

// Field error codes.
const (
	Required     = "required"      // missing, empty or blank
	TooLong      = "too_long"      // more characters than the field's documented maximum
	TooShort     = "too_short"     // fewer characters than its documented minimum
	Format       = "format"        // not in the field's shape (an email, a date, a tag, an id)
	OutOfRange   = "out_of_range"  // a number, a count or a list length outside its bounds
	UnknownValue = "unknown_value" // not one of the values (or fields) the API knows
	Duplicate    = "duplicate"     // repeats a value that must be unique
)

// Error is a domain error with a stable machine-readable code.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []FieldError
	// Extra members are added to the problem document (e.g. earliestReassignmentAt).
	Extra map[string]any
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %s (%d field errors)", e.Code, e.Message, len(e.Fields))
	}
	return e.Code + ": " + e.Message
}

// Is lets errors.Is match two *Error values by code, so sentinels work even
// when a copy carries extra detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// New builds an error of a kind with a code and a human-readable message.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// With returns a copy carrying extra problem members.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Extra = make(map[string]any, len(e.Extra)+1)
	for k, v := range e.Extra {
		c.Extra[k] = v
	}
	c.Extra[key] = value
	return &c
}

// As extracts an *Error from a wrapped chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Common errors shared by every route.
var (
	ErrNotFound      = New(NotFound, "not_found", "No such resource.")
	ErrForbiddenRole = New(Forbidden, "forbidden_role", "Your role does not allow this action.")
	ErrUnauthorized  = New(Unauthenticated, "unauthorized", "A valid bearer token is required.")
)

// Fields collects validation failures; Err returns nil when there are none.
type Fields []FieldError

// Add records a failure for one field, with its code (Required, Format,
// ...) and an English message.
func (f *Fields) Add(field, code, message string) {
	*f = append(*f, FieldError{Field: field, Code: code, Message: message})
}

// Long records a too_long failure when s has more than maxLen characters
// (Unicode code points, as maxLength counts them in the OpenAPI document)
// and reports whether it did, so the caller skips the field's other checks.
func (f *Fields) Long(field, s string, maxLen int) bool {
	if len(s) <= maxLen || utf8.RuneCountInString(s) <= maxLen {
		return false
	}
	*f = append(*f, FieldError{Field: field, Message: fmt.Sprintf("at most %d characters", maxLen), Code: TooLong})
	return true
}

// CheckLen is a validation_failed error when s has more than maxLen
// characters, else nil.
func CheckLen(field, s string, maxLen int) error {
	var f Fields
	f.Long(field, s, maxLen)
	return f.Err()
}

// Err returns a validation_failed error listing the fields, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Code: "validation_failed", Message: "The request has invalid fields.", Fields: f}
}
