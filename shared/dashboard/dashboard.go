// Package dashboard is the read model of a partner's benefits: what one
// Query of the partner's dashboard items returns, shaped for the views and
// the rules that read across nouns (a cancellation, the dashboard itself).
// It holds no rule and no AWS type, so the HTTP layer can render it without
// knowing the store.
package dashboard

import (
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/support"
)

// Overview is a partner's purchases and lines with what the lines hold.
type Overview struct {
	Purchases []benefit.Purchase
	Lines     []benefit.Benefit
	// Credits holds the state and holders of each credit line, by benefit id.
	Credits map[string]credit.Credit
	// Holders lists who holds a seat of each credit or Visual Studio line.
	Holders map[string][]credit.Holder
	// Support is the partner's support contract, if activated.
	Support *support.Activation
	// Cancellations holds each cancelled purchase's service request.
	Cancellations map[string]cancel.ServiceRequest
}
