// Package catalog is what the program sells: products, plans and packages
// with their benefit lines and prices. It is data published by the program
// operator as versioned documents, never code; this package parses and
// validates a document and answers questions about it.
package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"github.com/pbs/benefits/shared/apperr"
)

// Kind is a benefit kind.
type Kind string

const (
	Software      Kind = "software"
	CreditMonthly Kind = "credit-monthly"
	CreditAnnual  Kind = "credit-annual"
	License       Kind = "license"
	VisualStudio  Kind = "visual-studio"
	Support       Kind = "support"
	AdvisoryHours Kind = "advisory-hours"
	GTMOffer      Kind = "gtm-offer"
)

// Kinds lists every kind, in dashboard tab order.
var Kinds = []Kind{Software, CreditMonthly, CreditAnnual, License, VisualStudio, Support, AdvisoryHours, GTMOffer}

// IsCredit reports the two cloud-credit kinds, whose lines carry amounts.
func (k Kind) IsCredit() bool { return k == CreditMonthly || k == CreditAnnual }

// Plan is a membership plan.
type Plan string

const (
	ActionPack Plan = "action-pack"
	Silver     Plan = "silver"
	Gold       Plan = "gold"
)

// Plans lists every plan.
var Plans = []Plan{ActionPack, Silver, Gold}

// BenefitType is core or incremental.
type BenefitType string

const (
	Core        BenefitType = "core"
	Incremental BenefitType = "incremental"
)

// KeySource says where a software or licence key comes from.
type KeySource string

const (
	KeyFromPool KeySource = "pool"   // imported by the operator, handed out once
	KeySigned   KeySource = "signed" // generated on demand, verifiable offline
)

// Money is an amount in minor units per ISO 4217 currency code.
type Money map[string]int64

// Catalog is one published catalogue version.
type Catalog struct {
	Version    string             `json:"version"`
	Currencies []string           `json:"currencies"`
	Products   map[string]Product `json:"products"`
	Packages   []Package          `json:"packages"`
}

// Product is something a benefit line refers to.
type Product struct {
	Name         string            `json:"name"`
	Kind         Kind              `json:"kind"`
	KeySource    KeySource         `json:"keySource,omitempty"`
	Instructions map[string]string `json:"instructions,omitempty"` // by language
	Downloads    []Download        `json:"downloads,omitempty"`
	// PortalURL is where a licence product's key is redeemed (license).
	PortalURL string `json:"portalUrl,omitempty"`
	// Versions are the supported versions of an on-premises product, newest
	// first: support incidents are taken for the first two (current and
	// previous).
	Versions []string `json:"versions,omitempty"`
	// OfferType is a go-to-market offer's type ("Silver core", "Gold core",
	// "ISV co-sell ready"), and ActiveMonths how long it stays active once
	// its marketing contact confirmed it (default 12).
	OfferType    string `json:"offerType,omitempty"`
	ActiveMonths int    `json:"activeMonths,omitempty"`
}

// OfferMonths is how long a confirmed go-to-market offer stays active.
func (p Product) OfferMonths() int {
	if p.ActiveMonths > 0 {
		return p.ActiveMonths
	}
	return DefaultValidityMonths
}

// SupportsVersion reports whether incidents are taken for an on-premises
// product version: the current one or the one before.
func (p Product) SupportsVersion(v string) bool {
	return slices.Contains(p.Versions[:min(2, len(p.Versions))], v)
}

// Download is one installable image of a software product.
type Download struct {
	Language string `json:"language"`
	OS       string `json:"os"`
	URL      string `json:"url"`
	SHA256   string `json:"sha256"`
}

// Package is what a partner buys for a plan.
type Package struct {
	ID       string `json:"id"`
	Plan     Plan   `json:"plan"`
	Name     string `json:"name"`
	Price    Money  `json:"price"`
	Benefits []Line `json:"benefits"`
}

// Line is one benefit of a package.
type Line struct {
	Kind        Kind        `json:"kind"`
	Product     string      `json:"product"`
	Quantity    int         `json:"quantity"`
	BenefitType BenefitType `json:"benefitType"`
	// Credit is the amount granted per month (credit-monthly) or per
	// enrolment year (credit-annual), per currency.
	Credit Money `json:"credit,omitempty"`
	// ValidityMonths overrides the default 12-month expiry.
	ValidityMonths int `json:"validityMonths,omitempty"`
}

// DefaultValidityMonths is the default expiry: purchase + 12 months.
const DefaultValidityMonths = 12

