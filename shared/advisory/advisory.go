// Package advisory holds the rules of pre-sales and deployment advisory
// hours: any user of the partner asks for hours on a topic, and the hours
// come off the partner's balance, which never goes below zero.
package advisory

import (
	"fmt"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/support"
)

// Request is one request for advisory hours.
type Request struct {
	ID          string
	PartnerID   string
	Topic       string
	Hours       int
	RequestedBy string
	RequestedAt time.Time
	// Takes says which lines the hours came from.
	Takes []benefit.Take
}

// MaxHours bounds one request; larger engagements are several requests.
const MaxHours = 1000

// MaxDrawLines bounds the lines one request draws on: each is an item of
// the request's one transaction (with the request and its audit event,
// within DynamoDB's 100), so a request for hours spread thinly over many
// lines is refused naming the most it can ask for.
const MaxDrawLines = 95

// MaxTopic bounds a request's topic, in characters.
const MaxTopic = 500

// Errors of the rules; the codes are the API's.
var (
	ErrNoBenefits = apperr.New(apperr.Conflict, "no_benefits",
		"It looks like you don't have any benefits yet: advisory hours come with a Gold, Silver or Action Pack purchase.")
	ErrInsufficientHours = apperr.New(apperr.Conflict, "insufficient_hours", "The partner's advisory hour balance is lower than the hours asked for.")
)

// Check validates a request and decides which lines its hours come from.
func Check(r Request, purchases []benefit.Purchase, lines []benefit.Benefit, now time.Time) ([]benefit.Take, error) {
	var f apperr.Fields
	if t := strings.TrimSpace(r.Topic); !f.Long("topic", t, MaxTopic) && t == "" {
		f.Add("topic", apperr.Required, "required: 1 to 500 characters")
	}
	if r.Hours < 1 || r.Hours > MaxHours {
		f.Add("hours", apperr.OutOfRange, "a whole number of hours from 1 to 1000")
	}
	if len(f) > 0 {
		return nil, f.Err()
	}
	if support.Eligible(purchases) != nil {
		return nil, ErrNoBenefits
	}
	takes, available := benefit.Draw(lines, catalog.AdvisoryHours, r.Hours, now)
	if takes == nil {
		return nil, ErrInsufficientHours.With("hoursAvailable", available)
	}
	if len(takes) > MaxDrawLines {
		most := 0
		for _, t := range takes[:MaxDrawLines] {
			most += t.Amount
		}
		f.Add("hours", apperr.OutOfRange, fmt.Sprintf("at most %d in one request: the hours left are spread over more than %d lines; ask for the rest in another request", most, MaxDrawLines))
		return nil, f.Err()
	}
	return takes, nil
}

// Balance is the hours left on the partner's live advisory lines.
func Balance(lines []benefit.Benefit, now time.Time) (total, used int) {
	for _, b := range lines {
		if b.Kind == catalog.AdvisoryHours && b.Live(now) {
			total += b.Quantity
			used += b.Used
		}
	}
	return total, used
}
