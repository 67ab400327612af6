package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// An outbox message moves through these states (Queued.Status):
//
//	pending ──claim──▶ sending ──sent──▶ sent
//	   ▲                  │ │└──failed, attempt < MaxAttempts──▶ pending (due at RetryAt)
//	   │                  │ └───failed, attempt = MaxAttempts──▶ dead
//	   │                  └──audience resolved, parts written──▶ split
//	   └── lease lapsed (the sender crashed): claimable again as if pending
//
// A message addressed to an audience (AdminsOf) is not sent itself: the
// claim's holder resolves the audience and writes its Parts as new pending
// messages, which go the same way. Only pending and sending messages are in
// the due index; sent, split and dead messages stay in the table as a
// record but leave it.
const (
	StatusPending = "pending"
	StatusSending = "sending"
	StatusSent    = "sent"
	StatusSplit   = "split"
	StatusDead    = "dead"
)

// MaxAttempts is how many failed sends make a message dead.
const MaxAttempts = 8

// Backoff is the wait after the n-th failed attempt (n ≥ 1): one minute,
// doubling, at most an hour; eight attempts span about two hours, long
// enough to ride out an SES outage or deploy a template fix.
func Backoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// ErrPermanent marks a send that no retry can fix (SES rejected the
// message or its sender identity, a malformed address): the message is dead
// at once, with the alarmed dead-letter log, instead of eight attempts over
// two hours that end the same way. Transports wrap it with Permanent.
var ErrPermanent = errors.New("mail: permanent failure")

// Permanent marks err as a failure no retry can fix.
func Permanent(err error) error { return permanentError{err} }

type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() []error { return []error{e.err, ErrPermanent} }

// Errors of the Outbox.
var (
	// ErrNotClaimable: the message is not due, another sender holds its
	// lease, or it is already sent, dead or gone.
	ErrNotClaimable = errors.New("mail: message not claimable")
	// ErrLeaseLost: the lease lapsed and another sender claimed the message.
	ErrLeaseLost = errors.New("mail: lease lost")
)

// Queued is an outbox message with its delivery state.
type Queued struct {
	Message
	Status   string
	Attempts int       // failed sends so far
	DueAt    time.Time // when it may be claimed: created, retry time or lease end
}

// Claim is one sender's exclusive right to send a message until Until. The
// store fences a sender whose lease lapsed by this value: its marks fail
// with ErrLeaseLost.
type Claim struct {
	Queued
	Until time.Time
}

// Failure is what one failed attempt leads to.
type Failure struct {
	At       time.Time
	Error    string
	Attempts int       // including this attempt
	RetryAt  time.Time // zero when Dead
	Dead     bool
}

// maxErrorText bounds the error stored on the item.
const maxErrorText = 500

// Fail applies the retry rule to a failed attempt at now.
func (c Claim) Fail(now time.Time, err error) Failure {
	text := err.Error()
	if len(text) > maxErrorText {
		text = text[:maxErrorText]
	}
	f := Failure{At: now, Error: text, Attempts: c.Attempts + 1}
	if f.Attempts >= MaxAttempts || errors.Is(err, ErrPermanent) {
		f.Dead = true
	} else {
		f.RetryAt = now.Add(Backoff(f.Attempts))
	}
	return f
}

// Outbox is the sender's view of the stored messages; shared/store
// implements it with conditional writes, so every transition holds under
// concurrent senders.
type Outbox interface {
	// PendingMail returns up to limit messages due at now, earliest first.
	PendingMail(ctx context.Context, now time.Time, limit int) ([]Queued, error)
	// ClaimMail leases a due message (pending, or sending with a lapsed
	// lease) to the caller. Errors: ErrNotClaimable.
	ClaimMail(ctx context.Context, id string, now time.Time, lease time.Duration) (Claim, error)
	// MarkMailSent records delivery; the message leaves the due index.
	// Errors: ErrLeaseLost.
	MarkMailSent(ctx context.Context, c Claim, now time.Time) error
	// MarkMailFailed records a failed attempt: back to pending until
	// f.RetryAt, or dead. Errors: ErrLeaseLost.
	MarkMailFailed(ctx context.Context, c Claim, f Failure) error
	// SplitMail puts each part (pending, unless a part of that id exists
	// already) and then marks the claimed message split, out of the due
	// index. Errors: ErrLeaseLost.
	SplitMail(ctx context.Context, c Claim, parts []Message, now time.Time) error
}

// Directory resolves audiences; shared/store implements it.
type Directory interface {
	// GlobalAdminEmails returns the addresses of a partner's global
	// admins, or its account email when it has none.
	GlobalAdminEmails(ctx context.Context, partnerID string) ([]string, error)
}

// Transport delivers rendered mail; *SES is the real one.
type Transport interface {
	Send(ctx context.Context, m Message, r Rendered) error
}

// Summary counts what one Drain did.
type Summary struct {
	Sent   int `json:"sent"`
	Split  int `json:"split"`  // messages to an audience, split into parts
	Failed int `json:"failed"` // will be retried
	Dead   int `json:"dead"`   // gave up after MaxAttempts
}

// Sender drains the outbox: claim → render → send → mark, one message at a
// time. A claim makes the message its own, so two senders never send the
// same message; a send that fails is retried later. Only a sender that
// crashes (or times out) between the transport accepting a message and
// MarkMailSent can cause a repeat, once its lease lapses.
type Sender struct {
	Outbox    Outbox
	Transport Transport
	Directory Directory    // resolves AdminsOf; nil fails such messages
	Log       *slog.Logger // nil discards

	// Zero values take the defaults below.
	Lease       time.Duration // how long a claim lasts; well above SendTimeout
	SendTimeout time.Duration // bound on one transport call
	BatchSize   int           // messages per PendingMail call
}

