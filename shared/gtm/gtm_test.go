package gtm

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/partner"
)

var now = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

var ann = partner.User{ID: "usr_1", PartnerID: "ptn_1", Email: "Ann@Contoso.example", DisplayName: "Ann"}

func TestNewContact(t *testing.T) {
	c, err := NewContact(ann, true, Contact{Email: " marketing@contoso.example ", Phone: " +81312345678 ", Language: "en-gb", UpdatedBy: "usr_admin", UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	want := Contact{PartnerID: "ptn_1", UserID: "usr_1", DisplayName: "Ann", Email: "marketing@contoso.example",
		Phone: "+81312345678", Language: "en-GB", UpdatedAt: now, UpdatedBy: "usr_admin"}
	if c != want {
		t.Errorf("contact = %+v\nwant %+v", c, want)
	}
}

func TestNewContactCanonicalisesLanguage(t *testing.T) {
	for in, want := range map[string]string{"en-gb": "en-GB", "EN": "en", "ja": "ja", "zh-hant-tw": "zh-Hant-TW", " fr-ca ": "fr-CA"} {
		c, err := NewContact(ann, true, Contact{Email: "m@contoso.example", Phone: "+81312345678", Language: in, UpdatedBy: "usr_admin", UpdatedAt: now})
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if c.Language != want {
			t.Errorf("%q → %q, want %q", in, c.Language, want)
		}
	}
}

func TestNewContactFieldErrors(t *testing.T) {
	const email, phone, lang = "m@contoso.example", "+81312345678", "en"
	tests := []struct {
		name               string
		email, phone, lang string
		fields             []string
	}{
		{"bad email", "not-an-email", phone, lang, []string{"email"}},
		{"email with name", "Ann <m@contoso.example>", phone, lang, []string{"email"}},
		{"empty email", "", phone, lang, []string{"email"}},
		{"phone without +", email, "81312345678", lang, []string{"phone"}},
		{"phone with spaces", email, "+81 3 1234 5678", lang, []string{"phone"}},
		{"phone starting with 0", email, "+0312345678", lang, []string{"phone"}},
		{"phone too short", email, "+123456", lang, []string{"phone"}},
		{"phone too long", email, "+1234567890123456", lang, []string{"phone"}},
		{"empty language", email, phone, "", []string{"language"}},
		{"blank language", email, phone, "  ", []string{"language"}},
		{"bad language", email, phone, "not a tag", []string{"language"}},
		{"all three collected", "x", "x", "!!", []string{"email", "phone", "language"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// found=false too: field errors come before the directory check.
			_, err := NewContact(ann, false, Contact{Email: tc.email, Phone: tc.phone, Language: tc.lang, UpdatedBy: "usr_admin", UpdatedAt: now})
			e, ok := apperr.As(err)
			if !ok || e.Code != "validation_failed" {
				t.Fatalf("got %v, want validation_failed", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestNewContactRules(t *testing.T) {
	tests := []struct {
		name  string
		found bool
		email string
		code  string
	}{
		{"user not in directory", false, "m@contoso.example", "user_not_found"},
		{"account email", true, "Ann@Contoso.example", "email_must_differ"},
		{"account email in another case", true, "ann@contoso.EXAMPLE", "email_must_differ"},
	}
	for _, tc := range tests {
		_, err := NewContact(ann, tc.found, Contact{Email: tc.email, Phone: "+81312345678", Language: "en", UpdatedBy: "usr_admin", UpdatedAt: now})
		if e, ok := apperr.As(err); !ok || e.Code != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
}

func TestNewToken(t *testing.T) {
	a, b := NewToken(now), NewToken(now)
	if len(a.Secret) != 43 || !WellFormed(a.Secret) {
		t.Errorf("secret %q is not 43 base64url characters", a.Secret)
	}
	sum := sha256.Sum256([]byte(a.Secret))
	if a.Hash != hex.EncodeToString(sum[:]) || a.Hash != HashToken(a.Secret) {
		t.Errorf("hash %q is not the hex SHA-256 of the secret", a.Hash)
	}
	if !a.ExpiresAt.Equal(now.AddDate(0, 0, 14)) {
		t.Errorf("expires %v, want now + 14 days", a.ExpiresAt)
	}
	if a.Secret == b.Secret || a.Hash == b.Hash {
		t.Error("two tokens are equal")
	}
}

func TestHashToken(t *testing.T) {
	// SHA-256 of "abc".
	if got := HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashToken(abc) = %s", got)
	}
}

func TestWellFormed(t *testing.T) {
	ok := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_9" // 43
	tests := map[string]bool{
		ok:                 true,
		ok[:42]:            false,
		ok + "A":           false,
		ok[:42] + "=":      false,
		ok[:42] + "+":      false,
		ok[:42] + "/":      false,
		"":                 false,
		ok[:21] + " " + ok: false,
	}
	for s, want := range tests {
		if WellFormed(s) != want {
			t.Errorf("WellFormed(%q) = %v", s, !want)
		}
	}
}

// contact is the partner's current marketing contact.
var contact = Contact{PartnerID: "ptn_1", UserID: "usr_1", Email: "marketing@contoso.example"}

// offer is a live go-to-market line in status s.
func offer(s benefit.Status) benefit.Benefit {
	return benefit.Benefit{ID: "ben_1", Kind: catalog.GTMOffer, Status: s, ExpiresAt: now.AddDate(1, 0, 0)}
}

func TestActivate(t *testing.T) {
	withLink := func(s benefit.Status, link time.Time) benefit.Benefit {
		b := offer(s)
		b.LinkExpiresAt, b.LinkSentTo = link, contact.Email
		return b
	}
	notOffer := offer(benefit.Available)
	notOffer.Kind = catalog.Support
	expired := offer(benefit.Available)
	expired.ExpiresAt = now
	tests := []struct {
		name       string
		b          benefit.Benefit
		hasContact bool
		want       Step
		err        error
	}{
		{"not a gtm offer", notOffer, true, Nothing, apperr.ErrNotFound},
		{"no contact", offer(benefit.Available), false, Nothing, ErrContactRequired},
		{"available", offer(benefit.Available), true, Send, nil},
		{"pending, link works", withLink(benefit.Pending, now.Add(time.Hour)), true, Nothing, nil},
		{"pending, link expired", withLink(benefit.Pending, now.Add(-time.Hour)), true, Send, nil},
		{"pending, link expires now", withLink(benefit.Pending, now), true, Send, nil},
		{"active", offer(benefit.Active), true, Nothing, nil},
		{"revoked", offer(benefit.Revoked), true, Nothing, benefit.ErrRevoked},
		{"expired", expired, true, Nothing, benefit.ErrExpired},
	}
	for _, tc := range tests {
		step, err := Activate(tc.b, contact, tc.hasContact, now)
		if !errors.Is(err, tc.err) { // errors.Is(err, nil) is err == nil
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err == nil && step != tc.want {
			t.Errorf("%s: step = %v, want %v", tc.name, step, tc.want)
		}
	}
}

func TestConfirm(t *testing.T) {
	expired := offer(benefit.Pending)
	expired.ExpiresAt = now.Add(-time.Minute)
	tests := []struct {
		name string
		b    benefit.Benefit
		link time.Time
		ok   bool
	}{
		{"pending, link works", offer(benefit.Pending), now.Add(time.Hour), true},
		{"link expired", offer(benefit.Pending), now.Add(-time.Hour), false},
		{"link expires now", offer(benefit.Pending), now, false},
		{"already active", offer(benefit.Active), now.Add(time.Hour), false},
		{"available", offer(benefit.Available), now.Add(time.Hour), false},
		{"revoked", offer(benefit.Revoked), now.Add(time.Hour), false},
		{"line past its expiry", expired, now.Add(time.Hour), false},
	}
	for _, tc := range tests {
		until, err := Confirm(tc.b, tc.link, 6, now)
		if tc.ok {
			if want := benefit.AddMonths(now, 6); err != nil || !until.Equal(want) {
				t.Errorf("%s: got %v, %v; want %v", tc.name, until, err, want)
			}
			continue
		}
		if !errors.Is(err, ErrTokenInvalid) || !until.IsZero() {
			t.Errorf("%s: got %v, %v; want token_invalid", tc.name, until, err)
		}
	}
}
