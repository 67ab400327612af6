// Package gtm holds the rules of go-to-market offers: a partner names a
// marketing contact, an admin activates an offer, the contact confirms it
// through a single-use link sent by email, and the offer becomes active
// until its expiry date.
package gtm

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/partner"
)

// LinkValidity is how long a confirmation link works.
const LinkValidity = 14 * 24 * time.Hour

// Contact is a partner's marketing contact: a directory user, reached at a
// marketing address that is not their account email.
type Contact struct {
	PartnerID   string
	UserID      string
	DisplayName string
	Email       string
	Phone       string
	Language    string
	UpdatedAt   time.Time
	UpdatedBy   string
}

// Errors of the rules; the codes are the API's.
var (
	ErrEmailMustDiffer    = apperr.New(apperr.Unprocessable, "email_must_differ", "The marketing contact's email must differ from the user's account email.")
	ErrContactRequired    = apperr.New(apperr.Conflict, "marketing_contact_required", "Name the partner's marketing contact first: offers are confirmed by them.")
	ErrTokenInvalid       = apperr.New(apperr.Gone, "token_invalid", "This confirmation link has been used or has expired.")
	errUserNotInDirectory = apperr.New(apperr.Unprocessable, "user_not_found", "No user with that id in this partner's directory.")
)

// MaxPhone is an E.164 number's length: + and at most 15 digits.
const MaxPhone = 16

// NewContact validates draft (Email, Phone, Language, UpdatedAt,
// UpdatedBy) as the contact for directory user u (found says whether u is
// in the directory) and returns it with u's names.
func NewContact(u partner.User, found bool, draft Contact) (Contact, error) {
	var f apperr.Fields
	email, phone, lang := strings.TrimSpace(draft.Email), draft.Phone, draft.Language
	if !f.Long("email", email, partner.MaxEmail) && !partner.ValidEmail(email) {
		f.Add("email", apperr.Format, "a valid email address")
	}
	phone = strings.TrimSpace(phone)
	if !f.Long("phone", phone, MaxPhone) && !e164().MatchString(phone) {
		f.Add("phone", apperr.Format, "an E.164 number: + then country code and number, digits only, e.g. +81312345678")
	}
	var tag language.Tag
	if lang = strings.TrimSpace(lang); !f.Long("language", lang, partner.MaxLanguage) {
		var err error
		if tag, err = language.Parse(lang); err != nil || lang == "" {
			f.Add("language", apperr.Format, "a BCP 47 language tag such as en, ja or en-GB")
		}
	}
	if len(f) > 0 {
		return Contact{}, f.Err()
	}
	if !found {
		return Contact{}, errUserNotInDirectory
	}
	if partner.EmailKey(email) == partner.EmailKey(u.Email) {
		return Contact{}, ErrEmailMustDiffer
	}
	return Contact{PartnerID: u.PartnerID, UserID: u.ID, DisplayName: u.DisplayName, Email: email, Phone: phone,
		Language: tag.String(), UpdatedAt: draft.UpdatedAt, UpdatedBy: draft.UpdatedBy}, nil
}

// Token is a confirmation link's secret. Only its hash is stored, so the
// table never holds a usable link.
type Token struct {
	Secret    string // in the link only
	Hash      string
	ExpiresAt time.Time
}

// NewToken makes a random 256-bit token valid for LinkValidity from now.
func NewToken(now time.Time) Token {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails on Linux
	secret := base64.RawURLEncoding.EncodeToString(b)
	return Token{Secret: secret, Hash: HashToken(secret), ExpiresAt: now.Add(LinkValidity)}
}

// HashToken is the stored form of a link's token.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// The regexps are compiled on first use rather than at every cold start of
// every HTTP function (together about 0.05 ms and 26 KB).
var (
	e164    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`) })
	tokenRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`) })
)

// WellFormed reports a token this service could have issued.
func WellFormed(secret string) bool { return tokenRE().MatchString(secret) }

// Step is what activating an offer does.
type Step int

const (
	Send    Step = iota // make a link and email it: the offer becomes pending
	Nothing             // pending with a working link, or active: nothing new
)

