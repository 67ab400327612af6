package cancel

import (
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/money"
)

var bought = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)

func purchase() benefit.Purchase {
	return benefit.Purchase{ID: "pur_1", PartnerID: "ptn_1", PackageName: "Gold", Status: benefit.PurchaseActive, PurchasedAt: bought,
		Price: money.Money{Amount: 675000, Currency: "JPY"}}
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func TestWindowClosesAt30Days(t *testing.T) {
	sr, err := Decide(purchase(), nil, nil, " wrong plan ", "usr_a", "sr_1", bought.Add(Window-time.Millisecond))
	if err != nil || sr.Status != Pending || sr.Refund != purchase().Price || sr.Reason != "wrong plan" || sr.PurchaseID != "pur_1" {
		t.Fatalf("last millisecond: %+v %v", sr, err)
	}
	_, err = Decide(purchase(), nil, nil, "", "usr_a", "sr_1", bought.Add(Window))
	e, _ := apperr.As(err)
	if code(err) != "cancel_window_closed" || !e.Extra["windowClosedAt"].(time.Time).Equal(bought.AddDate(0, 0, 30)) {
		t.Fatalf("day 30: %v", err)
	}
}

func TestSoftwareTakenOrCancelledBlocks(t *testing.T) {
	lines := []benefit.Benefit{
		{ID: "ben_sw", PurchaseID: "pur_1", Kind: catalog.Software, Status: benefit.Available},
		{ID: "ben_other", PurchaseID: "pur_2", Kind: catalog.Software, Status: benefit.Activated, Key: "K"},
	}
	if _, err := Decide(purchase(), lines, nil, "", "u", "sr", bought); err != nil {
		t.Fatalf("another purchase's key does not count: %v", err)
	}
	lines[0].Status, lines[0].Key = benefit.Activated, "K"
	if _, err := Decide(purchase(), lines, nil, "", "u", "sr", bought); code(err) != "software_benefit_activated" {
		t.Fatalf("key taken: %v", err)
	}
	p := purchase()
	p.Status = benefit.PurchaseCancelled
	if _, err := Decide(p, nil, nil, "", "u", "sr", bought); code(err) != "already_cancelled" {
		t.Fatalf("cancelled: %v", err)
	}
	long := make([]rune, MaxReason+1)
	for i := range long {
		long[i] = 'é'
	}
	if _, err := Decide(purchase(), nil, nil, string(long), "u", "sr", bought); code(err) != "validation_failed" {
		t.Fatalf("long reason: %v", err)
	}
}

func TestResolveOnce(t *testing.T) {
	sr := ServiceRequest{ID: "sr_1", Status: Pending}
	done, err := Resolve(sr, "completed", " paid ", "op_1", bought)
	if err != nil || done.Status != Completed || done.Note != "paid" || done.ResolvedBy != "op_1" || !done.ResolvedAt.Equal(bought) {
		t.Fatalf("%+v %v", done, err)
	}
	if _, err := Resolve(done, "rejected", "", "op_1", bought); code(err) != "service_request_resolved" {
		t.Fatalf("twice: %v", err)
	}
	if _, err := Resolve(sr, "refunded", "", "op_1", bought); code(err) != "validation_failed" {
		t.Fatalf("bad status: %v", err)
	}
}
