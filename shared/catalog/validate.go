package catalog

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pbs/benefits/shared/apperr"
)

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

// Validate lists every problem in the document. Each rule below adds its
// field errors; they run in document order (version, currencies, products
// by id, packages) so the list reads top to bottom like the file.
func (c *Catalog) Validate() apperr.Fields {
	var f apperr.Fields
	checkText(&f, "version", c.Version, MaxVersionLen, validVersion, "required: 1 to 64 letters, digits and . _ -")
	c.checkCurrencies(&f)
	for _, id := range slices.Sorted(maps.Keys(c.Products)) {
		checkProduct(&f, id, c.Products[id])
	}
	seen := map[string]bool{}
	for i, p := range c.Packages {
		c.checkPackage(&f, fmt.Sprintf("packages[%d]", i), p, seen)
	}
	return f
}

// checkText records too_long when s has more than maxLen characters, else
// msg when ok refuses s: the shape of most of the document's strings.
func checkText(f *apperr.Fields, at, s string, maxLen int, ok func(string) bool, msg string) {
	if !f.Long(at, s, maxLen) && !ok(s) {
		code := apperr.Format
		if strings.TrimSpace(s) == "" {
			code = apperr.Required
		}
		f.Add(at, code, msg)
	}
}

func notBlank(s string) bool { return strings.TrimSpace(s) != "" }

func httpsURL(s string) bool { return strings.HasPrefix(s, "https://") }

func (c *Catalog) checkCurrencies(f *apperr.Fields) {
	if len(c.Currencies) == 0 {
		f.Add("currencies", apperr.Required, "at least one currency is required")
	}
	for i, cur := range c.Currencies {
		checkText(f, fmt.Sprintf("currencies[%d]", i), cur, 3, currencyRE.MatchString, "must be an ISO 4217 code such as USD")
	}
}

// checkProduct runs the rules of one product.
func checkProduct(f *apperr.Fields, id string, p Product) {
	at := checkProductID(f, id)
	checkText(f, at+".name", p.Name, MaxNameLen, notBlank, "required")
	checkInstructions(f, at, p.Instructions)
	checkKind(f, at+".kind", p.Kind)
	checkKeySource(f, at+".keySource", p)
	checkOffer(f, at, p)
	for j, v := range p.Versions {
		checkText(f, fmt.Sprintf("%s.versions[%d]", at, j), v, MaxProductVersionLen, notBlank, "1 to 32 characters")
	}
	optionalHTTPS := func(s string) bool { return s == "" || httpsURL(s) }
	checkText(f, at+".portalUrl", p.PortalURL, MaxURLLen, optionalHTTPS, "must be an https URL")
	for j, d := range p.Downloads {
		checkDownload(f, fmt.Sprintf("%s.downloads[%d]", at, j), d)
	}
}

// checkProductID returns the prefix of the product's fields, products.<id>.
func checkProductID(f *apperr.Fields, id string) string {
	at := "products." + id
	if len(id) > MaxIDLen {
		at = "products." + strings.ToValidUTF8(id[:MaxIDLen], "") + "…" // not the whole key in every error
		f.Long(at, id, MaxIDLen)
	} else if !validID(id) {
		f.Add(at, apperr.Format, "product ids are lowercase letters, digits and dashes")
	}
	return at
}

func checkInstructions(f *apperr.Fields, at string, texts map[string]string) {
	for _, lang := range slices.Sorted(maps.Keys(texts)) {
		if !f.Long(at+".instructions", lang, MaxLanguageLen) {
			f.Long(at+".instructions."+lang, texts[lang], MaxInstructionsLen)
		}
	}
}

func checkKind(f *apperr.Fields, at string, k Kind) {
	if !slices.Contains(Kinds, k) {
		f.Add(at, apperr.UnknownValue, "unknown benefit kind")
	}
}

func checkKeySource(f *apperr.Fields, at string, p Product) {
	switch p.KeySource {
	case KeyFromPool, KeySigned:
	case "":
		// A key-bearing product must say where its keys come from.
		if p.Kind == Software || p.Kind == License {
			f.Add(at, apperr.Required, "required for software and license products: pool or signed")
		}
	default:
		f.Add(at, apperr.UnknownValue, "must be pool or signed")
	}
}

// checkOffer: a go-to-market offer names its type; its active months, like
// a line's validity, are optional and bounded.
func checkOffer(f *apperr.Fields, at string, p Product) {
	named := func(s string) bool { return p.Kind != GTMOffer || notBlank(s) }
	checkText(f, at+".offerType", p.OfferType, MaxOfferTypeLen, named, "required for gtm-offer products, e.g. Gold core")
	checkMonths(f, at+".activeMonths", p.ActiveMonths)
}

