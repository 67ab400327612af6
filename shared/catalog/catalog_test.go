package catalog

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/apperr"
)

func TestDemoCatalogIsValidAndComplete(t *testing.T) {
	c, err := Parse(Demo)
	if err != nil {
		t.Fatalf("demo catalogue does not parse: %v", err)
	}
	for _, cur := range []string{"USD", "EUR", "JPY", "GBP"} {
		if !c.SupportsCurrency(cur) {
			t.Errorf("demo catalogue lacks %s", cur)
		}
	}
	// Issue 2: one package per plan with the kinds each plan gets.
	want := map[Plan][]Kind{
		Gold:       {Software, CreditAnnual, License, VisualStudio, Support, AdvisoryHours, GTMOffer},
		Silver:     {Software, CreditAnnual, License, VisualStudio, Support, AdvisoryHours, GTMOffer},
		ActionPack: {Software, CreditMonthly, License, VisualStudio, Support, AdvisoryHours},
	}
	for plan, kinds := range want {
		var pkg *Package
		for i := range c.Packages {
			if c.Packages[i].Plan == plan {
				pkg = &c.Packages[i]
			}
		}
		if pkg == nil {
			t.Errorf("no package for plan %s", plan)
			continue
		}
		has := map[Kind]int{}
		for _, l := range pkg.Benefits {
			has[l.Kind] += l.Quantity
		}
		for _, k := range kinds {
			if has[k] == 0 {
				t.Errorf("%s package has no %s line", plan, k)
			}
		}
		if plan == ActionPack && has[CreditMonthly] < 2 {
			t.Errorf("action-pack should have several monthly credit subscriptions, has %d", has[CreditMonthly])
		}
	}
}

func TestValidateReportsEachProblem(t *testing.T) {
	base := func() *Catalog {
		c, err := Parse(Demo)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name  string
		edit  func(c *Catalog)
		field string
	}{
		{"missing version", func(c *Catalog) { c.Version = " " }, "version"},
		{"version too long for a key", func(c *Catalog) { c.Version = strings.Repeat("9", 65) }, "version"},
		{"bad currency code", func(c *Catalog) { c.Currencies = append(c.Currencies, "usd") }, "currencies[4]"},
		{"unknown plan", func(c *Catalog) { c.Packages[0].Plan = "platinum" }, "packages[0].plan"},
		{"duplicate package", func(c *Catalog) { c.Packages[1].ID = c.Packages[0].ID }, "packages[1].id"},
		{"price missing a currency", func(c *Catalog) { delete(c.Packages[0].Price, "JPY") }, "packages[0].price.JPY"},
		{"unknown product", func(c *Catalog) { c.Packages[0].Benefits[0].Product = "nope" }, "packages[0].benefits[0].product"},
		{"kind mismatch", func(c *Catalog) { c.Packages[0].Benefits[0].Kind = License }, "packages[0].benefits[0].product"},
		{"zero quantity", func(c *Catalog) { c.Packages[0].Benefits[0].Quantity = 0 }, "packages[0].benefits[0].quantity"},
		{"bad benefit type", func(c *Catalog) { c.Packages[0].Benefits[0].BenefitType = "bonus" }, "packages[0].benefits[0].benefitType"},
		{"credit without amount", func(c *Catalog) {
			for i, l := range c.Packages[0].Benefits {
				if l.Kind.IsCredit() {
					c.Packages[0].Benefits[i].Credit = nil
					return
				}
			}
			t.Fatal("no credit line")
		}, ".credit.USD"},
		{"bad sha256", func(c *Catalog) {
			p := c.Products["office-suite-pro"]
			p.Downloads[0].SHA256 = "xyz"
			c.Products["office-suite-pro"] = p
		}, "products.office-suite-pro.downloads[0].sha256"},
		{"software without key source", func(c *Catalog) {
			p := c.Products["office-suite-pro"]
			p.KeySource = ""
			c.Products["office-suite-pro"] = p
		}, "products.office-suite-pro.keySource"},
		{"bad key source", func(c *Catalog) {
			p := c.Products["office-suite-pro"]
			p.KeySource = "magic"
			c.Products["office-suite-pro"] = p
		}, "products.office-suite-pro.keySource"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.edit(c)
			doc, _ := json.Marshal(c)
			_, err := Parse(doc)
			e, ok := apperr.As(err)
			if !ok || e.Code != "catalog_invalid" {
				t.Fatalf("want catalog_invalid, got %v", err)
			}
			for _, f := range e.Fields {
				if f.Field == tc.field || (strings.HasPrefix(tc.field, ".") && strings.HasSuffix(f.Field, tc.field)) {
					return
				}
			}
			t.Errorf("no error for %s in %+v", tc.field, e.Fields)
		})
	}
}

