package api

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/apperr"
)

// Hostile-input fuzz targets of the CSV and NDJSON bodies; the seeds run as
// ordinary tests and `make fuzz` mutates them.

// wantInvalid fails unless err is a 400 *apperr.Error with at most limit fields.
func wantInvalid(t *testing.T, err error, limit int) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Invalid {
		t.Fatalf("error %v (%T) is not a 400 *apperr.Error", err, err)
	}
	if len(e.Fields) == 0 || len(e.Fields) > limit {
		t.Fatalf("error %v lists %d fields", e, len(e.Fields))
	}
}

var bodySeeds = []string{
	"", "\n", "\r\n", "\x00", "\ufeff", "\xef\xbb\xbf", "\xff\xfe", "\"", "\"\"", "\"a\"b", "a,\"b\nc\"",
	",,,", "key", "KEY\nabc", "\xef\xbb\xbfkey\nabc", " key \n  abc  ", "key\n\n\nabc", "key\r\nabc\r\n",
	"ABCDE-12345-FGHIJ\nXYZ+/=._:-1", "-leading\n", "a b\n", "a\x00b\n", "é\n", "１２３\n",
	strings.Repeat("A", 256) + "\n" + strings.Repeat("A", 257) + "\n",
	// Many bad lines: the errors listed stay capped (an NDJSON import once listed
	// one per line, a problem document over the Lambda response limit).
	strings.Repeat("bad key\n", 50), strings.Repeat("k\n", 2000), strings.Repeat("x", 70000),
	"\"unterminated\nabc", "a,b,c\nd", "9223372036854775808\n-1\n",
}

func FuzzParseCSVKeys(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := parseCSVKeys(body)
		checkKeys(t, body, keys, err)
	})
}

func FuzzParseJSONLKeys(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		`{"key":"ABC-123"}` + "\n" + `{"key":"DEF-456"}`, `{"key":"a"}{"key":"b"}`, `{"key":1}`, `{"key":null}`, `{}`,
		`{"key":"\u0000"}`, `{"key":"\ud800"}`, `{"key":" padded "}`, `{"key":"a","key":"b"}`, `[{"key":"a"}]`,
		`{"key":"` + strings.Repeat("A", 70000) + `"}`, strings.Repeat(`{"k":`, 5000) + strings.Repeat(`}`, 5000),
		"\xef\xbb\xbf{\"key\":\"bom\"}", `{"KEY":"case"}`, "{\"key\":\"a\"}\r\n\r\n{\"key\":\"b\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := parseJSONLKeys(body)
		checkKeys(t, body, keys, err)
	})
}

// checkKeys: an error is a 400 naming at most maxLineErrors+1 lines (the
// last may be the CSV or line-length error); keys, one at most per line,
// all have the key shape.
func checkKeys(t *testing.T, body []byte, keys []string, err error) {
	t.Helper()
	if err != nil {
		wantInvalid(t, err, maxLineErrors+1)
		return
	}
	if lines := bytes.Count(body, []byte("\n")) + bytes.Count(body, []byte("\r")) + 1; len(keys) > lines {
		t.Fatalf("%d keys from %d lines", len(keys), lines)
	}
	for _, k := range keys {
		if !keyRE().MatchString(k) {
			t.Fatalf("key %q has not the key shape", k)
		}
	}
}

func FuzzCSVRows(f *testing.F) {
	for _, s := range []string{
		"userId\nusr_1\nusr_2", "userId,replacesUserId\nusr_2,usr_1", "\xef\xbb\xbfuserId\nusr_1", "USERID \n usr_1 ",
		"replacesUserId,userId\n,usr_1\nusr_9", "userId\n\n\n", "userId\n,,,\n", "name\nx", "", "\n", "\x00", "\"",
		"userId\n\"unterminated", "userId\nusr_1,extra,fields", "userId,userId\na,b", "userId\n" + strings.Repeat("usr_x\n", 1500),
		"userId\n" + strings.Repeat("u\n", 1000), "userId\n" + strings.Repeat("u\n", 1001), "userId\n\x00\n\ufeff\né",
		"userId\n" + strings.Repeat("a", 70000), "\ufeff\ufeffuserId\nx", "userId\r\nusr_1\r\n", "userId;x\nusr_1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, err := csvRows(body)
		if err != nil {
			wantInvalid(t, err, 1)
			return
		}
		if len(rows) > maxBulkRows+1 {
			t.Fatalf("%d rows, more than the %d+1 the caller needs to refuse", len(rows), maxBulkRows)
		}
		for _, r := range rows {
			if r.UserID != strings.TrimSpace(r.UserID) || r.ReplacesUserID != strings.TrimSpace(r.ReplacesUserID) {
				t.Fatalf("row %+v not trimmed", r)
			}
		}
	})
}
