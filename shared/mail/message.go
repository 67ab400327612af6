// Package mail is the service's email: messages owed by state changes are
// written to an outbox in the same transaction as the change, then rendered
// from the project's templates and sent through SES v2 by a sender that
// retries until each message is sent exactly once.
package mail

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Message is one email owed to someone. It stores the template name and the
// data, not rendered text, so a template fix applies to unsent mail too.
//
// It is addressed either to To (at most MaxRecipients addresses) or to an
// audience, AdminsOf: the global admins of that partner, or its account
// email when it has none. The sender resolves an audience when it sends,
// in parts of at most MaxRecipients addresses, so the outbox item and the
// request that owes it never grow with the partner's directory.
type Message struct {
	ID        string
	To        []string
	AdminsOf  string // a partner id
	Template  string // a name in templates/, e.g. "purchase-receipt"
	Language  string // BCP 47 tag; falls back to English
	Data      map[string]string
	CreatedAt time.Time
}

// MaxRecipients is the most addresses one message may have: SES v2 refuses
// a message with more than 50 recipients (To, Cc and Bcc together).
const MaxRecipients = 50

// Validate refuses a message the outbox must not hold: no recipient, both
// an address list and an audience, or more addresses than SES takes.
func (m Message) Validate() error {
	switch {
	case len(m.To) == 0 && m.AdminsOf == "":
		return fmt.Errorf("mail %s: no recipient", m.ID)
	case len(m.To) > 0 && m.AdminsOf != "":
		return fmt.Errorf("mail %s: both To and an audience", m.ID)
	case len(m.To) > MaxRecipients:
		return fmt.Errorf("mail %s: %d recipients, at most %d a message: address an audience instead", m.ID, len(m.To), MaxRecipients)
	}
	return nil
}

// ErrNoAudience: the message names an audience that resolved to no address.
var ErrNoAudience = errors.New("mail: audience has no address")

// Parts splits a message addressed to an audience into messages of at most
// MaxRecipients of addrs each (duplicates, compared case-insensitively,
// dropped). Part ids are the message id and the part's number, so a split
// that is repeated after a crash writes the same parts again.
func Parts(m Message, addrs []string) []Message {
	seen := make(map[string]bool, len(addrs))
	var uniq []string
	for _, a := range addrs {
		if k := strings.ToLower(strings.TrimSpace(a)); k != "" && !seen[k] {
			seen[k] = true
			uniq = append(uniq, a)
		}
	}
	var out []Message
	for i := 0; i < len(uniq); i += MaxRecipients {
		p := m
		p.ID = fmt.Sprintf("%s-%03d", m.ID, i/MaxRecipients+1)
		p.AdminsOf = ""
		p.To = uniq[i:min(i+MaxRecipients, len(uniq))]
		out = append(out, p)
	}
	return out
}
