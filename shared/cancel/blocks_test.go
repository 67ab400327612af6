package cancel

import (
	"testing"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
)

// The refund rule per kind and state (docs/domain.md, "Cancelling a
// package"); every kind of the catalogue needs an unused and a used row.
func TestBlocksPerKind(t *testing.T) {
	granted := &credit.Credit{Seats: 1, Grants: []credit.Grant{{Amount: 100, Seats: 1}}}
	assigned := &credit.Credit{Seats: 1}
	rows := []struct {
		kind   catalog.Kind
		state  string
		used   bool // the line was used in some way
		line   func(*benefit.Benefit)
		credit *credit.Credit
		code   string
	}{
		{catalog.Software, "available", false, nil, nil, ""},
		{catalog.Software, "key taken", true, func(b *benefit.Benefit) { b.Key, b.Status = "K", benefit.Activated }, nil, "software_benefit_activated"},
		{catalog.Software, "activated (no key read back)", true, func(b *benefit.Benefit) { b.Status = benefit.Activated }, nil, "software_benefit_activated"},
		{catalog.License, "available", false, nil, nil, ""},
		{catalog.License, "key shown", true, func(b *benefit.Benefit) { b.Key = "K" }, nil, "software_benefit_activated"},
		{catalog.License, "key issued", true, func(b *benefit.Benefit) { b.KeyIssuedAt = bought }, nil, "software_benefit_activated"},
		{catalog.License, "redeemed", true, func(b *benefit.Benefit) {
			b.Key, b.Status, b.Redemption = "K", benefit.Activated, &benefit.Redemption{TenantID: "t.example"}
		}, nil, "software_benefit_activated"},
		{catalog.CreditMonthly, "no holder", false, nil, &credit.Credit{}, ""},
		{catalog.CreditMonthly, "assigned, not granted", true, nil, assigned, ""},
		{catalog.CreditMonthly, "granted", true, nil, granted, "benefit_consumed"},
		{catalog.CreditAnnual, "no holder", false, nil, &credit.Credit{}, ""},
		{catalog.CreditAnnual, "assigned (granted)", true, nil, granted, "benefit_consumed"},
		{catalog.VisualStudio, "no seat", false, nil, nil, ""},
		{catalog.VisualStudio, "seats assigned", true, func(b *benefit.Benefit) { b.Used = 2 }, nil, ""},
		{catalog.Support, "untouched", false, nil, nil, ""},
		{catalog.Support, "incident opened", true, func(b *benefit.Benefit) { b.Used = 1 }, nil, "benefit_consumed"},
		{catalog.AdvisoryHours, "untouched", false, nil, nil, ""},
		{catalog.AdvisoryHours, "hours used", true, func(b *benefit.Benefit) { b.Used = 3 }, nil, "benefit_consumed"},
		{catalog.GTMOffer, "available", false, nil, nil, ""},
		{catalog.GTMOffer, "pending", true, func(b *benefit.Benefit) { b.Status, b.LinkExpiresAt = benefit.Pending, bought }, nil, ""},
		{catalog.GTMOffer, "confirmed", true, func(b *benefit.Benefit) { b.Status, b.ActivatedAt = benefit.Active, bought }, nil, "benefit_consumed"},
	}
	unused, used := map[catalog.Kind]bool{}, map[catalog.Kind]bool{}
	for _, r := range rows {
		b := benefit.Benefit{ID: "ben_1", PurchaseID: "pur_1", Kind: r.kind, Status: benefit.Available, Quantity: 5}
		if r.line != nil {
			r.line(&b)
		}
		err := Blocks(b, r.credit)
		if code(err) != r.code {
			t.Errorf("%s %s: %v, want %q", r.kind, r.state, err, r.code)
		}
		if e, ok := apperr.As(err); ok && (e.Extra["benefitId"] != "ben_1" || e.Extra["kind"] != string(r.kind)) {
			t.Errorf("%s %s: members %v", r.kind, r.state, e.Extra)
		}
		// Decide refuses exactly what Blocks refuses.
		credits := map[string]credit.Credit{}
		if r.credit != nil {
			credits["ben_1"] = *r.credit
		}
		if _, err := Decide(purchase(), []benefit.Benefit{b}, credits, "", "u", "sr", bought); code(err) != r.code {
			t.Errorf("%s %s: Decide %v, want %q", r.kind, r.state, err, r.code)
		}
		unused[r.kind] = unused[r.kind] || !r.used
		used[r.kind] = used[r.kind] || r.used
	}
	for _, k := range catalog.Kinds {
		if !unused[k] || !used[k] {
			t.Errorf("kind %s has no row unused (%v) or used (%v): decide its refund rule", k, unused[k], used[k])
		}
	}
}
