// Package mail is the service's email: messages owed by state changes are
// written to an outbox in the same transaction as the change, then rendered
// from the project's templates and sent through SES v2 by a sender that
// retries until each message is sent exactly once.
package mail

import "time"

// Message is one email owed to someone. It stores the template name and the
// data, not rendered text, so a template fix applies to unsent mail too.
type Message struct {
	ID        string
	To        []string
	Template  string // a name in templates/, e.g. "purchase-receipt"
	Language  string // BCP 47 tag; falls back to English
	Data      map[string]string
	CreatedAt time.Time
}
