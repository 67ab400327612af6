// Package support holds the rules of the technical product-support benefit:
// a partner activates support once and gets an Access ID and a Contract ID,
// which every user of the partner then sees; incidents are opened against
// the support lines' incident counts.
package support

import (
	"cmp"
	"crypto/rand"
	"slices"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
)

// Activation is a partner's support contract.
type Activation struct {
	AccessID    string
	ContractID  string
	ActivatedAt time.Time
	ActivatedBy string
}

// Errors of the support rules; the codes are the API's.
var (
	ErrNoEligiblePlan   = apperr.New(apperr.Conflict, "no_eligible_plan", "Support needs an active Gold, Silver or Action Pack purchase.")
	ErrPlanNotEligible  = apperr.New(apperr.Conflict, "plan_not_eligible", "Signature cloud support is part of Gold and Silver only.")
	ErrVersionNotSupp   = apperr.New(apperr.Conflict, "version_not_supported", "Incidents are taken for the current and the previous version of an on-premises product only.")
	ErrNotActivated     = apperr.New(apperr.Conflict, "support_not_activated", "Activate product support first: on-premises, Azure and Dynamics incidents need the Access ID and Contract ID.")
	ErrNoIncidentsLeft  = apperr.New(apperr.Conflict, "no_incidents_left", "Every support incident of the partner's packages has been used.")
	ErrUnknownProduct   = field("product", apperr.UnknownValue, "not an on-premises product of the catalogue")
	ErrBadCategory      = field("category", apperr.UnknownValue, "must be one of cloud, on-premises, azure, azure-csp, dynamics")
	ErrMissingProduct   = field("product", apperr.Required, "required: 1 to 100 characters")
	ErrMissingVersion   = field("productVersion", apperr.Required, "required for on-premises incidents")
	eligiblePlans       = []catalog.Plan{catalog.Gold, catalog.Silver, catalog.ActionPack}
	signatureCloudPlans = []catalog.Plan{catalog.Gold, catalog.Silver}
)

func field(name, code, msg string) error {
	var f apperr.Fields
	f.Add(name, code, msg)
	return f.Err()
}

// hasPlan reports an active purchase of one of the plans.
func hasPlan(purchases []benefit.Purchase, plans []catalog.Plan) bool {
	return slices.ContainsFunc(purchases, func(p benefit.Purchase) bool {
		return p.Status == benefit.PurchaseActive && slices.Contains(plans, p.Plan)
	})
}

// Eligible is the activation rule: an active Gold, Silver or Action Pack
// purchase.
func Eligible(purchases []benefit.Purchase) error {
	if !hasPlan(purchases, eligiblePlans) {
		return ErrNoEligiblePlan
	}
	return nil
}

// Activate makes the partner's contract ids. Both are random, so they say
// nothing about the partner and cannot be guessed.
func Activate(by string, now time.Time) Activation {
	return Activation{AccessID: "AID-" + code(4) + "-" + code(4), ContractID: "CTR-" + code(4) + "-" + code(4) + "-" + code(4),
		ActivatedAt: now, ActivatedBy: by}
}

// code is n characters of an alphabet without look-alikes (no 0/O, 1/I).
func code(n int) string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Category is what an incident is about.
type Category string

const (
	Cloud      Category = "cloud"       // signature cloud support: Gold and Silver only
	OnPremises Category = "on-premises" // a catalogue product, current or previous version
	Azure      Category = "azure"       // Azure bought direct (not through a CSP)
	AzureCSP   Category = "azure-csp"   // Azure through a CSP: the CSP supports it first
	Dynamics   Category = "dynamics"
)

// MaxProduct bounds an incident's product, in characters; its
// productVersion has an on-premises product's bound,
// catalog.MaxProductVersionLen.
const MaxProduct = 100

var categories = []Category{Cloud, OnPremises, Azure, AzureCSP, Dynamics}

// Incident is one support request.
type Incident struct {
	ID             string
	PartnerID      string
	Category       Category
	Product        string
	ProductVersion string
	BenefitID      string // the support line it was counted against
	OpenedBy       string
	OpenedAt       time.Time
}

// CheckIncident applies the incident rules to what the partner has. It
// returns the line to count the incident against.
// Errors: the field errors, ErrPlanNotEligible, ErrVersionNotSupp,
// ErrNotActivated, ErrNoEligiblePlan, ErrNoIncidentsLeft.
func CheckIncident(in Incident, purchases []benefit.Purchase, lines []benefit.Benefit, activated bool, cat *catalog.Catalog, now time.Time) (benefit.Benefit, error) {
	if !slices.Contains(categories, in.Category) {
		return benefit.Benefit{}, ErrBadCategory
	}
	var f apperr.Fields
	f.Long("product", in.Product, MaxProduct)
	f.Long("productVersion", in.ProductVersion, catalog.MaxProductVersionLen)
	if err := f.Err(); err != nil {
		return benefit.Benefit{}, err
	}
	if strings.TrimSpace(in.Product) == "" {
		return benefit.Benefit{}, ErrMissingProduct
	}
	if err := Eligible(purchases); err != nil {
		return benefit.Benefit{}, err
	}
	switch in.Category {
	case Cloud:
		if !hasPlan(purchases, signatureCloudPlans) {
			return benefit.Benefit{}, ErrPlanNotEligible
		}
	case OnPremises:
		p, ok := cat.Products[in.Product]
		if !ok || len(p.Versions) == 0 {
			return benefit.Benefit{}, ErrUnknownProduct
		}
		if strings.TrimSpace(in.ProductVersion) == "" {
			return benefit.Benefit{}, ErrMissingVersion
		}
		if !p.SupportsVersion(in.ProductVersion) {
			return benefit.Benefit{}, ErrVersionNotSupp.With("supportedVersions", p.SupportedVersions())
		}
	}
	if NeedsActivation(in.Category) && !activated {
		return benefit.Benefit{}, ErrNotActivated
	}
	takes, _ := benefit.Draw(lines, catalog.Support, 1, now)
	if len(takes) == 0 {
		return benefit.Benefit{}, ErrNoIncidentsLeft
	}
	return takes[0].Line, nil
}

// NeedsActivation: on-premises, Azure (non-CSP) and Dynamics incidents are
// opened with the Access ID and Contract ID.
func NeedsActivation(c Category) bool { return c == OnPremises || c == Azure || c == Dynamics }

// Pick is an on-premises product an incident may be opened for, with the
// versions it is taken for: the pick list a caller chooses from instead of
// typing ids.
type Pick struct {
	ID, Name string
	Versions []string
}

// PickList is the catalogue's on-premises products (those with versions),
// by name.
func PickList(cat *catalog.Catalog) []Pick {
	var out []Pick
	for id, p := range cat.Products {
		if len(p.Versions) > 0 {
			out = append(out, Pick{ID: id, Name: p.Name, Versions: p.SupportedVersions()})
		}
	}
	slices.SortFunc(out, func(a, b Pick) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out
}
