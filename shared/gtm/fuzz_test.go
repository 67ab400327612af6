package gtm

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/partner"
)

// FuzzNewContact: any email, phone and language end as a contact whose
// fields hold their shapes or as a 4xx *apperr.Error, never a panic.
func FuzzNewContact(f *testing.F) {
	f.Add("marketing@contoso.example", "+81312345678", "ja", true)
	f.Add("admin@contoso.example", "+14155550100", "en-GB", true) // the account email
	f.Add("ADMIN@Contoso.Example ", "+14155550100", "en", true)
	f.Add("m@contoso.example", "+14155550100", "en", false)
	for _, phone := range []string{"", "+", "+0123456", "+1234567", "+123456789012345", "+1234567890123456", "81312345678",
		"+８１３１２３４５６７８", "+1 415 555 0100", "+1-415", "-14155550100", "+1\x00234567", "+99999999999999999999999"} {
		f.Add("m@contoso.example", phone, "en", true)
	}
	for _, lang := range []string{"", " ", "en", "EN-gb", "zh-Hant-TW", "x-private", "i-klingon", "und", "root", "en_US",
		"en-u-ca-gregory-nu-latn", "sr-Latn-RS-u-ca-gregory", "qaa", "en-" + strings.Repeat("a", 8),
		"en" + strings.Repeat("-abcdefgh", 1000), strings.Repeat("x-", 5000), "\x00", "\ufeffen", "ja\u0000", "é"} {
		f.Add("m@contoso.example", "+14155550100", lang, true)
	}
	for _, email := range []string{"", "a", "a@b", "a@b.c", "A <a@b.co>", "\"quoted\"@b.co", "a@[127.0.0.1]", "a@b.co\x00",
		"\ufeffa@b.co", "ü@b.co", "a@bü.co", "a@b.co,c@d.co", strings.Repeat("a", 250) + "@b.co", "a@" + strings.Repeat("b.", 200) + "co",
		"a\r\nBcc: x@y.co", "a@b.co\n"} {
		f.Add(email, "+14155550100", "en", true)
	}
	u := partner.User{ID: "usr_1", PartnerID: "ptn_1", Email: "admin@contoso.example", DisplayName: "Admin"}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	e164 := regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	f.Fuzz(func(t *testing.T, email, phone, lang string, found bool) {
		c, err := NewContact(u, found, Contact{Email: email, Phone: phone, Language: lang, UpdatedBy: "usr_admin", UpdatedAt: now})
		if err != nil {
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid && e.Kind != apperr.Unprocessable {
				t.Fatalf("NewContact(%q, %q, %q): error %v (%T)", email, phone, lang, err, err)
			}
			return
		}
		if !found || !partner.ValidEmail(c.Email) || c.Email != strings.TrimSpace(c.Email) ||
			partner.EmailKey(c.Email) == partner.EmailKey(u.Email) || !e164.MatchString(c.Phone) {
			t.Fatalf("NewContact(%q, %q, %q) accepted %+v", email, phone, lang, c)
		}
		if _, err := language.Parse(c.Language); err != nil {
			t.Fatalf("language %q of %q does not parse again: %v", c.Language, lang, err)
		}
	})
}

// FuzzWellFormed: WellFormed is exactly 43 base64url characters, the shape
// NewToken issues.
func FuzzWellFormed(f *testing.F) {
	f.Add(NewToken(time.Unix(0, 0)).Secret)
	for _, s := range []string{"", strings.Repeat("A", 42), strings.Repeat("A", 43), strings.Repeat("A", 44), strings.Repeat("-_", 21) + "=",
		strings.Repeat("A", 42) + "\n", strings.Repeat("A", 42) + "é", strings.Repeat("A", 42) + "\x00", strings.Repeat("A", 42) + "+",
		"\ufeff" + strings.Repeat("A", 40), strings.Repeat("A", 10000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := len(s) == 43
		for i := 0; want && i < len(s); i++ {
			c := s[i]
			want = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		}
		if got := WellFormed(s); got != want {
			t.Fatalf("WellFormed(%q) = %v, want %v", s, got, want)
		}
	})
}
