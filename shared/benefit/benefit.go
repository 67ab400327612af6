// Package benefit is what a partner bought: purchases and the benefit lines
// they carry, with the rules that turn a catalogue package into lines.
package benefit

import (
	"slices"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/money"
)

// PurchaseStatus is active or cancelled.
type PurchaseStatus string

const (
	PurchaseActive    PurchaseStatus = "active"
	PurchaseCancelled PurchaseStatus = "cancelled"
)

// Status is a benefit line's status.
type Status string

const (
	Available Status = "available" // bought, not yet used
	Activated Status = "activated" // a key was taken or support activated
	Pending   Status = "pending"   // GTM offer awaiting the contact's confirmation
	Active    Status = "active"    // GTM offer confirmed
	Revoked   Status = "revoked"   // its purchase was cancelled
	Expired   Status = "expired"   // past its expiry date
)

// Purchase records one bought package.
type Purchase struct {
	ID             string
	PartnerID      string
	PackageID      string
	PackageName    string
	Plan           catalog.Plan
	Status         PurchaseStatus
	PurchasedAt    time.Time
	Price          money.Money
	CatalogVersion string
	CancelledAt    time.Time
}

// Benefit is one line of a purchase. It snapshots the catalogue line, so a
// later catalogue version never changes what was bought.
type Benefit struct {
	ID          string
	PartnerID   string
	PurchaseID  string
	Kind        catalog.Kind
	Product     string
	ProductName string
	// OfferType is a go-to-market offer's type, as its product had it when
	// bought ("Silver core", "Gold core", "ISV co-sell"); "" otherwise.
	OfferType   string
	Quantity    int
	Used        int
	BenefitType catalog.BenefitType
	Status      Status
	CreatedAt   time.Time
	ExpiresAt   time.Time
	// Credit is the per-grant amount in the partner's currency (credit kinds).
	Credit *money.Money
	// Plan is the plan of the package the line was bought with.
	Plan catalog.Plan
	// Key is the product key of a software or licence line once taken (a
	// secret); KeyIssuedAt is when a licence line's key was first shown.
	Key         string
	KeyIssuedAt time.Time
	ActivatedAt time.Time
	// Redemption is set when a licence line's key was redeemed.
	Redemption *Redemption
	// Reminded30 and Reminded7 record when the partner's global admins were
	// told the line expires in 30 or 7 days (zero: not yet).
	Reminded30, Reminded7 time.Time
	// LinkExpiresAt is when a pending go-to-market offer's confirmation link
	// stops working; LinkSentTo is the address it was sent to and LinkHash
	// its token's hash (only the current link confirms).
	LinkExpiresAt time.Time
	LinkSentTo    string
	LinkHash      string
}

// Redemption records where and how a licence key was redeemed, and the
// tenant's subscription right after.
type Redemption struct {
	TenantID          string
	Mode              string
	By                string
	At                time.Time
	Seats             int
	EndDate           time.Time
	TermUnder12Months bool
}

// NewPurchase turns a catalogue package into a purchase and its lines, priced
// in the partner's billing currency. It fails with currency_not_supported if
// the catalogue has no price or credit amount in that currency.
func NewPurchase(partnerID, currency string, cat *catalog.Catalog, packageID string, now time.Time, newID ids.Generator) (Purchase, []Benefit, error) {
	pkg, err := cat.Package(packageID)
	if err != nil {
		return Purchase{}, nil, err
	}
	price, ok := pkg.Price[currency]
	if !ok {
		return Purchase{}, nil, catalog.ErrCurrencyNotSupported
	}
	p := Purchase{
		ID:             newID("pur"),
		PartnerID:      partnerID,
		PackageID:      pkg.ID,
		PackageName:    pkg.Name,
		Plan:           pkg.Plan,
		Status:         PurchaseActive,
		PurchasedAt:    now,
		Price:          money.Money{Amount: price, Currency: currency},
		CatalogVersion: cat.Version,
	}
	lines := make([]Benefit, 0, len(pkg.Benefits))
	for _, l := range pkg.Benefits {
		b := Benefit{
			ID:          newID("ben"),
			PartnerID:   partnerID,
			PurchaseID:  p.ID,
			Kind:        l.Kind,
			Plan:        pkg.Plan,
			Product:     l.Product,
			ProductName: cat.Products[l.Product].Name,
			OfferType:   cat.Products[l.Product].OfferType,
			Quantity:    l.Quantity,
			BenefitType: l.BenefitType,
			Status:      Available,
			CreatedAt:   now,
			ExpiresAt:   AddMonths(now, l.Months()),
		}
		if l.Kind.IsCredit() {
			amount, ok := l.Credit[currency]
			if !ok {
				return Purchase{}, nil, catalog.ErrCurrencyNotSupported
			}
			b.Credit = &money.Money{Amount: amount, Currency: currency}
		}
		lines = append(lines, b)
	}
	return p, lines, nil
}

