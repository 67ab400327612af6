package license

import (
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
)

var now = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func line() benefit.Benefit {
	return benefit.Benefit{ID: "ben_1", Kind: catalog.License, Product: "office-cloud-e3", Quantity: 25,
		Status: benefit.Available, ExpiresAt: now.AddDate(1, 0, 0), Key: "K"}
}

func TestAddSeatsKeepsTheEndDate(t *testing.T) {
	end := now.AddDate(0, 5, 0)
	r, err := Redeem(line(), Subscription{TenantID: "t", Seats: 10, EndDate: end, Exists: true}, AddSeats, "usr_a", now)
	if err != nil || r.After.Seats != 35 || !r.After.EndDate.Equal(end) || !r.TermUnder12Months {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestExtendTermMovesTheEndDate12Months(t *testing.T) {
	end := now.AddDate(0, 5, 0)
	r, err := Redeem(line(), Subscription{TenantID: "t", Seats: 10, EndDate: end, Exists: true}, ExtendTerm, "usr_a", now)
	if err != nil || r.After.Seats != 25 || !r.After.EndDate.Equal(end.AddDate(1, 0, 0)) || r.TermUnder12Months {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = Redeem(line(), Subscription{TenantID: "t", Seats: 40, EndDate: end, Exists: true}, ExtendTerm, "usr_a", now)
	if err != nil || r.After.Seats != 40 {
		t.Fatalf("more seats than the key keep theirs: %+v %v", r, err)
	}
}

func TestNewOrLapsedTenantGetsAFullTerm(t *testing.T) {
	for _, sub := range []Subscription{{TenantID: "t"}, {TenantID: "t", Seats: 3, EndDate: now, Exists: true}} {
		for _, m := range []Mode{AddSeats, ExtendTerm} {
			r, err := Redeem(line(), sub, m, "usr_a", now)
			if err != nil || r.After.Seats != 25 || !r.After.EndDate.Equal(now.AddDate(1, 0, 0)) || r.TermUnder12Months {
				t.Fatalf("%v on %+v: %+v %v", m, sub, r, err)
			}
		}
	}
}

func TestRedeemOnce(t *testing.T) {
	b := line()
	b.Status = benefit.Activated
	if _, err := Redeem(b, Subscription{TenantID: "t"}, AddSeats, "u", now); err != ErrAlreadyRedeemed {
		t.Fatalf("%v", err)
	}
	b = line()
	b.Status = benefit.Revoked
	if _, err := Redeem(b, Subscription{TenantID: "t"}, AddSeats, "u", now); err != benefit.ErrRevoked {
		t.Fatalf("%v", err)
	}
}

func TestParse(t *testing.T) {
	for _, ok := range []string{"contoso.onmicrosoft.com", "8A7C2F4E-1B2D-4C3E-9F00-0123456789AB", " Fabrikam.example "} {
		if _, err := ParseTenant(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	if got, _ := ParseTenant("Contoso.OnMicrosoft.com"); got != "contoso.onmicrosoft.com" {
		t.Errorf("not lower-cased: %q", got)
	}
	for _, bad := range []string{"", "a b", "-x.com", "x..y", "héllo", "a/b"} {
		if _, err := ParseTenant(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseMode("renew"); err == nil {
		t.Error("unknown mode accepted")
	} else if e, _ := apperr.As(err); e.Code != "validation_failed" || e.Fields[0].Field != "mode" {
		t.Errorf("unknown mode: %+v", e)
	}
}
