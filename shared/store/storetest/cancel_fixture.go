package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
)

// CancelStore is what the cancellation contract runs on: the use cases'
// store (cancel.Store), the fixture writes that set up partners, users and
// purchases and use a line, and the reads that check what a cancellation
// wrote. *store.Store has all of it but MarkLine, which the uses of other
// nouns do in production; shared/store/export_test.go gives it one.
type CancelStore interface {
	cancel.Store
	cancel.ReleaseStore
	CreditStore
	// FinishCancellation completes one committed cancellation (revokes
	// what is left, releases the seats), idempotently; it does nothing to
	// a purchase that is not cancelled.
	FinishCancellation(ctx context.Context, partnerID, purchaseID string, now time.Time) error
	Benefit(ctx context.Context, partnerID, benefitID string) (benefit.Benefit, error)
	OutboxMail(ctx context.Context, id string) (mail.Queued, error)
	// MarkLine writes what a use of a line writes: its status and used
	// count, and its key when key is not "".
	MarkLine(ctx context.Context, partnerID, benefitID string, status benefit.Status, used int, key string) error
}

// CancelFixture is what SeedCancellations wrote.
type CancelFixture struct {
	// At is when everything was bought.
	At time.Time
	// Partner (named "Partner ptn_c", language "en") and its global admin
	// Admin; User is a directory user; Other is a second partner.
	Partner, Admin, User, Other string
	// Operator is the program operator who resolves refunds.
	Operator string
	// Buy buys one more package of Partner's at At (silver-2026 has a line
	// of every kind but a monthly credit, action-pack-2026 has one) and
	// returns its id and its first line of each kind.
	Buy func(t testing.TB, pkg string) (purchaseID string, lines map[catalog.Kind]string)
	// OtherPurchase is a silver package of Other's.
	OtherPurchase string
}

// SeedCancellations writes the fixture of the cancellation contract and
// use-case tests.
func SeedCancellations(t testing.TB, s CancelStore) CancelFixture {
	t.Helper()
	sd := newSeeder(t, s)
	f := CancelFixture{At: seedAt, Partner: "ptn_c", User: "usr_c1", Other: "ptn_d", Operator: "usr_operator"}
	f.Admin = sd.partner(f.Partner)
	sd.partner(f.Other)
	sd.user(f.User, f.Partner, "c1@ptn-c.example")
	buy := func(t testing.TB, partnerID, pkg string) (string, map[catalog.Kind]string) {
		t.Helper()
		pur, lines, err := benefit.NewPurchase(partnerID, "USD", sd.cat, pkg, seedAt, sd.gen)
		must(t, err)
		must(t, s.CreatePurchase(context.Background(), pur, lines))
		first := map[catalog.Kind]string{}
		for _, b := range lines {
			if _, ok := first[b.Kind]; !ok {
				first[b.Kind] = b.ID
			}
		}
		return pur.ID, first
	}
	f.Buy = func(t testing.TB, pkg string) (string, map[catalog.Kind]string) { return buy(t, f.Partner, pkg) }
	f.OtherPurchase, _ = buy(t, f.Other, "silver-2026")
	return f
}

// Requests returns the cancellation use cases over s.
func Requests(s cancel.Store) cancel.Requests { return cancel.Requests{Store: s, NewID: ids.New} }

// cancelChange is the cancel use case's decision, by fx.Admin at now.
func cancelChange(fx CancelFixture, p cancel.Purchase, now time.Time) (cancel.Change, error) {
	sr, err := cancel.Decide(p.Purchase, p.Lines, p.Credits, "contract", fx.Admin, ids.New("sr"), now)
	if err != nil {
		return cancel.Change{}, err
	}
	msg := mail.Message{ID: ids.New("msg"), AdminsOf: fx.Partner, Template: "purchase-cancelled", Language: "en", CreatedAt: now,
		Data: map[string]string{"purchaseId": p.ID}}
	ev := audit.New(ids.New, fx.Partner, fx.Admin, audit.PurchaseCancelled, "", now).About("", map[string]string{"purchaseId": p.ID})
	return cancel.Change{Request: sr, Mail: msg, Event: ev}, nil
}
