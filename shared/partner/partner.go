// Package partner holds partner organisations and their user directory.
package partner

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
)

// Partner is an organisation that buys packages. Its billing currency is
// fixed at creation: every price and credit it sees is in that currency.
type Partner struct {
	ID           string
	Name         string
	Currency     string
	AccountEmail string
	// Language is the BCP 47 tag its mail is written in (default "en").
	Language  string
	CreatedAt time.Time
}

// User is an entry of a partner's directory; guests are allowed.
type User struct {
	ID          string
	PartnerID   string
	Email       string // as entered; uniqueness uses EmailKey
	DisplayName string
	Roles       []access.Role
	Guest       bool
	CreatedAt   time.Time
}

// ErrUserExists is returned when the email is already in the directory.
var ErrUserExists = apperr.New(apperr.Conflict, "user_exists", "A user with that email already exists in this directory.")

// ErrUserNotFound is returned for a user id missing from the directory.
var ErrUserNotFound = apperr.New(apperr.Unprocessable, "user_not_found", "No user with that id in your directory.")

var (
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	// languageRE is compiled on first use rather than at every cold start
	// of every HTTP function (about 0.05 ms and 11 KB).
	languageRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`) })
)

// ValidLanguage reports a well-formed BCP 47 tag (language[-subtags]).
func ValidLanguage(tag string) bool { return len(tag) <= MaxLanguage && languageRE().MatchString(tag) }

// Maxima in characters (the OpenAPI document's maxLength); over one is 400
// with the field's code too_long.
const (
	MaxName     = 256 // a partner's name, a user's display name
	MaxEmail    = 254 // RFC 5321's path limit; ValidEmail also holds it to 254 bytes
	MaxLanguage = 35  // a BCP 47 tag
)

// NewPartner validates the operator's draft (ID, Name, Currency,
// AccountEmail, Language, CreatedAt) and returns it trimmed, with the
// default language.
func NewPartner(draft Partner) (Partner, error) {
	var f apperr.Fields
	name, language := strings.TrimSpace(draft.Name), draft.Language
	if !f.Long("name", name, MaxName) && name == "" {
		f.Add("name", apperr.Required, "required, at most 256 characters")
	}
	switch {
	case language == "":
		language = "en"
	case f.Long("language", language, MaxLanguage):
	case !ValidLanguage(language):
		f.Add("language", apperr.Format, "must be a BCP 47 language tag such as en or ja-JP")
	}
	if !f.Long("currency", draft.Currency, 3) && !currencyRE.MatchString(draft.Currency) {
		f.Add("currency", apperr.Format, "must be an ISO 4217 code such as USD")
	}
	checkEmail(&f, "accountEmail", draft.AccountEmail)
	if err := f.Err(); err != nil {
		return Partner{}, err
	}
	p := draft
	p.Name, p.Language, p.AccountEmail = name, language, strings.TrimSpace(draft.AccountEmail)
	return p, nil
}

// NewUser validates a directory entry drafted by the caller (ID,
// PartnerID, Email, DisplayName, Roles, Guest, CreatedAt) and returns it
// trimmed, with no roles as an empty list.
func NewUser(draft User) (User, error) {
	var f apperr.Fields
	checkEmail(&f, "email", draft.Email)
	displayName, roles := strings.TrimSpace(draft.DisplayName), draft.Roles
	if !f.Long("displayName", displayName, MaxName) && displayName == "" {
		f.Add("displayName", apperr.Required, "required, at most 256 characters")
	}
	seen := map[access.Role]bool{}
	for i, r := range roles {
		if !access.ValidPartnerRole(r) {
			f.Add("roles["+strconv.Itoa(i)+"]", apperr.UnknownValue, "must be one of global-admin, user-management-admin, admin-agent, mpn-partner-admin")
		} else if seen[r] {
			f.Add("roles["+strconv.Itoa(i)+"]", apperr.Duplicate, "duplicate role")
		}
		seen[r] = true
	}
	if err := f.Err(); err != nil {
		return User{}, err
	}
	if roles == nil {
		roles = []access.Role{}
	}
	u := draft
	u.Email, u.DisplayName, u.Roles = strings.TrimSpace(draft.Email), displayName, roles
	return u, nil
}

// adminSuffix ends the first admin's display name.
const adminSuffix = " administrator"

// FirstAdmin is the directory user a new partner starts with: a global admin
// with the account email, named "<partner name> administrator". A name too
// long for that is cut (at a character boundary), so every partner
// NewPartner accepts gets its admin and the operator never hears about a
// display name it did not send.
func FirstAdmin(id string, p Partner, now time.Time) User {
	name := p.Name
	if keep := MaxName - len(adminSuffix); utf8.RuneCountInString(name) > keep {
		name = strings.TrimSpace(string([]rune(name)[:keep]))
	}
	return User{ID: id, PartnerID: p.ID, Email: p.AccountEmail, DisplayName: name + adminSuffix,
		Roles: []access.Role{access.GlobalAdmin}, CreatedAt: now}
}

// EmailKey is the form used for uniqueness: addresses differ only by case
// in practice, so "Ann@X.com" and "ann@x.com" are one user.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidEmail reports a plain address (no display name), at most 254 bytes.
func ValidEmail(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) == 0 || len(s) > MaxEmail {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

func checkEmail(f *apperr.Fields, field, s string) {
	if !f.Long(field, strings.TrimSpace(s), MaxEmail) && !ValidEmail(s) {
		f.Add(field, apperr.Format, "must be an email address such as ann@example.com")
	}
}
