package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/pbs/benefits/shared/boot"
	"github.com/pbs/benefits/shared/clock"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/mail/sesmail"
	"github.com/pbs/benefits/shared/store"
)

// newMailSender drains the outbox into the SES v2 endpoint the SDK is
// pointed at (AWS_ENDPOINT_URL_SESV2: the emulator under make dev), the way
// the send-mail function does in AWS.
func newMailSender(cfg aws.Config, db store.API, tableName string, log *slog.Logger) *mail.Sender {
	from := os.Getenv("SES_FROM_ADDRESS")
	if from == "" {
		from = mail.DefaultFrom
	}
	return boot.NewSender(boot.MailSettings{TableName: tableName, From: from}, db, sesmail.FromConfig(cfg, from), log)
}

// sendMailJob is /_local/jobs/send-mail: one drain at the service clock,
// what the every-minute schedule does in AWS.
func sendMailJob(s *mail.Sender) job {
	return func(ctx context.Context, now time.Time, _ url.Values) (any, error) { return s.Drain(ctx, now) }
}

// drainAfter stands in for the schedule: after every request that may have
// changed state it drains the outbox before answering, so a client that got
// its response finds the mail at the emulator already (tests and demos need
// no polling). A drain error is logged; the request's own answer stands, and
// the mail stays queued for the next drain.
func drainAfter(next http.Handler, s *mail.Sender, clk clock.Clock, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedResponse{header: w.Header()}
		next.ServeHTTP(buf, r)
		// The client may hang up; the mail is still owed.
		ctx := context.WithoutCancel(r.Context())
		if sum, err := s.Drain(ctx, clk.Now()); err != nil {
			log.Error("drain outbox", "error", err.Error())
		} else if sum != (mail.Summary{}) {
			log.Info("drained outbox", "sent", sum.Sent, "failed", sum.Failed, "dead", sum.Dead)
		}
		buf.flush(w)
	})
}

// bufferedResponse holds a response until the drain is done; net/http would
// otherwise send a large body before the handler returns.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedResponse) flush(w http.ResponseWriter) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
