package partner

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
)

// Directory search. A user is found by the start of their email or of any
// word of their display name, compared folded (Fold). The store keeps one
// index entry per search token (SearchTokens) beside the user, written in
// the user's own transactions, and a search reads the entries whose token
// starts with the folded query: one Query, whatever the directory's size.

// Search limits: a token is cut to MaxTokenRunes characters (a sort key
// holds at most 1,024 bytes) and a name gives at most MaxNameTokens tokens,
// so one user is at most MaxNameTokens+1 index entries and every change of
// a user fits one transaction.
const (
	MaxTokenRunes = 64
	MaxNameTokens = 8
	// MaxQuery is the longest q accepted, in characters.
	MaxQuery = MaxName
)

// fold is NFKD, marks removed, then NFC: "É" and "e" are one letter, and
// half-width katakana become full-width (as NFKC does). The kana voicing
// marks (U+3099, U+309A) are kept, so ガ stays ガ and is not カ. A chain
// keeps state between calls and is not safe for concurrent use, so each
// call makes its own (concurrent requests shared one and panicked).
func fold() transform.Transformer {
	return transform.Chain(norm.NFKD, runes.Remove(runes.Predicate(func(r rune) bool {
		return unicode.Is(unicode.Mn, r) && r != '\u3099' && r != '\u309a'
	})), norm.NFC)
}

// Fold is the form names, emails and queries are compared in: accents
// removed, width folded, lower case, spaces (U+3000 included) as one
// ASCII space, trimmed.
func Fold(s string) string {
	out, _, err := transform.String(fold(), s)
	if err != nil {
		out = s
	}
	return strings.Join(strings.FieldsFunc(strings.ToLower(out), isWordBreak), " ")
}

// isWordBreak: white space (unicode.IsSpace holds the ideographic space
// U+3000) and the katakana middle dot that separates the parts of a
// foreign name written in katakana (ジョン・スミス).
func isWordBreak(r rune) bool { return unicode.IsSpace(r) || r == '・' }

// SearchTokens are the index entries of a user: the folded email, and the
// folded display name from the start of each of its words to its end
// ("aiko tanaka", "tanaka"), each cut to MaxTokenRunes characters,
// without repeats, sorted. A name written without spaces (田中愛子) is one
// word: found by its start (田中), not by a later part (愛子).
func SearchTokens(u User) []string {
	tokens := []string{cut(Fold(u.Email))}
	name := Fold(u.DisplayName)
	for i, n := 0, 0; i < len(name) && n < MaxNameTokens; n++ {
		tokens = append(tokens, cut(name[i:]))
		next := strings.IndexByte(name[i:], ' ')
		if next < 0 {
			break
		}
		i += next + 1
	}
	slices.Sort(tokens)
	return slices.Compact(slices.DeleteFunc(tokens, func(t string) bool { return t == "" }))
}

func cut(s string) string {
	if r := []rune(s); len(r) > MaxTokenRunes {
		return string(r[:MaxTokenRunes])
	}
	return s
}

// UserQuery filters the directory. Q is the search text (empty: every
// user, in id order); Role keeps users holding it, Guest (when set) users
// who are, or are not, guests.
type UserQuery struct {
	Q     string
	Role  access.Role
	Guest *bool
}

// Prefix is the folded query as the index compares it: cut as tokens are,
// so a query longer than a token still finds it (Keep checks the rest).
func (q UserQuery) Prefix() string { return cut(Fold(q.Q)) }

// Keep reports whether u belongs on a page of q: it matches the role and
// guest filters, and, for a search, the whole folded query is the start of
// its email or of one of its names' words.
func (q UserQuery) Keep(u User) bool {
	if q.Role != "" && !slices.Contains(u.Roles, q.Role) {
		return false
	}
	if q.Guest != nil && u.Guest != *q.Guest {
		return false
	}
	fq := Fold(q.Q)
	if fq == "" {
		return true
	}
	if strings.HasPrefix(Fold(u.Email), fq) {
		return true
	}
	name := Fold(u.DisplayName)
	for i := 0; i <= len(name); {
		if strings.HasPrefix(name[i:], fq) {
			return true
		}
		next := strings.IndexByte(name[i:], ' ')
		if next < 0 {
			break
		}
		i += next + 1
	}
	return false
}

// Shows reports whether the index entry token is where u appears in the
// results of q: the first of its tokens that starts with q's prefix. A user
// whose email and name both match (or two of whose words do) is listed once,
// at the first, so no page repeats another's user; an entry left from an
// older name is not shown either.
func (q UserQuery) Shows(u User, token string) bool {
	if !q.Keep(u) {
		return false
	}
	p := q.Prefix()
	for _, t := range SearchTokens(u) {
		if strings.HasPrefix(t, p) {
			return t == token
		}
	}
	return false
}

// ValidateQuery checks a directory query's fields (q, role).
func ValidateQuery(q UserQuery) error {
	var f apperr.Fields
	f.Long("q", q.Q, MaxQuery)
	if q.Role != "" && !access.ValidPartnerRole(q.Role) {
		f.Add("role", apperr.UnknownValue, "must be one of global-admin, user-management-admin, admin-agent, mpn-partner-admin")
	}
	return f.Err()
}

// Entry is one index entry a directory page read: its position in the
// listing (what a cursor holds), the token it is filed under ("" when the
// listing is by id) and the user it names.
type Entry struct {
	Position, Token string
	User            User
}

// Page is one page of q from the entries read after the cursor, in order:
// at most limit+1 (the one more tells that another page follows). It keeps
// the first limit entries q shows, so a page holds at most limit users
// (fewer, even none, when filters drop entries) and next is the position
// of the last entry examined ("" on the last page). Store and fake share it,
// so both page alike.
func (q UserQuery) Page(read []Entry, limit int, more bool) (users []User, next string) {
	if len(read) > limit {
		read, more = read[:limit], true
	}
	for _, e := range read {
		if e.Token == "" && q.Keep(e.User) || e.Token != "" && q.Shows(e.User, e.Token) {
			users = append(users, e.User)
		}
	}
	if more && len(read) > 0 {
		next = read[len(read)-1].Position
	}
	return users, next
}

// Tag names q's listing in its cursors: a cursor is good only for the
// listing, with the same filters, that issued it.
func (q UserQuery) Tag() string {
	if q.Prefix() == "" && q.Role == "" && q.Guest == nil {
		return "users"
	}
	guest := ""
	if q.Guest != nil {
		guest = strconv.FormatBool(*q.Guest)
	}
	return "users?q=" + q.Prefix() + "&role=" + string(q.Role) + "&guest=" + guest
}
