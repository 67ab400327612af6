package storetest

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/store"
)

// ShopContract is what every benefit.ShopStore must do: read the buyer's
// profile, write a purchase's lines and its receipt together (each line
// reads back as decided, the receipt is queued pending), write nothing for
// a partner that does not exist, and keep partners apart. newStore returns
// an empty store per case.
func ShopContract(t *testing.T, newStore func(t *testing.T) ShopStore) {
	run := caseRunner(t, newStore, SeedShop)
	ctx := store.NoWait(context.Background()) // lost rounds run again at once

	run("ReadsThePartner", func(t *testing.T, s ShopStore, fx ShopFixture) {
		p, err := s.Partner(ctx, fx.Partner)
		if err != nil || p.ID != fx.Partner || p.Currency != "EUR" || p.Language != "ja" || p.AccountEmail != "billing@"+fx.Partner+".example" {
			t.Fatalf("partner %+v, %v", p, err)
		}
		if _, err := s.Partner(ctx, "ptn_none"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("unknown partner: %v", err)
		}
	})

	run("WritesLinesAndReceiptTogether", func(t *testing.T, s ShopStore, fx ShopFixture) {
		p, err := s.Partner(ctx, fx.Partner)
		must(t, err)
		pur, lines, err := benefit.NewPurchase(p.ID, p.Currency, fx.Catalog, "silver-2026", fx.At, ids.New)
		must(t, err)
		msg := benefit.Receipt(ids.New("msg"), p, pur, len(lines), fx.At)
		must(t, s.CreatePurchase(ctx, pur, lines, msg))
		for _, want := range lines {
			got, err := s.Benefit(ctx, fx.Partner, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.PurchaseID != pur.ID || got.Kind != want.Kind || got.Product != want.Product || got.Quantity != want.Quantity ||
				got.Plan != want.Plan || got.Status != benefit.Available || !got.ExpiresAt.Equal(want.ExpiresAt) {
				t.Fatalf("line reads %+v, was written as %+v", got, want)
			}
			if _, err := s.Benefit(ctx, fx.Other, want.ID); !errors.Is(err, apperr.ErrNotFound) {
				t.Fatalf("another partner reads line %s: %v", want.ID, err)
			}
		}
		q, err := s.OutboxMail(ctx, msg.ID)
		if err != nil {
			t.Fatalf("receipt: %v", err)
		}
		if q.Status != "pending" || len(q.To) != 1 || q.To[0] != p.AccountEmail || q.Template != "purchase-receipt" || q.Language != "ja" ||
			q.Data["purchaseId"] != pur.ID || q.Data["benefitCount"] != strconv.Itoa(len(lines)) || q.Data["price"] != pur.Price.String() {
			t.Fatalf("receipt %+v", q)
		}
		// Buying writes no audit event (docs/domain.md).
		if es, _, err := s.Audit(ctx, fx.Partner, "", 10, ""); err != nil || len(es) != 0 {
			t.Fatalf("events %+v, %v", es, err)
		}
	})

	run("NoPartnerWritesNothing", func(t *testing.T, s ShopStore, fx ShopFixture) {
		p, err := s.Partner(ctx, fx.Other)
		must(t, err)
		p.ID = "ptn_none"
		pur, lines, err := benefit.NewPurchase(p.ID, p.Currency, fx.Catalog, "action-pack-2026", fx.At, ids.New)
		must(t, err)
		msg := benefit.Receipt(ids.New("msg"), p, pur, len(lines), fx.At)
		if err := s.CreatePurchase(ctx, pur, lines, msg); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("purchase for no partner: %v", err)
		}
		if _, err := s.OutboxMail(ctx, msg.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("its receipt was queued: %v", err)
		}
		if _, err := s.Benefit(ctx, p.ID, lines[0].ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("its line was written: %v", err)
		}
	})
}