func TestParseRejectsUnknownFieldsAndTrailingData(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": `{"version":"1","currencies":["USD"],"products":{},"packages":[],"colour":"red"}`,
		"trailing":      `{"version":"1","currencies":["USD"],"products":{},"packages":[]} {}`,
		"not json":      `nope`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPackageLookup(t *testing.T) {
	c, _ := Parse(Demo)
	if _, err := c.Package("gold-2026"); err != nil {
		t.Fatalf("gold-2026: %v", err)
	}
	if _, err := c.Package("platinum"); err != ErrPackageNotFound {
		t.Fatalf("want ErrPackageNotFound, got %v", err)
	}
}

func TestInstructionsFallBackToBaseLanguageThenEnglish(t *testing.T) {
	p := Product{Instructions: map[string]string{"en": "EN", "ja": "JA"}}
	for lang, want := range map[string]string{"ja": "JA", "ja-JP": "JA", "JA-jp": "JA", "fr-CA": "EN", "": "EN"} {
		if got := p.InstructionsFor(lang); got != want {
			t.Errorf("%q: got %q want %q", lang, got, want)
		}
	}
	if got := (Product{}).InstructionsFor("en"); got != "" {
		t.Errorf("no instructions: %q", got)
	}
}

func TestDownloads(t *testing.T) {
	c, _ := Parse(Demo)
	p := c.Products["office-suite-pro"]
	d, err := p.Download("ja", "windows-x64")
	if err != nil || !strings.Contains(d.URL, "/ja/windows-x64/") || len(d.SHA256) != 64 {
		t.Fatalf("download: %+v %v", d, err)
	}
	if _, err := p.Download("ja", "linux-x64"); err != ErrDownloadNotAvailable {
		t.Errorf("unknown OS: %v", err)
	}
	langs, oses := p.DownloadOptions()
	if strings.Join(langs, ",") != "de,en,fr,ja" || strings.Join(oses, ",") != "macos-arm64,windows-x64" {
		t.Errorf("options %v %v", langs, oses)
	}
}

func TestDownloadMatchesLanguageTags(t *testing.T) {
	d := func(lang, os string) Download {
		return Download{Language: lang, OS: os, URL: "https://example.com/" + lang + "/" + os, SHA256: strings.Repeat("a", 64)}
	}
	p := Product{Downloads: []Download{d("en", "linux"), d("en-GB", "linux"), d("ja", "linux"), d("fr", "windows")}}
	cases := []struct{ lang, os, want string }{
		{"en-US", "linux", "en"},
		{"en-GB", "linux", "en-GB"}, // the exact tag wins
		{"EN-gb", "LINUX", "en-GB"},
		{"ja-JP", "linux", "ja"},
		{"JA", "linux", "ja"},
		{"en-AU", "linux", "en-GB"}, // the closest English on offer
	}
	for _, tc := range cases {
		got, err := p.Download(tc.lang, tc.os)
		if err != nil || got.Language != tc.want {
			t.Errorf("%s/%s: %v %v, want %s", tc.lang, tc.os, got.Language, err, tc.want)
		}
	}
	for _, tc := range []struct{ lang, os string }{{"de", "linux"}, {"fr", "linux"}, {"en", "macos"}, {"zh-TW", "linux"}} {
		if _, err := p.Download(tc.lang, tc.os); !errors.Is(err, ErrDownloadNotAvailable) {
			t.Errorf("%s/%s: %v, want download_not_available (no English fallback)", tc.lang, tc.os, err)
		}
	}
	for _, bad := range []string{"!!", "", strings.Repeat("a", 40)} {
		if e, ok := apperr.As(func() error { _, err := p.Download(bad, "linux"); return err }()); !ok || e.Code != "validation_failed" {
			t.Errorf("%q: %v, want validation_failed", bad, e)
		}
	}
}
