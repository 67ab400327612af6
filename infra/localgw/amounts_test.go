package main

import (
	"net/http"
	"testing"
)

// TestAmountsNamesAndOfferTypesAreShown: the catalogue listing and the
// dashboard carry what a partner admin needs to know before buying and
// before assigning (issue 28): every line's product name; a credit line's
// amount per seat in the partner's currency and whether it is per month or
// per enrolment year; a go-to-market line's offer type.
func TestAmountsNamesAndOfferTypesAreShown(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Amounts", "EUR")
	listing := h.get("/v1/catalog/packages", admin)
	if listing.Status != http.StatusOK {
		t.Fatalf("listing: %d %s", listing.Status, listing.Body)
	}
	credits := 0
	for _, p := range listing.json(t)["items"].([]any) {
		for _, raw := range p.(map[string]any)["benefits"].([]any) {
			l := raw.(map[string]any)
			if l["productName"] == "" || l["productName"] == nil {
				t.Errorf("listing line %v has no productName", l)
			}
			switch l["kind"] {
			case "credit-monthly", "credit-annual":
				credits++
				amount, _ := l["creditAmount"].(map[string]any)
				want := map[string]string{"credit-monthly": "month", "credit-annual": "year"}[l["kind"].(string)]
				if amount == nil || amount["currency"] != "EUR" || amount["amount"].(float64) <= 0 || l["creditPeriod"] != want {
					t.Errorf("listing credit line %v: want creditAmount in EUR and creditPeriod %s", l, want)
				}
			case "gtm-offer":
				if l["offerType"] == nil || l["offerType"] == "" {
					t.Errorf("listing offer line %v has no offerType", l)
				}
			default:
				if l["creditAmount"] != nil || l["creditPeriod"] != nil {
					t.Errorf("listing line %v: a credit amount on a line of another kind", l)
				}
			}
		}
	}
	if credits == 0 {
		t.Fatal("no credit line in the listing: the test proves nothing")
	}

	h.buy(admin, "gold-2026")
	h.buy(admin, "action-pack-2026")
	seen := map[string]bool{}
	for _, raw := range h.get("/v1/benefits", admin).json(t)["benefits"].([]any) {
		l := raw.(map[string]any)
		kind := l["kind"].(string)
		seen[kind] = true
		switch kind {
		case "credit-monthly", "credit-annual":
			amount, _ := l["creditAmount"].(map[string]any)
			want := map[string]string{"credit-monthly": "month", "credit-annual": "year"}[kind]
			if amount == nil || amount["currency"] != "EUR" || amount["amount"].(float64) <= 0 || l["creditPeriod"] != want {
				t.Errorf("dashboard credit line %v: want creditAmount in EUR and creditPeriod %s", l, want)
			}
		case "gtm-offer":
			if l["offerType"] == nil || l["offerType"] == "" {
				t.Errorf("dashboard offer line %v has no offerType", l)
			}
		}
	}
	for _, k := range []string{"credit-monthly", "credit-annual", "gtm-offer"} {
		if !seen[k] {
			t.Errorf("no %s line on the dashboard: the test proves less than it says", k)
		}
	}
}