// Activate decides an admin's activation of offer line b for the partner's
// contact c. A pending offer whose link has expired, or went to an address
// that is no longer the contact's (or to one the line did not record),
// gets a new link to c: an offer can never be stuck.
func Activate(b benefit.Benefit, c Contact, hasContact bool, now time.Time) (Step, error) {
	if err := b.Usable(catalog.GTMOffer, now); err != nil {
		return Nothing, err
	}
	if !hasContact {
		return Nothing, ErrContactRequired
	}
	switch b.Status {
	case benefit.Active:
		return Nothing, nil
	case benefit.Pending:
		if now.Before(b.LinkExpiresAt) && b.LinkSentTo == c.Email {
			return Nothing, nil
		}
	}
	return Send, nil
}

// Current checks that a link (its token's hash, the address it was sent
// to) is still the offer's: the line's current link, sent to the partner's
// current contact address. A link sent to a replaced contact, or replaced
// by a newer link, is ErrTokenInvalid. A line from before lines recorded
// their link (no LinkHash) accepts any of its links.
func Current(b benefit.Benefit, hash, sentTo string, c Contact, hasContact bool) error {
	if !hasContact || c.Email != sentTo {
		return ErrTokenInvalid
	}
	if b.LinkHash != "" && b.LinkHash != hash {
		return ErrTokenInvalid
	}
	return nil
}

// Limits on the instructions mail, which goes to an address nobody has
// confirmed: per partner (whatever the addresses) and per address (across
// partners, since spam targets an address), in fixed windows. An admin
// setting up a contact sends one or two; a script sending spam is stopped
// after a handful.
const (
	ContactMailWindow      = 24 * time.Hour
	ContactMailsPerPartner = 5
	ContactMailsPerAddress = 3
)

// Quota is one fixed-window counter a change must stay under.
type Quota struct {
	Scope   string // what is counted, e.g. "gtm-contact-partner"
	Subject string // whose: a partner id, or a normalised address
	Max     int
	// Start and End bound the window the change falls in.
	Start, End time.Time
}

// Quota scopes.
const (
	ScopeContactPartner = "gtm-contact-partner"
	ScopeContactAddress = "gtm-contact-address"
)

// ContactQuotas are the counters an instructions mail to c.Email uses.
func ContactQuotas(c Contact, now time.Time) []Quota {
	start := now.UTC().Truncate(ContactMailWindow) // UTC midnight for a day
	end := start.Add(ContactMailWindow)
	return []Quota{
		{Scope: ScopeContactPartner, Subject: c.PartnerID, Max: ContactMailsPerPartner, Start: start, End: end},
		{Scope: ScopeContactAddress, Subject: partner.EmailKey(c.Email), Max: ContactMailsPerAddress, Start: start, End: end},
	}
}

// Unchanged reports a contact change that changes nothing (a double
// click): the same user, address, phone and language. It sends no mail
// and uses no quota.
func Unchanged(old Contact, found bool, c Contact) bool {
	return found && old.UserID == c.UserID && old.Email == c.Email && old.Phone == c.Phone && old.Language == c.Language
}

// ErrRateLimited is a change refused by a Quota; RateLimited adds when to
// retry.
var ErrRateLimited = apperr.New(apperr.TooManyRequests, "rate_limited",
	"Too many marketing-contact emails for this partner or address today; retry after the time in Retry-After.")

// RateLimited is the refusal of a change over q at now: retryAfter is the
// whole seconds until q's window ends (at least 1).
func RateLimited(q Quota, now time.Time) error {
	secs := max(1, int(math.Ceil(q.End.Sub(now).Seconds())))
	return ErrRateLimited.With(apperr.RetryAfter, secs)
}

// Confirm decides the contact's confirmation: the offer becomes active
// until months from now.
func Confirm(b benefit.Benefit, linkExpiresAt time.Time, months int, now time.Time) (time.Time, error) {
	if !now.Before(linkExpiresAt) {
		return time.Time{}, ErrTokenInvalid
	}
	if b.Status != benefit.Pending {
		return time.Time{}, ErrTokenInvalid
	}
	if b.EffectiveStatus(now) != benefit.Pending {
		return time.Time{}, ErrTokenInvalid
	}
	return benefit.AddMonths(now, months), nil
}