// AddMonths adds calendar months, clamping to the month's last day, so a
// purchase on 31 January expires on 28/29 February rather than in March.
func AddMonths(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// EffectiveStatus is the status a reader sees at now: a live line past its
// expiry reads as expired even before the daily expiry job has run.
func (b Benefit) EffectiveStatus(now time.Time) Status {
	switch b.Status {
	case Revoked, Expired:
		return b.Status
	}
	if !now.Before(b.ExpiresAt) {
		return Expired
	}
	return b.Status
}

// Errors of rules on a benefit line.
var (
	ErrRevoked = apperr.New(apperr.Conflict, "benefit_revoked", "This benefit was revoked when its purchase was cancelled.")
	ErrExpired = apperr.New(apperr.Conflict, "benefit_expired", "This benefit has expired.")
)

// Usable checks that a line of the expected kind can still be used at now.
// A line of another kind is not found: each route serves one kind, and a
// benefit id of the wrong kind is no more this route's resource than a
// missing one. Errors: apperr.ErrNotFound, ErrRevoked, ErrExpired.
func (b Benefit) Usable(kind catalog.Kind, now time.Time) error {
	if b.Kind != kind {
		return apperr.ErrNotFound
	}
	switch b.EffectiveStatus(now) {
	case Revoked:
		return ErrRevoked
	case Expired:
		return ErrExpired
	}
	return nil
}

// Live reports whether a line can still be used at now: not revoked, not
// expired (by status or by date).
func (b Benefit) Live(now time.Time) bool {
	switch b.EffectiveStatus(now) {
	case Revoked, Expired:
		return false
	}
	return true
}

// Remaining is what is left of a line's quantity.
func (b Benefit) Remaining() int { return max(0, b.Quantity-b.Used) }

// Take is an amount drawn from one line.
type Take struct {
	Line   Benefit
	Amount int
}

// Draw takes n units (incidents, hours) from the live lines of a kind, the
// line that expires first first, so nothing is left to lapse that could
// have been used. It returns the takes, or nil and what is available when
// the lines hold less than n.
func Draw(lines []Benefit, kind catalog.Kind, n int, now time.Time) ([]Take, int) {
	var live []Benefit
	available := 0
	for _, b := range lines {
		if b.Kind == kind && b.Live(now) && b.Remaining() > 0 {
			live = append(live, b)
			available += b.Remaining()
		}
	}
	if available < n {
		return nil, available
	}
	slices.SortStableFunc(live, func(a, b Benefit) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	var takes []Take
	for _, b := range live {
		if n == 0 {
			break
		}
		t := min(n, b.Remaining())
		takes = append(takes, Take{Line: b, Amount: t})
		n -= t
	}
	return takes, available
}

// CreditPeriod is what a credit line's amount is granted for: "month" for a
// monthly credit, "year" (the enrolment year) for an annual one; "" for
// other kinds.
func CreditPeriod(k catalog.Kind) string {
	switch k {
	case catalog.CreditMonthly:
		return "month"
	case catalog.CreditAnnual:
		return "year"
	}
	return ""
}