// Bounds of a catalogue (docs/domain.md). They keep every sum the service
// keeps in an int64: a monthly credit's balance is at most MaxAmount ×
// MaxQuantity × (MaxMonths+1) ≈ 6.1×10^18 < 2^63.
const (
	// MaxAmount bounds each price and credit amount, in minor units
	// (10 billion USD; about 60 million USD in currencies like IDR).
	MaxAmount = 1_000_000_000_000
	// MaxQuantity bounds a line's seats, keys, incidents or hours.
	MaxQuantity = 100_000
	// MaxMonths bounds a line's validity and an offer's active months.
	MaxMonths = 60
)

// Months returns the line's validity in months.
func (l Line) Months() int {
	if l.ValidityMonths > 0 {
		return l.ValidityMonths
	}
	return DefaultValidityMonths
}

// Errors returned by catalogue look-ups.
var (
	ErrPackageNotFound      = apperr.New(apperr.Unprocessable, "package_not_found", "No package with that id in the current catalogue.")
	ErrCurrencyNotSupported = apperr.New(apperr.Unprocessable, "currency_not_supported", "The catalogue has no prices in that currency.")
	ErrProductNotFound      = apperr.New(apperr.NotFound, "product_not_found", "No product with that id in the current catalogue.")
)

// Package returns the package with the given id.
func (c *Catalog) Package(id string) (Package, error) {
	for _, p := range c.Packages {
		if p.ID == id {
			return p, nil
		}
	}
	return Package{}, ErrPackageNotFound
}

// SupportsCurrency reports whether every price and credit exists in cur.
func (c *Catalog) SupportsCurrency(cur string) bool { return slices.Contains(c.Currencies, cur) }

// Parse decodes and validates a catalogue document. Unknown fields are
// rejected so a typo in the operator's file cannot silently drop data.
func Parse(doc []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, invalid(apperr.Fields{{Field: "", Message: "not a catalogue document: " + err.Error()}})
	}
	if dec.More() {
		return nil, invalid(apperr.Fields{{Field: "", Message: "trailing data after the document"}})
	}
	if errs := c.Validate(); len(errs) > 0 {
		return nil, invalid(errs)
	}
	return &c, nil
}

