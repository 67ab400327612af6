package api

import (
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/money"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
)

// Views are the JSON shapes of SPEC §3; domain types never carry JSON tags.

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
	Quantity    int       `json:"quantity"`
	Used        int       `json:"used"`
	BenefitType string    `json:"benefitType"`
	Status      string    `json:"status"`
	ExpiresAt   time.Time `json:"expiresAt"`
	// Credit lines only: who holds a seat, and what was granted so far.
	Holders *[]holderView `json:"holders,omitempty"`
	Balance *money.Money  `json:"balance,omitempty"`
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
	Cancellation   *struct{}     `json:"cancellation"` // null until request-cancel exists
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

// viewBenefits shows the lines; a credit line's used, holders and balance
// come from its credit state (a new line has none yet: no seat, nothing
// granted).
func viewBenefits(lines []benefit.Benefit, credits map[string]credit.Credit, now time.Time) []benefitView {
	out := make([]benefitView, len(lines))
	for i, b := range lines {
		v := benefitView{ID: b.ID, PurchaseID: b.PurchaseID, Kind: string(b.Kind), Product: b.Product,
			Quantity: b.Quantity, Used: b.Used, BenefitType: string(b.BenefitType),
			Status: string(b.EffectiveStatus(now)), ExpiresAt: b.ExpiresAt}
		if b.Kind.IsCredit() && b.Credit != nil {
			c := credits[b.ID]
			holders := viewHolders(c.Holders)
			balance := money.Money{Amount: c.Balance, Currency: b.Credit.Currency}
			v.Used, v.Holders, v.Balance = c.Seats, &holders, &balance
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

func viewDetail(p benefit.Purchase, o store.Overview, now time.Time) purchaseDetail {
	return purchaseDetail{purchaseView: viewPurchase(p), Price: p.Price, CatalogVersion: p.CatalogVersion, Benefits: viewBenefits(o.Lines, o.Credits, now)}
}

func viewUser(u partner.User) userView {
	return userView{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Roles: u.Roles, Guest: u.Guest, CreatedAt: u.CreatedAt}
}
