package awslambda

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestInvokeAsyncQueuesAnEvent checks the request the Lambda API receives.
func TestInvokeAsyncQueuesAnEvent(t *testing.T) {
	var method, path, invocationType, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		method, path, invocationType, body = r.Method, r.URL.Path, r.Header.Get("X-Amz-Invocation-Type"), string(b)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	c := New(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	if err := c.InvokeAsync(context.Background(), "grant-fn", []byte(`{"detail":{}}`)); err != nil {
		t.Fatal(err)
	}
	if method != http.MethodPost || path != "/2015-03-31/functions/grant-fn/invocations" || invocationType != "Event" || body != `{"detail":{}}` {
		t.Errorf("request: %s %s, invocation type %q, body %q", method, path, invocationType, body)
	}
}