func checkMonths(f *apperr.Fields, at string, months int) {
	if months < 0 || months > MaxMonths {
		f.Add(at, apperr.OutOfRange, "must be between 1 and 60 when given")
	}
}

func checkDownload(f *apperr.Fields, at string, d Download) {
	long := f.Long(at+".language", d.Language, MaxLanguageLen)
	long = f.Long(at+".os", d.OS, MaxOSLen) || long
	if !long && (d.Language == "" || d.OS == "") {
		f.Add(at, apperr.Required, "language and os are required")
	}
	checkText(f, at+".url", d.URL, MaxURLLen, httpsURL, "must be an https URL")
	checkText(f, at+".sha256", d.SHA256, 64, validSHA256, "must be 64 lowercase hex digits")
}

// checkPackage runs the rules of one package; seen holds the ids before it.
func (c *Catalog) checkPackage(f *apperr.Fields, at string, p Package, seen map[string]bool) {
	checkPackageID(f, at+".id", p.ID, seen)
	if !slices.Contains(Plans, p.Plan) {
		f.Add(at+".plan", apperr.UnknownValue, "must be action-pack, silver or gold")
	}
	checkText(f, at+".name", p.Name, MaxNameLen, notBlank, "required")
	c.checkMoney(f, at+".price", p.Price)
	switch {
	case len(p.Benefits) == 0:
		f.Add(at+".benefits", apperr.Required, "a package needs at least one benefit line")
	case p.Items() > MaxPackageItems:
		f.Add(at+".benefits", apperr.OutOfRange, fmt.Sprintf("at most %d items: one per line and one more per credit line, so that buying and cancelling each fit in one transaction", MaxPackageItems))
	}
	for j, l := range p.Benefits {
		c.checkLine(f, fmt.Sprintf("%s.benefits[%d]", at, j), l)
	}
}

func checkPackageID(f *apperr.Fields, at, id string, seen map[string]bool) {
	switch {
	case f.Long(at, id, MaxIDLen):
	case !validID(id):
		f.Add(at, apperr.Format, "package ids are lowercase letters, digits and dashes")
	case seen[id]:
		f.Add(at, apperr.Duplicate, "duplicate package id")
	}
	seen[id] = true
}

func (c *Catalog) checkLine(f *apperr.Fields, at string, l Line) {
	checkKind(f, at+".kind", l.Kind)
	c.checkLineProduct(f, at+".product", l)
	if l.Quantity < 1 || l.Quantity > MaxQuantity {
		f.Add(at+".quantity", apperr.OutOfRange, fmt.Sprintf("must be between 1 and %d", MaxQuantity))
	}
	if l.BenefitType != Core && l.BenefitType != Incremental {
		f.Add(at+".benefitType", apperr.UnknownValue, "must be core or incremental")
	}
	c.checkCredit(f, at+".credit", l)
	checkMonths(f, at+".validityMonths", l.ValidityMonths)
}

// checkLineProduct: a line names a product of the catalogue, of its kind.
func (c *Catalog) checkLineProduct(f *apperr.Fields, at string, l Line) {
	switch p, ok := c.Products[l.Product]; {
	case f.Long(at, l.Product, MaxIDLen):
	case !ok:
		f.Add(at, apperr.UnknownValue, "not in products")
	case p.Kind != l.Kind:
		f.Add(at, apperr.UnknownValue, fmt.Sprintf("product is of kind %s, line is %s", p.Kind, l.Kind))
	}
}

// checkCredit: credit lines carry an amount per currency, other lines none.
func (c *Catalog) checkCredit(f *apperr.Fields, at string, l Line) {
	if l.Kind.IsCredit() {
		c.checkMoney(f, at, l.Credit)
	} else if len(l.Credit) > 0 {
		f.Add(at, apperr.UnknownValue, "only credit lines carry an amount")
	}
}

// checkMoney requires an amount from 0 to MaxAmount for every catalogue currency.
func (c *Catalog) checkMoney(f *apperr.Fields, at string, m Money) {
	for _, cur := range c.Currencies {
		v, ok := m[cur]
		if !ok {
			f.Add(at+"."+cur, apperr.Required, "missing amount for this currency")
		} else if v < 0 || v > MaxAmount {
			f.Add(at+"."+cur, apperr.OutOfRange, fmt.Sprintf("must be between 0 and %d minor units", MaxAmount))
		}
	}
	for _, cur := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(c.Currencies, cur) {
			f.Add(at+"."+cur, apperr.UnknownValue, "currency not listed in currencies")
		}
	}
}
