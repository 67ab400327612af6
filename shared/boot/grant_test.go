package boot

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/credit"
)

type invokeFunc func(functionName string, payload []byte) error

func (f invokeFunc) InvokeAsync(_ context.Context, functionName string, payload []byte) error {
	return f(functionName, payload)
}

// TestGrantJobContinuesItself: the continuation is an invocation of the same
// function with a Scheduler-shaped event whose detail carries the request.
func TestGrantJobContinuesItself(t *testing.T) {
	var fn string
	var ev events.EventBridgeEvent
	job := NewGrantJob("t", nil, invokeFunc(func(name string, payload []byte) error {
		fn = name
		return json.Unmarshal(payload, &ev)
	}), "grant-fn", nil)
	if job.Continue == nil {
		t.Fatal("a job with an invoker and a function name must be able to continue")
	}
	want := credit.Request{Period: "2026-11", Continuation: 2}
	if err := job.Continue(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	var got credit.Request
	if fn != "grant-fn" || ev.DetailType != "Continuation" || json.Unmarshal(ev.Detail, &got) != nil || got != want {
		t.Errorf("invoked %s with %+v", fn, ev)
	}
	if NewGrantJob("t", nil, nil, "", nil).Continue != nil {
		t.Error("without an invoker the job must not continue")
	}
}

func TestMailFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if _, err := MailFromEnv(env(map[string]string{"TABLE_NAME": "t"})); err == nil {
		t.Error("a missing SES_FROM_ADDRESS must fail")
	}
	s, err := MailFromEnv(env(map[string]string{"TABLE_NAME": "t", "SES_FROM_ADDRESS": "a@example.com"}))
	if err != nil || s != (MailSettings{TableName: "t", From: "a@example.com"}) {
		t.Errorf("settings: %+v %v", s, err)
	}
}
