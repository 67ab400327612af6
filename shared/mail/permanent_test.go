package mail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/mail"
)

// TestPermanentFailureIsDeadAtOnce: a send no retry can fix (SES rejected
// the message or its sender identity) makes the message dead on its first
// attempt, and the dead-letter log line carries the MailDeadLetters metric
// the stack alarms on; a transient failure is still retried.
func TestPermanentFailureIsDeadAtOnce(t *testing.T) {
	for _, c := range []struct {
		name     string
		err      error
		want     mail.Summary
		status   string
		deadLine bool
	}{
		{"permanent", mail.Permanent(errors.New("MessageRejected: Email address is not verified")), mail.Summary{Dead: 1}, mail.StatusDead, true},
		{"permanent, wrapped again", fmt.Errorf("ses: send m1: %w", mail.Permanent(errors.New("rejected"))), mail.Summary{Dead: 1}, mail.StatusDead, true},
		{"transient", errors.New("ses: throttled"), mail.Summary{Failed: 1}, mail.StatusPending, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ob := newFakeOutbox(receipt("m1", t0))
			tr := &fakeTransport{fail: func(mail.Message) error { return c.err }}
			var logs bytes.Buffer
			s := &mail.Sender{Outbox: ob, Transport: tr, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			sum, err := s.Drain(context.Background(), t0)
			if err != nil || sum != c.want {
				t.Fatalf("drain = %+v, %v; want %+v", sum, err, c.want)
			}
			if q := ob.get("m1"); q.Status != c.status || q.Attempts != 1 {
				t.Errorf("state %+v, want %s after 1 attempt", q, c.status)
			}
			var dead map[string]any
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				if rec["msg"] == "mail dead letter" {
					dead = rec
				}
			}
			if (dead != nil) != c.deadLine {
				t.Fatalf("dead-letter line = %v, want one: %v", dead, c.deadLine)
			}
			if dead == nil {
				return
			}
			emf, _ := json.Marshal(dead["_aws"])
			if dead["MailDeadLetters"] != 1.0 || dead["permanent"] != true ||
				!strings.Contains(string(emf), `"Namespace":"PartnerBenefits"`) || !strings.Contains(string(emf), `"Name":"MailDeadLetters"`) {
				t.Errorf("dead-letter line %v lacks the metric", dead)
			}
		})
	}
}
