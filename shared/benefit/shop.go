package benefit

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// The use cases of buying: a purchase of a catalogue package and the
// catalogue's packages priced for a buyer. They take plain inputs, decide
// with NewPurchase, build the receipt, and leave writing to a ShopStore, so
// they run on DynamoDB (shared/store) and on the in-memory fake
// (shared/store/storetest) alike. Replaying a purchase with the same
// Idempotency-Key is the router's (shared/httpapi), not a rule of buying.

// ShopStore is what buying needs of storage.
type ShopStore interface {
	// Partner reads the buyer's profile. Errors: apperr.ErrNotFound.
	Partner(ctx context.Context, partnerID string) (partner.Partner, error)
	// CreatePurchase writes the purchase, its lines and the mail it owes in
	// one transaction, or nothing. Errors: apperr.ErrNotFound (no partner).
	CreatePurchase(ctx context.Context, p Purchase, lines []Benefit, owed ...mail.Message) error
}

// Shop runs the buying use cases of one request.
type Shop struct {
	Store ShopStore
	NewID ids.Generator
	// Catalog is the current catalogue (cached by the caller).
	Catalog func(context.Context) (*catalog.Catalog, error)
}

// Buy records partnerID's purchase of packageID at now: a line per line
// of the package as the current catalogue has it, and the receipt to the
// partner's account email queued in the same transaction.
func (s Shop) Buy(ctx context.Context, partnerID, packageID string, now time.Time) (Purchase, []Benefit, error) {
	if strings.TrimSpace(packageID) == "" {
		var f apperr.Fields
		f.Add("packageId", apperr.Required, "required")
		return Purchase{}, nil, f.Err()
	}
	if err := apperr.CheckLen("packageId", packageID, catalog.MaxIDLen); err != nil {
		return Purchase{}, nil, err
	}
	p, err := s.Store.Partner(ctx, partnerID)
	if err != nil {
		return Purchase{}, nil, err
	}
	cat, err := s.Catalog(ctx)
	if err != nil {
		return Purchase{}, nil, err
	}
	purchase, lines, err := NewPurchase(p.ID, p.Currency, cat, packageID, now, s.NewID)
	if err != nil {
		return Purchase{}, nil, err
	}
	if err := s.Store.CreatePurchase(ctx, purchase, lines, Receipt(s.NewID("msg"), p, purchase, len(lines), now)); err != nil {
		return Purchase{}, nil, err
	}
	return purchase, lines, nil
}

// Receipt is mail id: the receipt of a purchase of lines lines, to the
// partner's account email in its language.
func Receipt(id string, p partner.Partner, purchase Purchase, lines int, now time.Time) mail.Message {
	return mail.Message{
		ID: id, To: []string{p.AccountEmail}, Template: "purchase-receipt", Language: p.Language, CreatedAt: now,
		Data: map[string]string{
			"partnerName": p.Name, "packageName": purchase.PackageName, "plan": string(purchase.Plan),
			"purchaseId": purchase.ID, "price": purchase.Price.String(),
			"purchasedAt": now.Format(time.RFC3339), "benefitCount": strconv.Itoa(lines),
		},
	}
}

// Packages returns the current catalogue to be shown priced in currency:
// when currency is "", the billing currency of partnerID, or USD for the
// operator (partnerID ""). Errors: catalog.ErrCurrencyNotSupported.
func (s Shop) Packages(ctx context.Context, partnerID, currency string) (cat *catalog.Catalog, priced string, err error) {
	if currency == "" && partnerID != "" {
		p, err := s.Store.Partner(ctx, partnerID)
		if err != nil {
			return nil, "", err
		}
		currency = p.Currency
	}
	if currency == "" {
		currency = "USD"
	}
	if cat, err = s.Catalog(ctx); err != nil {
		return nil, "", err
	}
	if !cat.SupportsCurrency(currency) {
		return nil, "", catalog.ErrCurrencyNotSupported
	}
	return cat, currency, nil
}
