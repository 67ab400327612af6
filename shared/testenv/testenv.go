// Package testenv gives integration tests clients for the local AWS stack
// that `make test` starts (infra/withstack). Import it from _test.go files
// only.
//
// Without the stack (plain `go test`), the helpers skip the test; with
// BENEFITS_LOCAL_STACK=required (set by withstack) they fail it instead, so a
// broken stack cannot pass as skipped tests.
//
// Tests of package store that use this package must be external tests
// (package store_test): testenv imports store.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/pbs/benefits/shared/store"
)

// Environment variables read here. The endpoint variables are the SDK's own:
// config.LoadDefaultConfig applies them, so clients need no endpoint code.
const (
	EnvDynamoDB   = "AWS_ENDPOINT_URL_DYNAMODB"
	EnvSES        = "AWS_ENDPOINT_URL_SESV2"
	EnvLocalStack = "BENEFITS_LOCAL_STACK" // "required": missing stack fails instead of skipping
)

// Defaults when the variables are unset, matching shared/devstack. DynamoDB
// Local keeps one database per access key and region.
const (
	defaultRegion = "us-east-1"
	defaultKey    = "local"
)

// need returns the value of the endpoint variable, or skips (fails when the
// stack is required) the test if it is unset.
func need(tb testing.TB, env, what string) string {
	tb.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if os.Getenv(EnvLocalStack) == "required" {
		tb.Fatalf("%s is unset but %s=required: the local stack did not start", env, EnvLocalStack)
	}
	tb.Skipf("integration test: needs %s; run `make test`", what)
	return ""
}

var (
	cfgOnce sync.Once
	cfg     aws.Config
	cfgErr  error
)

// awsConfig loads the SDK configuration once per process.
func awsConfig(tb testing.TB) aws.Config {
	tb.Helper()
	cfgOnce.Do(func() {
		var opts []func(*config.LoadOptions) error
		if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
			opts = append(opts, config.WithRegion(defaultRegion))
		}
		// Never fall back to real credentials from ~/.aws: tests talk to the
		// emulators only.
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
			opts = append(opts, config.WithCredentialsProvider(
				credentials.NewStaticCredentialsProvider(defaultKey, defaultKey, "")))
		}
		cfg, cfgErr = config.LoadDefaultConfig(context.Background(), opts...)
	})
	if cfgErr != nil {
		tb.Fatalf("testenv: load AWS config: %v", cfgErr)
	}
	return cfg
}

var (
	ddbOnce sync.Once
	ddb     *dynamodb.Client
	sesOnce sync.Once
	ses     *sesv2.Client
)

// DynamoDB returns a client for DynamoDB Local, shared by the whole test
// process. It skips the test when the stack is not running (see package doc).
func DynamoDB(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	need(tb, EnvDynamoDB, "DynamoDB Local")
	c := awsConfig(tb)
	ddbOnce.Do(func() {
		ddb = dynamodb.NewFromConfig(c, func(o *dynamodb.Options) {
			// DynamoDB Local sends no X-Amz-Crc32 header on error responses,
			// and the SDK then logs a spurious "failed to close HTTP response
			// body" warning for every expected failure (aws-sdk-go-v2#3545).
			o.DisableValidateResponseChecksum = true
		})
	})
	return ddb
}

// SES returns an SES v2 client for aws-ses-v2-local, shared by the whole
// test process. Same skip rule as DynamoDB.
func SES(tb testing.TB) *sesv2.Client {
	tb.Helper()
	need(tb, EnvSES, "the local SES v2 endpoint")
	c := awsConfig(tb)
	sesOnce.Do(func() { ses = sesv2.NewFromConfig(c) })
	return ses
}

// NewTable creates a fresh table with the service's schema (store.CreateTable)
// under a unique name and deletes it when the test ends. Every test gets its
// own table, so tests may run in parallel against one DynamoDB Local.
func NewTable(tb testing.TB, client *dynamodb.Client) string {
	tb.Helper()
	name := tableName(tb.Name())
	if err := store.CreateTable(tb.Context(), client, name); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	tb.Cleanup(func() {
		// tb.Context() is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.DeleteTable(ctx, client, name); err != nil {
			tb.Errorf("testenv: %v", err)
		}
	})
	return name
}

// tableName builds "t-<test name>-<random>" within DynamoDB's rules: 3 to
// 255 characters of [A-Za-z0-9_.-].
func tableName(testName string) string {
	var b strings.Builder
	for _, r := range testName {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := b.String()
	if len(s) > 200 {
		s = s[:200]
	}
	return "t-" + s + "-" + randomHex(6)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// SESEndpoint returns aws-ses-v2-local's base URL; same skip rule as
// DynamoDB.
func SESEndpoint(tb testing.TB) string {
	tb.Helper()
	return strings.TrimRight(need(tb, EnvSES, "the local SES v2 endpoint"), "/")
}

// Mail is one message accepted by aws-ses-v2-local.
type Mail struct {
	MessageID string // as returned by SendEmail
	From      string
	To        []string
	CC, BCC   []string
	Subject   string
	Text      string
	HTML      string
	At        time.Time // when it was sent, to the second
}

// storeJSON is aws-ses-v2-local's GET /store answer (only the fields we use).
type storeJSON struct {
	Emails []struct {
		MessageID   string `json:"messageId"`
		From        string `json:"from"`
		Destination struct {
			To  []string `json:"to"`
			CC  []string `json:"cc"`
			BCC []string `json:"bcc"`
		} `json:"destination"`
		Subject string `json:"subject"`
		Body    struct {
			Text string `json:"text"`
			HTML string `json:"html"`
		} `json:"body"`
		At int64 `json:"at"` // epoch seconds
	} `json:"emails"`
}

// SentMail returns every message the local SES endpoint has accepted since
// it started, oldest first. The store is shared by all test packages that
// run at the same time, so look for your own message (a unique recipient or
// the MessageId) instead of counting.
func SentMail(tb testing.TB) []Mail {
	tb.Helper()
	url := SESEndpoint(tb) + "/store"
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodGet, url, nil)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("testenv: GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("testenv: GET %s: %v", url, err)
	}
	mails, err := parseStore(resp.StatusCode, body)
	if err != nil {
		tb.Fatalf("testenv: GET %s: %v", url, err)
	}
	return mails
}

func parseStore(status int, body []byte) ([]Mail, error) {
	if status != http.StatusOK {
		return nil, fmt.Errorf("status %d: %.200s", status, body)
	}
	var st storeJSON
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("decode store: %w", err)
	}
	mails := make([]Mail, 0, len(st.Emails))
	for _, e := range st.Emails {
		mails = append(mails, Mail{
			MessageID: e.MessageID,
			From:      e.From,
			To:        e.Destination.To,
			CC:        e.Destination.CC,
			BCC:       e.Destination.BCC,
			Subject:   e.Subject,
			Text:      e.Body.Text,
			HTML:      e.Body.HTML,
			At:        time.Unix(e.At, 0),
		})
	}
	return mails, nil
}
