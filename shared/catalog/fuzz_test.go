package catalog

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/apperr"
)

// FuzzParse: any document is either a catalogue that passes Validate or a
// catalog_invalid (422) error, never a panic. The seeds are the demo
// catalogue and hostile edits of it; they run as ordinary tests.
func FuzzParse(f *testing.F) {
	f.Add(Demo)
	var compact bytes.Buffer
	if err := json.Compact(&compact, Demo); err == nil {
		f.Add(compact.Bytes())
	}
	edits := []struct{ re, with string }{
		{`"quantity": \d+`, `"quantity": -1`},
		{`"quantity": \d+`, `"quantity": 0`},
		{`"quantity": \d+`, `"quantity": 9223372036854775807`},
		{`"quantity": \d+`, `"quantity": 9223372036854775808`},
		{`"quantity": \d+`, `"quantity": 1.5`},
		{`"quantity": \d+`, `"quantity": "1"`},
		{`"USD": \d+`, `"USD": -10000`},
		{`"USD": \d+`, `"USD": 9223372036854775807`},
		{`"USD": \d+`, `"USD": 1e30`},
		{`"activeMonths": \d+`, `"activeMonths": -6`},
		{`"activeMonths": \d+`, `"activeMonths": 2147483648`},
		{`"validityMonths": \d+`, `"validityMonths": -1`},
		{`"version": "[^"]*"`, `"version": ""`},
		{`"version": "[^"]*"`, `"version": "` + strings.Repeat("9", 65) + `"`},
		{`"version": "[^"]*"`, `"version": "2026\u0000"`},
		{`"USD"`, `"usd"`},
		{`"USD"`, `"US\u0000"`},
		{`"en"`, `"\ufeffen"`},
		{`"sha256": "[0-9a-f]*"`, `"sha256": "ZZ"`},
		{`"url": "[^"]*"`, `"url": "javascript:alert(1)"`},
		{`"kind": "[a-z-]*"`, `"kind": "unknown"`},
		{`"plan": "[a-z-]*"`, `"plan": ""`},
		{`"products": \{`, `"products": {"": {}, `},
		{`"packages": \[`, `"packages": [null, `},
		{`"currencies": \[`, `"currencies": [null, `},
		{`"name": "[^"]*"`, `"name": "` + strings.Repeat("é", 10000) + `"`},
		{`\{`, `{"unknown": 1, `},
	}
	for _, e := range edits {
		re := regexp.MustCompile(e.re)
		first := true
		f.Add(re.ReplaceAllFunc(Demo, func(m []byte) []byte {
			if first {
				first = false
				return []byte(e.with)
			}
			return m
		}))
		f.Add(re.ReplaceAll(Demo, []byte(e.with)))
	}
	for _, s := range []string{
		"", "{}", "null", "[]", `"x"`, "0", "\ufeff{}", "\x00", "{} {}", "{}x", `{"version":"1","currencies":["USD"],"products":{},"packages":[]}`,
		`{"products":{"p":null}}`, `{"packages":[{"benefits":[null]}]}`, `{"products":{"p":{"downloads":[null]}}}`,
		`{"packages":[{"price":{"USD":null}}]}`, `{"products":{"p":{"instructions":{"":""}}}}`,
		strings.Repeat(`{"products":`, 5000), strings.Repeat(`[`, 100000),
	} {
		f.Add([]byte(s))
	}
	f.Add(append([]byte("\xef\xbb\xbf"), Demo...))
	f.Add(append(bytes.Clone(Demo), "\n{}"...))
	f.Add(append(bytes.Clone(Demo), 0))
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := Parse(doc)
		if err != nil {
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Unprocessable || e.Code != "catalog_invalid" || len(e.Fields) == 0 {
				t.Fatalf("Parse error %v (%T), want catalog_invalid", err, err)
			}
			return
		}
		if c == nil {
			t.Fatal("Parse returned neither a catalogue nor an error")
		}
		if errs := c.Validate(); len(errs) > 0 {
			t.Fatalf("Parse accepted a catalogue that fails Validate: %v", errs)
		}
		// What a handler does with an accepted catalogue must not panic either.
		for _, p := range c.Packages {
			if _, err := c.Package(p.ID); err != nil {
				t.Fatalf("Package(%q): %v", p.ID, err)
			}
			for _, l := range p.Benefits {
				_ = l.Months()
			}
		}
		for _, p := range c.Products {
			_ = p.OfferMonths()
			_ = p.InstructionsFor("en")
			langs, oses := p.DownloadOptions()
			for _, lang := range langs {
				for _, os := range oses {
					_, _ = p.Download(lang, os)
				}
			}
		}
	})
}
