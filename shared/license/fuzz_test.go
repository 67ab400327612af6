package license

import (
	"errors"
	"strings"
	"testing"
)

var hostile = []string{
	"", " ", "\x00", "\ufeff", "\xff", "\xc3\x28", "é", "\u0130", "\u212a", "ＡＢＣ", "\u200b", "-", ".", "..", "a..b",
	"-a", "a-", "a.-b", "9223372036854775808", "-1", strings.Repeat("a", 254), strings.Repeat("a", 64),
	strings.Repeat("a.", 200) + "a", strings.Repeat("a", 70000),
}

func FuzzParseTenant(f *testing.F) {
	for _, s := range []string{
		"contoso.onmicrosoft.com", "Contoso.OnMicrosoft.com", "  contoso.com\n", "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"72F988BF-86F1-41AF-91AB-2D7CD011DB47", "contoso.com.", "con toso.com", "contoso.com\x00", "xn--bcher-kva.example",
		"bücher.example", "K" + "\u212a" + ".com", strings.Repeat("a", 63) + ".com", strings.Repeat("a", 64) + ".com",
	} {
		f.Add(s)
	}
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTenant(s)
		if err != nil {
			if !errors.Is(err, ErrBadTenant) || got != "" {
				t.Fatalf("ParseTenant(%q) = %q, %v", s, got, err)
			}
			return
		}
		if len(got) == 0 || len(got) > 253 || got != strings.ToLower(got) {
			t.Fatalf("ParseTenant(%q) = %q", s, got)
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
				t.Fatalf("ParseTenant(%q) = %q, byte %q", s, got, c)
			}
		}
		if again, err := ParseTenant(got); err != nil || again != got {
			t.Fatalf("ParseTenant not idempotent on %q: %q %v", got, again, err)
		}
	})
}

func FuzzParseMode(f *testing.F) {
	for _, s := range []string{string(AddSeats), string(ExtendTerm), "ADD-SEATS", " add-seats", "add-seats\x00", "add_seats"} {
		f.Add(s)
	}
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMode(s)
		if err != nil {
			if !errors.Is(err, ErrBadMode) || m != "" {
				t.Fatalf("ParseMode(%q) = %q, %v", s, m, err)
			}
			return
		}
		if m != AddSeats && m != ExtendTerm || string(m) != s {
			t.Fatalf("ParseMode(%q) = %q", s, m)
		}
	})
}
