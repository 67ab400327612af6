// Package catalog is what the program sells: products, plans and packages
// with their benefit lines and prices. It is data published by the program
// operator as versioned documents, never code; this package parses and
// validates a document and answers questions about it.
package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	return slices.Contains(p.SupportedVersions(), v)
}

// SupportedVersions are the versions incidents are taken for: the current
// one and the one before (none for a product without versions).
func (p Product) SupportedVersions() []string { return p.Versions[:min(2, len(p.Versions))] }

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
	// MaxPackageItems bounds the items a package's purchase writes per
	// line: one per line and one more per credit line (its credit state).
	// Buying writes them with 5 more (the purchase, the partner check, the
	// receipt, the audit event, an Idempotency-Key claim) and cancelling
	// revokes them with 5 more (the purchase, both copies of the service
	// request, the mail, the audit event), so both fit in one DynamoDB
	// transaction of at most 100 actions.
	MaxPackageItems = 95
)

// Items is what buying the package writes per line (MaxPackageItems).
func (p Package) Items() int {
	n := len(p.Benefits)
	for _, l := range p.Benefits {
		if l.Kind.IsCredit() {
			n++
		}
	}
	return n
}

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
		return nil, invalid(apperr.Fields{{Field: "", Code: apperr.Format, Message: "not a catalogue document: " + err.Error()}})
	}
	if dec.More() {
		return nil, invalid(apperr.Fields{{Field: "", Code: apperr.Format, Message: "trailing data after the document"}})
	}
	if errs := c.Validate(); len(errs) > 0 {
		return nil, invalid(errs)
	}
	return &c, nil
}

// Decode reads a catalogue that was published: its shape only, not the
// rules of Validate, which it passed when it was published. A rule added
// since (a new bound) must not take a live catalogue, and with it every
// purchase and dashboard, down on deploy; it applies to the next version.
func Decode(doc []byte) (*Catalog, error) {
	var c Catalog
	if err := json.Unmarshal(doc, &c); err != nil {
		return nil, fmt.Errorf("catalog: stored document: %w", err)
	}
	return &c, nil
}

func invalid(f apperr.Fields) error {
	return &apperr.Error{Kind: apperr.Unprocessable, Code: "catalog_invalid", Message: "The catalogue document is invalid.", Fields: f}
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
		f.Add("language", apperr.Format, "must be a BCP 47 language tag such as en-US or ja")
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