const (
	defaultLease       = 2 * time.Minute
	defaultSendTimeout = 20 * time.Second
	defaultBatchSize   = 25
	// stopBefore is the time left before ctx's deadline (a Lambda timeout)
	// at which Drain stops claiming; the next run takes the rest.
	stopBefore = 2 * time.Second
)

// Drain sends every message due at now once. Failed sends are recorded for
// a later retry and do not stop the drain; a storage error does.
func (s *Sender) Drain(ctx context.Context, now time.Time) (Summary, error) {
	var sum Summary
	start := time.Now()
	batch := s.BatchSize
	if batch <= 0 {
		batch = defaultBatchSize
	}
	// Each message is tried at most once per drain: the due index is read
	// eventually consistently and may briefly still list one just handled.
	seen := map[string]bool{}
	for {
		page, err := s.Outbox.PendingMail(ctx, now, batch)
		if err != nil {
			return sum, err
		}
		fresh, splits := 0, sum.Split
		for _, q := range page {
			if seen[q.ID] {
				continue
			}
			seen[q.ID] = true
			fresh++
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < stopBefore {
				return sum, nil
			}
			// A lease counts from when the claim is made, not from now: a
			// long drain must not claim with a lease that has already run.
			lease := s.lease() + time.Since(start).Truncate(time.Second)
			if err := s.deliver(ctx, q.ID, now, lease, &sum); err != nil {
				return sum, err
			}
		}
		// A split wrote parts that are due now: read again for them.
		if fresh == 0 || (len(page) < batch && sum.Split == splits) {
			return sum, nil
		}
	}
}

// deliver runs one message through claim → send → mark.
func (s *Sender) deliver(ctx context.Context, id string, now time.Time, lease time.Duration, sum *Summary) error {
	log := s.log().With("messageId", id)
	c, err := s.Outbox.ClaimMail(ctx, id, now, lease)
	if errors.Is(err, ErrNotClaimable) {
		return nil // another sender has it, or it is done
	}
	if err != nil {
		return err
	}
	log = log.With("template", c.Template, "attempt", c.Attempts+1)
	var sendErr error
	if c.AdminsOf != "" {
		var parts int
		parts, sendErr = s.split(ctx, c, now)
		if errors.Is(sendErr, ErrLeaseLost) {
			log.Warn("mail split after its lease lapsed; another sender has it")
			return nil
		}
		if sendErr == nil {
			log.Info("mail split", "parts", parts)
			sum.Split++
			return nil
		}
	} else {
		sendErr = s.send(ctx, c.Message)
	}
	if sendErr != nil && ctx.Err() != nil {
		// Out of time, not a failed attempt: the lease lapses and the
		// message is claimed again later.
		return ctx.Err()
	}
	if sendErr != nil {
		f := c.Fail(now, sendErr)
		if err := s.Outbox.MarkMailFailed(ctx, c, f); errors.Is(err, ErrLeaseLost) {
			log.Warn("mail failed after its lease lapsed; another sender has it", "error", sendErr.Error())
			return nil
		} else if err != nil {
			return err
		}
		if f.Dead {
			// A dead letter needs a person: the MailDeadLetters metric
			// (embedded metric format) is what the alarm counts.
			log.Error("mail dead letter", "error", sendErr.Error(), "attempts", f.Attempts,
				"permanent", errors.Is(sendErr, ErrPermanent), "_aws", deadLetterMetric(now), "MailDeadLetters", 1)
			sum.Dead++
		} else {
			log.Warn("mail send failed; will retry", "error", sendErr.Error(), "retryAt", f.RetryAt)
			sum.Failed++
		}
		return nil
	}
	if err := s.Outbox.MarkMailSent(ctx, c, now); errors.Is(err, ErrLeaseLost) {
		log.Warn("mail sent after its lease lapsed; another sender may send it again")
	} else if err != nil {
		return err
	}
	sum.Sent++
	return nil
}

// split resolves a claimed message's audience and writes its parts; an
// error other than ErrLeaseLost is a failed attempt, retried like a send.
func (s *Sender) split(ctx context.Context, c Claim, now time.Time) (int, error) {
	if s.Directory == nil {
		return 0, errors.New("mail: no directory to resolve the audience")
	}
	addrs, err := s.Directory.GlobalAdminEmails(ctx, c.AdminsOf)
	if err != nil {
		return 0, err
	}
	parts := Parts(c.Message, addrs)
	if len(parts) == 0 {
		return 0, ErrNoAudience
	}
	return len(parts), s.Outbox.SplitMail(ctx, c, parts, now)
}

func (s *Sender) send(ctx context.Context, m Message) error {
	r, err := Render(m)
	if err != nil {
		return err
	}
	timeout := s.SendTimeout
	if timeout <= 0 {
		timeout = defaultSendTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return s.Transport.Send(ctx, m, r)
}

func (s *Sender) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return defaultLease
}

func (s *Sender) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// deadLetterMetric is the embedded-metric-format header of the dead-letter
// log line: CloudWatch turns the line into one MailDeadLetters data point
// (namespace PartnerBenefits, no dimension), which the stack alarms on.
func deadLetterMetric(now time.Time) map[string]any {
	return map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  MetricNamespace,
			"Dimensions": [][]string{{}},
			"Metrics":    []map[string]string{{"Name": "MailDeadLetters", "Unit": "Count"}},
		}},
	}
}

// MetricNamespace is the CloudWatch namespace of the service's own metrics.
const MetricNamespace = "PartnerBenefits"
