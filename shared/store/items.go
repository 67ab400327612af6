package store

import (
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/money"
	"github.com/pbs/benefits/shared/partner"
)

// Item structs are the stored shape; domain types never carry tags. Times
// are stored as RFC 3339 strings (attributevalue's default). Those do not sort
// when the fraction's width varies, so no key is built from them: time-keyed
// index values use a fixed-width layout (see outbox.go's dueLayout).

type partnerItem struct {
	PK           string
	SK           string
	Type         string    `dynamodbav:"type"`
	ID           string    `dynamodbav:"id"`
	Name         string    `dynamodbav:"name"`
	Currency     string    `dynamodbav:"currency"`
	AccountEmail string    `dynamodbav:"accountEmail"`
	Language     string    `dynamodbav:"language"`
	CreatedAt    time.Time `dynamodbav:"createdAt"`
	// GSI2 (holdingsMark): the partner's holdings are in GSI2, as they are
	// from its creation on (indexHoldings marks an older partner).
	GSI2PK string `dynamodbav:",omitempty"`
	GSI2SK string `dynamodbav:",omitempty"`
	// GlobalAdmins counts the directory users holding global-admin, moved
	// in the transactions that give or take the role (never below one by a
	// change); DirectoryIndexed marks that every user has its search tokens
	// and vsSeats (from creation on; IndexDirectory marks an older partner).
	GlobalAdmins     int  `dynamodbav:"globalAdmins,omitempty"`
	DirectoryIndexed bool `dynamodbav:"directoryIndexed,omitempty"`
}

func newPartnerItem(p partner.Partner) partnerItem {
	return partnerItem{PK: partnerPK(p.ID), SK: profileSK, Type: typePartner, ID: p.ID, Name: p.Name,
		Currency: p.Currency, AccountEmail: p.AccountEmail, Language: p.Language, CreatedAt: p.CreatedAt,
		GSI2PK: holdingsPK(p.ID), GSI2SK: holdingsMark}
}

func (i partnerItem) domain() partner.Partner {
	return partner.Partner{ID: i.ID, Name: i.Name, Currency: i.Currency, AccountEmail: i.AccountEmail, Language: i.Language, CreatedAt: i.CreatedAt}
}

