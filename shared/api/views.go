package api

import (
	"slices"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/dashboard"
	"github.com/pbs/benefits/shared/money"
	"github.com/pbs/benefits/shared/partner"
)

// Views are the JSON shapes of api/openapi.yaml; domain types never carry JSON tags.

// page is one page of a list: its items and the cursor of the next page.
type page[V any] struct {
	Items      []V    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// pageOf views a page of items (never a null list).
func pageOf[T, V any](items []T, next string, view func(T) V) page[V] {
	p := page[V]{Items: make([]V, len(items)), NextCursor: next}
	for i, it := range items {
		p.Items[i] = view(it)
	}
	return p
}

type purchaseView struct {
	ID          string    `json:"id"`
	PackageID   string    `json:"packageId"`
	Plan        string    `json:"plan"`
	Status      string    `json:"status"`
	PurchasedAt time.Time `json:"purchasedAt"`
}

type benefitView struct {
	ID          string    `json:"id"`
	PurchaseID  string    `json:"purchaseId"`
	Kind        string    `json:"kind"`
	Product     string    `json:"product"`
	ProductName string    `json:"productName,omitempty"`
	Plan        string    `json:"plan"`
	Quantity    int       `json:"quantity"`
	Used        int       `json:"used"`
	BenefitType string    `json:"benefitType"`
	Status      string    `json:"status"`
	ExpiresAt   time.Time `json:"expiresAt"`
	// Credit lines: the amount granted per seat each creditPeriod
	// ("month", or "year": the enrolment year), in the partner's currency.
	CreditAmount *money.Money `json:"creditAmount,omitempty"`
	CreditPeriod string       `json:"creditPeriod,omitempty"`
	// Go-to-market lines: the offer's type ("Silver core", …).
	OfferType string `json:"offerType,omitempty"`
	// Credit and Visual Studio lines: who holds a seat, and whether the
	// caller does; credit lines: what was granted so far.
	Holders          *[]holderView `json:"holders,omitempty"`
	AssignedToCaller *bool         `json:"assignedToCaller,omitempty"`
	Balance          *money.Money  `json:"balance,omitempty"`
	// Licence lines, once redeemed: where, how and by whom.
	Redemption *redemptionView `json:"redemption,omitempty"`
}

type holderView struct {
	UserID      string    `json:"userId"`
	Email       string    `json:"email"`
	DisplayName string    `json:"displayName"`
	AssignedAt  time.Time `json:"assignedAt"`
}

// purchaseDetail is POST /v1/purchases and GET /v1/purchases/{id}.
type purchaseDetail struct {
	purchaseView
	Price          money.Money   `json:"price"`
	CatalogVersion string        `json:"catalogVersion"`
	Benefits       []benefitView `json:"benefits"`
	// Cancellation is the purchase's cancellation service request, or null.
	Cancellation *serviceRequestView `json:"cancellation"`
}

type userView struct {
	ID          string        `json:"id"`
	Email       string        `json:"email"`
	DisplayName string        `json:"displayName"`
	Roles       []access.Role `json:"roles"`
	Guest       bool          `json:"guest"`
	CreatedAt   time.Time     `json:"createdAt"`
}

func viewPurchase(p benefit.Purchase) purchaseView {
	return purchaseView{ID: p.ID, PackageID: p.PackageID, Plan: string(p.Plan), Status: string(p.Status), PurchasedAt: p.PurchasedAt}
}

// viewBenefits shows the lines to the caller; a credit line's used,
// holders and balance come from its credit state (a new line has none yet:
// no seat, nothing granted), a Visual Studio line's holders from its seats.
func viewBenefits(o dashboard.Overview, callerID string, now time.Time) []benefitView {
	plans := map[string]string{}
	cancelled := map[string]bool{}
	for _, p := range o.Purchases {
		plans[p.ID] = string(p.Plan)
		cancelled[p.ID] = p.Status == benefit.PurchaseCancelled
	}
	out := make([]benefitView, len(o.Lines))
	for i, b := range o.Lines {
		v := benefitView{ID: b.ID, PurchaseID: b.PurchaseID, Kind: string(b.Kind), Product: b.Product, ProductName: b.ProductName, Plan: string(b.Plan),
			Quantity: b.Quantity, Used: b.Used, BenefitType: string(b.BenefitType),
			Status: string(b.EffectiveStatus(now)), ExpiresAt: b.ExpiresAt, Redemption: viewRedemption(b.Redemption),
			CreditAmount: b.Credit, CreditPeriod: benefit.CreditPeriod(b.Kind), OfferType: b.OfferType}
		if b.Kind == catalog.Support && o.Support != nil && v.Status == string(benefit.Available) {
			v.Status = string(benefit.Activated) // support is activated for the partner, not per line
		}
		if cancelled[b.PurchaseID] {
			v.Status = string(benefit.Revoked) // from the cancellation's commit on, even mid-release
		}
		if v.Plan == "" {
			v.Plan = plans[b.PurchaseID] // lines bought before lines carried their plan
		}
		if b.Kind.IsCredit() || b.Kind == catalog.VisualStudio {
			hs := o.Holders[b.ID]
			if v.Status == string(benefit.Revoked) {
				hs = nil // released from the commit on; the job deletes the items
			}
			holders := viewHolders(hs)
			mine := slices.ContainsFunc(hs, func(h credit.Holder) bool { return h.UserID == callerID })
			v.Holders, v.AssignedToCaller = &holders, &mine
		}
		if b.Kind.IsCredit() && b.Credit != nil {
			c := o.Credits[b.ID]
			balance := money.Money{Amount: c.Balance, Currency: b.Credit.Currency}
			v.Used, v.Balance = c.Seats, &balance
		}
		out[i] = v
	}
	return out
}

func viewHolders(hs []credit.Holder) []holderView {
	out := make([]holderView, len(hs))
	for i, h := range hs {
		out[i] = holderView{UserID: h.UserID, Email: h.Email, DisplayName: h.DisplayName, AssignedAt: h.AssignedAt}
	}
	return out
}

func viewDetail(p benefit.Purchase, o dashboard.Overview, callerID string, now time.Time) purchaseDetail {
	d := purchaseDetail{purchaseView: viewPurchase(p), Price: p.Price, CatalogVersion: p.CatalogVersion, Benefits: viewBenefits(o, callerID, now)}
	if sr, ok := o.Cancellations[p.ID]; ok {
		d.Cancellation = viewServiceRequest(sr)
	}
	return d
}

func viewUser(u partner.User) userView {
	return userView{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Roles: u.Roles, Guest: u.Guest, CreatedAt: u.CreatedAt}
}
