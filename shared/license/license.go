// Package license holds the rules of licence-based cloud subscriptions: a
// benefit line carries one product key for its quantity of licences, and
// the key is redeemed once, on one of the partner's tenants, either adding
// seats to the tenant's subscription or extending its term.
package license

import (
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
)

// Mode is how a redemption applies the licences.
type Mode string

const (
	// AddSeats adds the licences to the tenant's subscription and keeps its
	// end date, so the new seats may run for less than 12 months.
	AddSeats Mode = "add-seats"
	// ExtendTerm moves the subscription's end date 12 months on.
	ExtendTerm Mode = "extend-term"
)

// Term is the length of a subscription term and of an extension.
const Term = 12

// Errors of redemption.
var (
	ErrAlreadyRedeemed = apperr.New(apperr.Conflict, "key_already_redeemed", "This product key has already been redeemed; a key redeems once.")
	ErrBadMode         = fieldErr("mode", apperr.UnknownValue, "must be add-seats or extend-term")
	ErrBadTenant       = fieldErr("tenantId", apperr.Required, "required: the tenant id (a GUID) or its domain name, such as contoso.onmicrosoft.com")
)

func fieldErr(field, code, msg string) error {
	var f apperr.Fields
	f.Add(field, code, msg)
	return f.Err()
}

// tenantRE accepts a directory tenant id (GUID) or a domain name. It is
// compiled on first use: compiling it costs about 0.2 ms and 100 KB, which
// every cold start of every function linking this package paid before.
var tenantRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}(\.[a-z0-9][a-z0-9-]{0,62})*$`)
})

// MaxTenant is the longest tenant id: a domain name's 253 characters.
const MaxTenant = 253

// ParseTenant normalises a tenant id (tenant ids and domains are
// case-insensitive) and checks its shape.
func ParseTenant(s string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if err := apperr.CheckLen("tenantId", t, MaxTenant); err != nil {
		return "", err
	}
	if !tenantRE().MatchString(t) {
		return "", ErrBadTenant
	}
	return t, nil
}

// ParseMode checks a mode.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case AddSeats, ExtendTerm:
		return m, nil
	}
	return "", ErrBadMode
}

// Subscription is a tenant's subscription to one licence product.
type Subscription struct {
	TenantID string
	Product  string
	Seats    int
	EndDate  time.Time
	// Exists is false for a tenant that has never had the product.
	Exists bool
}

// Redemption is a decided redemption: the subscription after it.
type Redemption struct {
	TenantID string
	Mode     Mode
	By       string
	At       time.Time
	Before   Subscription
	After    Subscription
	// TermUnder12Months: the subscription ends less than 12 months from now.
	TermUnder12Months bool
}

// Redeem decides redeeming line b's licences on sub. A tenant with no
// live subscription of the product (never had one, or it ended) gets a new
// one of b.Quantity seats for 12 months, whichever the mode. On a live one,
// add-seats adds b.Quantity seats and keeps the end date; extend-term moves
// the end date 12 months on and keeps the seats, raised to b.Quantity if the
// key covers more.
func Redeem(b benefit.Benefit, sub Subscription, mode Mode, by string, now time.Time) (Redemption, error) {
	if err := b.Usable(catalog.License, now); err != nil {
		return Redemption{}, err
	}
	if b.Status == benefit.Activated {
		return Redemption{}, ErrAlreadyRedeemed
	}
	after := sub
	after.Exists = true
	switch live := sub.Exists && now.Before(sub.EndDate); {
	case !live:
		after.Seats, after.EndDate = b.Quantity, benefit.AddMonths(now, Term)
	case mode == AddSeats:
		after.Seats = sub.Seats + b.Quantity
	default:
		after.Seats, after.EndDate = max(sub.Seats, b.Quantity), benefit.AddMonths(sub.EndDate, Term)
	}
	return Redemption{TenantID: sub.TenantID, Mode: mode, By: by, At: now, Before: sub, After: after,
		TermUnder12Months: after.EndDate.Before(benefit.AddMonths(now, Term))}, nil
}

// ParseRedemption checks a redemption's tenant and mode together, so one
// 400 names every field that is wrong.
func ParseRedemption(tenantID, mode string) (string, Mode, error) {
	t, terr := ParseTenant(tenantID)
	m, merr := ParseMode(mode)
	if terr == nil && merr == nil {
		return t, m, nil
	}
	var f apperr.Fields
	for _, e := range []error{terr, merr} {
		if ae, ok := apperr.As(e); ok {
			f = append(f, ae.Fields...)
		}
	}
	return "", "", f.Err()
}