type userItem struct {
	PK          string
	SK          string
	Type        string    `dynamodbav:"type"`
	ID          string    `dynamodbav:"id"`
	PartnerID   string    `dynamodbav:"partnerId"`
	Email       string    `dynamodbav:"email"`
	DisplayName string    `dynamodbav:"displayName"`
	Roles       []string  `dynamodbav:"roles"`
	Guest       bool      `dynamodbav:"guest"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	// CreditOffers are the credit benefits the user holds and AnnualCredit
	// the annual one among them: the credit transactions update them to
	// enforce "an annual credit is not combined with another credit offer".
	CreditOffers []string `dynamodbav:"creditOffers,stringset,omitempty"`
	AnnualCredit string   `dynamodbav:"annualCredit,omitempty"`
	// VSSeats are the Visual Studio lines the user holds a seat of, moved
	// by the seat transactions, so a removal's condition sees them.
	VSSeats []string `dynamodbav:"vsSeats,stringset,omitempty"`
	// Rev counts the directory changes (name, roles) of the user, the
	// condition of the next one.
	Rev int64 `dynamodbav:"rev,omitempty"`
}

func newUserItem(u partner.User) userItem {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	return userItem{PK: partnerPK(u.PartnerID), SK: userSK(u.ID), Type: typeUser, ID: u.ID, PartnerID: u.PartnerID,
		Email: u.Email, DisplayName: u.DisplayName, Roles: roles, Guest: u.Guest, CreatedAt: u.CreatedAt}
}

func (i userItem) domain() partner.User {
	roles := make([]access.Role, len(i.Roles))
	for j, r := range i.Roles {
		roles[j] = access.Role(r)
	}
	return partner.User{ID: i.ID, PartnerID: i.PartnerID, Email: i.Email, DisplayName: i.DisplayName,
		Roles: roles, Guest: i.Guest, CreatedAt: i.CreatedAt}
}

// userEmailItem reserves an email within a partner's directory.
type userEmailItem struct {
	PK     string
	SK     string
	Type   string `dynamodbav:"type"`
	UserID string `dynamodbav:"userId"`
}

type purchaseItem struct {
	PK             string
	SK             string
	Type           string      `dynamodbav:"type"`
	ID             string      `dynamodbav:"id"`
	PartnerID      string      `dynamodbav:"partnerId"`
	PackageID      string      `dynamodbav:"packageId"`
	PackageName    string      `dynamodbav:"packageName"`
	Plan           string      `dynamodbav:"plan"`
	Status         string      `dynamodbav:"status"`
	PurchasedAt    time.Time   `dynamodbav:"purchasedAt"`
	Price          money.Money `dynamodbav:"price"`
	CatalogVersion string      `dynamodbav:"catalogVersion"`
	CancelledAt    *time.Time  `dynamodbav:"cancelledAt,omitempty"`
	// ReleasePending: cancelled, and its seats are still being released
	// (the purchase is in GSI1 under DUE#RELEASE meanwhile).
	ReleasePending bool `dynamodbav:"releasePending,omitempty"`
	// LineIDs and CreditIDs list the purchase's lines and its credit
	// lines, so a cancellation reads the purchase by key (GetItem, then
	// BatchGetItem), whatever the partner's size. Purchases written before
	// have neither and are read through the dashboard collection.
	LineIDs   []string `dynamodbav:"lineIds,omitempty"`
	CreditIDs []string `dynamodbav:"creditIds,omitempty"`
	GSI1PK    string   `dynamodbav:",omitempty"`
	GSI1SK    string   `dynamodbav:",omitempty"`
	// GSI2 ranks the purchase by plan while it is active (planSK); the
	// cancellation's commit removes it.
	GSI2PK string `dynamodbav:",omitempty"`
	GSI2SK string `dynamodbav:",omitempty"`
}

func newPurchaseItem(p benefit.Purchase) purchaseItem {
	return purchaseItem{PK: partnerPK(p.PartnerID), SK: purchaseSK(p.ID), Type: typePurchase, ID: p.ID,
		PartnerID: p.PartnerID, PackageID: p.PackageID, PackageName: p.PackageName, Plan: string(p.Plan),
		Status: string(p.Status), PurchasedAt: p.PurchasedAt, Price: p.Price, CatalogVersion: p.CatalogVersion,
		GSI2PK: holdingsPK(p.PartnerID), GSI2SK: planSK(p.Plan, p.ID)}
}

func (i purchaseItem) domain() benefit.Purchase {
	return benefit.Purchase{ID: i.ID, PartnerID: i.PartnerID, PackageID: i.PackageID, PackageName: i.PackageName,
		Plan: catalog.Plan(i.Plan), Status: benefit.PurchaseStatus(i.Status), PurchasedAt: i.PurchasedAt,
		Price: i.Price, CatalogVersion: i.CatalogVersion, CancelledAt: deref(i.CancelledAt)}
}

type benefitItem struct {
	PK          string
	SK          string
	Type        string       `dynamodbav:"type"`
	ID          string       `dynamodbav:"id"`
	PartnerID   string       `dynamodbav:"partnerId"`
	PurchaseID  string       `dynamodbav:"purchaseId"`
	Kind        string       `dynamodbav:"kind"`
	Product     string       `dynamodbav:"product"`
	ProductName string       `dynamodbav:"productName"`
	OfferType   string       `dynamodbav:"offerType,omitempty"`
	Quantity    int          `dynamodbav:"quantity"`
	Used        int          `dynamodbav:"used"`
	BenefitType string       `dynamodbav:"benefitType"`
	Status      string       `dynamodbav:"status"`
	CreatedAt   time.Time    `dynamodbav:"createdAt"`
	ExpiresAt   time.Time    `dynamodbav:"expiresAt"`
	Credit      *money.Money `dynamodbav:"credit,omitempty"`
	Plan        string       `dynamodbav:"plan,omitempty"`
	// Key is the product key given to a software or licence line (a secret:
	// never logged).
	Key         string          `dynamodbav:"key,omitempty"`
	KeyIssuedAt time.Time       `dynamodbav:"keyIssuedAt,omitempty"`
	ActivatedAt time.Time       `dynamodbav:"activatedAt,omitempty"`
	Redemption  *redemptionAttr `dynamodbav:"redemption,omitempty"`
	// Reminded30/Reminded7: when the expiry job emailed that the line
	// expires in 30 or 7 days (each is set once, with its mail).
	// (Pointers: attributevalue writes a zero time.Time, and these are
	// tested with attribute_not_exists.)
	Reminded30 *time.Time `dynamodbav:"reminded30,omitempty"`
	Reminded7  *time.Time `dynamodbav:"reminded7,omitempty"`
	// LinkExpiresAt: a pending go-to-market offer's link stops working then.
	LinkExpiresAt *time.Time `dynamodbav:"linkExpiresAt,omitempty"`
	// LinkSentTo and LinkHash: the address that link went to and its
	// token's hash; only that link confirms.
	LinkSentTo string `dynamodbav:"linkSentTo,omitempty"`
	LinkHash   string `dynamodbav:"linkHash,omitempty"`
	// GSI1 places the line in the partition of the day it expires, which the
	// daily expiry job and its 30/7-day reminders read (ACCESS_PATTERNS.md).
	GSI1PK string `dynamodbav:",omitempty"`
	GSI1SK string `dynamodbav:",omitempty"`
	// GSI2 holds a support or advisory line while it can be drawn on: the
	// expiry job and a cancellation remove it with GSI1's keys.
	GSI2PK string `dynamodbav:",omitempty"`
	GSI2SK string `dynamodbav:",omitempty"`
}

// redemptionAttr is a licence line's redemption, a map on the line.
type redemptionAttr struct {
	TenantID          string    `dynamodbav:"tenantId"`
	Mode              string    `dynamodbav:"mode"`
	By                string    `dynamodbav:"by"`
	At                time.Time `dynamodbav:"at"`
	Seats             int       `dynamodbav:"seats"`
	EndDate           time.Time `dynamodbav:"endDate"`
	TermUnder12Months bool      `dynamodbav:"termUnder12Months"`
}

func newBenefitItem(b benefit.Benefit) benefitItem {
	it := benefitItem{PK: partnerPK(b.PartnerID), SK: benefitSK(b.ID), Type: typeBenefit, ID: b.ID,
		PartnerID: b.PartnerID, PurchaseID: b.PurchaseID, Kind: string(b.Kind), Product: b.Product,
		ProductName: b.ProductName, OfferType: b.OfferType, Quantity: b.Quantity, Used: b.Used, BenefitType: string(b.BenefitType),
		Status: string(b.Status), CreatedAt: b.CreatedAt, ExpiresAt: b.ExpiresAt, Credit: b.Credit, Plan: string(b.Plan), Key: b.Key, KeyIssuedAt: b.KeyIssuedAt,
		ActivatedAt: b.ActivatedAt, GSI1PK: expiryDuePK(b.ExpiresAt, b.ID), GSI1SK: b.PartnerID + "#" + b.ID}
	if drawable(b.Kind) {
		it.GSI2PK, it.GSI2SK = holdingsPK(b.PartnerID), drawLineSK(b.ID)
	}
	return it
}

func (i benefitItem) domain() benefit.Benefit {
	b := benefit.Benefit{ID: i.ID, PartnerID: i.PartnerID, PurchaseID: i.PurchaseID, Kind: catalog.Kind(i.Kind),
		Product: i.Product, ProductName: i.ProductName, OfferType: i.OfferType, Quantity: i.Quantity, Used: i.Used,
		BenefitType: catalog.BenefitType(i.BenefitType), Status: benefit.Status(i.Status), CreatedAt: i.CreatedAt,
		ExpiresAt: i.ExpiresAt, Credit: i.Credit, Plan: catalog.Plan(i.Plan), Key: i.Key, KeyIssuedAt: i.KeyIssuedAt,
		ActivatedAt: i.ActivatedAt, Reminded30: deref(i.Reminded30), Reminded7: deref(i.Reminded7), LinkExpiresAt: deref(i.LinkExpiresAt),
		LinkSentTo: i.LinkSentTo, LinkHash: i.LinkHash}
	if r := i.Redemption; r != nil {
		b.Redemption = &benefit.Redemption{TenantID: r.TenantID, Mode: r.Mode, By: r.By, At: r.At, Seats: r.Seats,
			EndDate: r.EndDate, TermUnder12Months: r.TermUnder12Months}
	}
	return b
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