func invalid(f apperr.Fields) error {
	return &apperr.Error{Kind: apperr.Unprocessable, Code: "catalog_invalid", Message: "The catalogue document is invalid.", Fields: f}
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// Ids, versions and digests are checked byte by byte (shaped) rather than
// with regexps: compiling their {0,62}-style repetitions cost every cold
// start about 0.3 ms and 130 KB, and Validate runs on each catalogue read.
const (
	lowerDigits = "abcdefghijklmnopqrstuvwxyz0123456789"
	alphaDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + lowerDigits
	hexDigits   = "0123456789abcdef"
)

// Maxima of the catalogue's strings in characters, the maxLength of the
// OpenAPI document; over one is catalog_invalid with the field's code
// too_long. With the body limit of POST /v1/admin/catalog they keep the
// document, stored in one item, well under DynamoDB's 400 KB.
const (
	MaxIDLen             = 63   // product and package ids
	MaxVersionLen        = 64   // the document's version label
	MaxNameLen           = 256  // product and package names
	MaxInstructionsLen   = 4000 // one language's instructions
	MaxLanguageLen       = 35   // BCP 47 tags
	MaxOSLen             = 32
	MaxURLLen            = 2048
	MaxOfferTypeLen      = 64
	MaxProductVersionLen = 32 // an on-premises product's versions (and an incident's productVersion)
)

// validID is ^[a-z0-9][a-z0-9-]{0,62}$.
func validID(s string) bool { return shaped(s, 63, lowerDigits, lowerDigits+"-") }

// validVersion is ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.
func validVersion(s string) bool { return shaped(s, 64, alphaDigits, alphaDigits+"._-") }

// validSHA256 is ^[0-9a-f]{64}$.
func validSHA256(s string) bool { return len(s) == 64 && shaped(s, 64, hexDigits, hexDigits) }

// shaped reports whether s has 1 to maxLen bytes, the first one of first and
// the others of rest: the regexp ^[first][rest]{0,maxLen-1}$ for ASCII sets.
func shaped(s string, maxLen int, first, rest string) bool {
	if len(s) == 0 || len(s) > maxLen || strings.IndexByte(first, s[0]) < 0 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if strings.IndexByte(rest, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Validate lists every problem in the document.
func (c *Catalog) Validate() apperr.Fields {
	var f apperr.Fields
	if !f.Long("version", c.Version, MaxVersionLen) && !validVersion(c.Version) {
		f.Add("version", "required: 1 to 64 letters, digits and . _ -")
	}
	if len(c.Currencies) == 0 {
		f.Add("currencies", "at least one currency is required")
	}
	for i, cur := range c.Currencies {
		if at := fmt.Sprintf("currencies[%d]", i); !f.Long(at, cur, 3) && !currencyRE.MatchString(cur) {
			f.Add(at, "must be an ISO 4217 code such as USD")
		}
	}
	for _, id := range slices.Sorted(maps.Keys(c.Products)) {
		p := c.Products[id]
		at := "products." + id
		if len(id) > MaxIDLen {
			at = "products." + strings.ToValidUTF8(id[:MaxIDLen], "") + "…" // not the whole key in every error
			f.Long(at, id, MaxIDLen)
		} else if !validID(id) {
			f.Add(at, "product ids are lowercase letters, digits and dashes")
		}
		if !f.Long(at+".name", p.Name, MaxNameLen) && strings.TrimSpace(p.Name) == "" {
			f.Add(at+".name", "required")
		}
		for _, lang := range slices.Sorted(maps.Keys(p.Instructions)) {
			if !f.Long(at+".instructions", lang, MaxLanguageLen) {
				f.Long(at+".instructions."+lang, p.Instructions[lang], MaxInstructionsLen)
			}
		}
		if !slices.Contains(Kinds, p.Kind) {
			f.Add(at+".kind", "unknown benefit kind")
		}
		switch {
		case p.KeySource != "" && p.KeySource != KeyFromPool && p.KeySource != KeySigned:
			f.Add(at+".keySource", "must be pool or signed")
		case p.KeySource == "" && (p.Kind == Software || p.Kind == License):
			// A key-bearing product must say where its keys come from.
			f.Add(at+".keySource", "required for software and license products: pool or signed")
		}
		if !f.Long(at+".offerType", p.OfferType, MaxOfferTypeLen) && p.Kind == GTMOffer && strings.TrimSpace(p.OfferType) == "" {
			f.Add(at+".offerType", "required for gtm-offer products, e.g. Gold core")
		}
		if p.ActiveMonths < 0 || p.ActiveMonths > MaxMonths {
			f.Add(at+".activeMonths", "must be between 1 and 60 when given")
		}
		for j, v := range p.Versions {
			if vat := fmt.Sprintf("%s.versions[%d]", at, j); !f.Long(vat, v, MaxProductVersionLen) && strings.TrimSpace(v) == "" {
				f.Add(vat, "1 to 32 characters")
			}
		}
		if !f.Long(at+".portalUrl", p.PortalURL, MaxURLLen) && p.PortalURL != "" && !strings.HasPrefix(p.PortalURL, "https://") {
			f.Add(at+".portalUrl", "must be an https URL")
		}
		for j, d := range p.Downloads {
			dat := fmt.Sprintf("%s.downloads[%d]", at, j)
			long := f.Long(dat+".language", d.Language, MaxLanguageLen)
			long = f.Long(dat+".os", d.OS, MaxOSLen) || long
			if !long && (d.Language == "" || d.OS == "") {
				f.Add(dat, "language and os are required")
			}
			if !f.Long(dat+".url", d.URL, MaxURLLen) && !strings.HasPrefix(d.URL, "https://") {
				f.Add(dat+".url", "must be an https URL")
			}
			if !f.Long(dat+".sha256", d.SHA256, 64) && !validSHA256(d.SHA256) {
				f.Add(dat+".sha256", "must be 64 lowercase hex digits")
			}
		}
	}
	seen := map[string]bool{}
	for i, p := range c.Packages {
		at := fmt.Sprintf("packages[%d]", i)
		switch {
		case f.Long(at+".id", p.ID, MaxIDLen):
		case !validID(p.ID):
			f.Add(at+".id", "package ids are lowercase letters, digits and dashes")
		case seen[p.ID]:
			f.Add(at+".id", "duplicate package id")
		}
		seen[p.ID] = true
		if !slices.Contains(Plans, p.Plan) {
			f.Add(at+".plan", "must be action-pack, silver or gold")
		}
		if !f.Long(at+".name", p.Name, MaxNameLen) && strings.TrimSpace(p.Name) == "" {
			f.Add(at+".name", "required")
		}
		c.checkMoney(&f, at+".price", p.Price)
		if len(p.Benefits) == 0 {
			f.Add(at+".benefits", "a package needs at least one benefit line")
		}
		for j, l := range p.Benefits {
			c.checkLine(&f, fmt.Sprintf("%s.benefits[%d]", at, j), l)
		}
	}
	return f
}

func (c *Catalog) checkLine(f *apperr.Fields, at string, l Line) {
	if !slices.Contains(Kinds, l.Kind) {
		f.Add(at+".kind", "unknown benefit kind")
	}
	switch p, ok := c.Products[l.Product]; {
	case f.Long(at+".product", l.Product, MaxIDLen):
	case !ok:
		f.Add(at+".product", "not in products")
	case p.Kind != l.Kind:
		f.Add(at+".product", fmt.Sprintf("product is of kind %s, line is %s", p.Kind, l.Kind))
	}
	if l.Quantity < 1 || l.Quantity > MaxQuantity {
		f.Add(at+".quantity", fmt.Sprintf("must be between 1 and %d", MaxQuantity))
	}
	if l.BenefitType != Core && l.BenefitType != Incremental {
		f.Add(at+".benefitType", "must be core or incremental")
	}
	if l.Kind.IsCredit() {
		c.checkMoney(f, at+".credit", l.Credit)
	} else if len(l.Credit) > 0 {
		f.Add(at+".credit", "only credit lines carry an amount")
	}
	if l.ValidityMonths < 0 || l.ValidityMonths > MaxMonths {
		f.Add(at+".validityMonths", "must be between 1 and 60 when given")
	}
}

// checkMoney requires an amount from 0 to MaxAmount for every catalogue currency.
func (c *Catalog) checkMoney(f *apperr.Fields, at string, m Money) {
	for _, cur := range c.Currencies {
		v, ok := m[cur]
		if !ok {
			f.Add(at+"."+cur, "missing amount for this currency")
		} else if v < 0 || v > MaxAmount {
			f.Add(at+"."+cur, fmt.Sprintf("must be between 0 and %d minor units", MaxAmount))
		}
	}
	for _, cur := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(c.Currencies, cur) {
			f.Add(at+"."+cur, "currency not listed in currencies")
		}
	}
}

// InstructionsFor picks the instructions in the caller's language: the exact
// tag, then its base language (ja-JP → ja), then English.
func (p Product) InstructionsFor(lang string) string {
	return pickLanguage(p.Instructions, lang)
}

func pickLanguage(texts map[string]string, lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	for _, l := range []string{lang, strings.SplitN(lang, "-", 2)[0], "en"} {
		for k, v := range texts {
			if strings.ToLower(k) == l {
				return v
			}
		}
	}
	return ""
}

// ErrDownloadNotAvailable is returned for a language and OS not on offer.
var ErrDownloadNotAvailable = apperr.New(apperr.NotFound, "download_not_available", "No download for that language and operating system.")

// Download returns the image for a language and OS. The language is a BCP
// 47 tag matched the way Accept-Language negotiation does: an exact tag
// wins, else the closest language offered for that OS if it is a close
// match (en-US and en-GB get en, ja-JP gets ja, de-AT gets de); a language
// with no close match is not offered rather than silently replaced by
// English. The chosen language is the result's Language.
// Errors: a validation error for a malformed tag, ErrDownloadNotAvailable.
func (p Product) Download(lang, os string) (Download, error) {
	want, err := language.Parse(lang)
	if err != nil || len(lang) > 35 {
		var f apperr.Fields
		f.Add("language", "must be a BCP 47 language tag such as en-US or ja")
		return Download{}, f.Err()
	}
	var (
		offered []Download
		tags    []language.Tag
	)
	for _, d := range p.Downloads {
		if !strings.EqualFold(d.OS, os) {
			continue
		}
		if strings.EqualFold(d.Language, lang) {
			return d, nil
		}
		if t, err := language.Parse(d.Language); err == nil {
			offered, tags = append(offered, d), append(tags, t)
		}
	}
	if len(tags) == 0 {
		return Download{}, ErrDownloadNotAvailable
	}
	// The matcher always names a candidate (its first as a fallback); only
	// a High or Exact confidence is the same language.
	if _, i, conf := language.NewMatcher(tags).Match(want); conf >= language.High {
		return offered[i], nil
	}
	return Download{}, ErrDownloadNotAvailable
}

// DownloadOptions lists the languages and operating systems on offer, sorted.
func (p Product) DownloadOptions() (languages, oses []string) {
	seenL, seenO := map[string]bool{}, map[string]bool{}
	for _, d := range p.Downloads {
		if !seenL[d.Language] {
			seenL[d.Language] = true
			languages = append(languages, d.Language)
		}
		if !seenO[d.OS] {
			seenO[d.OS] = true
			oses = append(oses, d.OS)
		}
	}
	slices.Sort(languages)
	slices.Sort(oses)
	return languages, oses
}
