package benefit

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/catalog"
)

var drawNow = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// drawLine is a live support line with qty incidents, used of them taken,
// expiring days after drawNow.
func drawLine(id string, qty, used, days int) Benefit {
	return Benefit{ID: id, Kind: catalog.Support, Status: Available, Quantity: qty, Used: used, ExpiresAt: drawNow.AddDate(0, 0, days)}
}

func takesString(takes []Take) []string {
	var out []string
	for _, t := range takes {
		out = append(out, fmt.Sprintf("%s:%d", t.Line.ID, t.Amount))
	}
	return out
}

func TestDraw(t *testing.T) {
	revoked := drawLine("revoked", 5, 0, 1)
	revoked.Status = Revoked
	expiredStatus := drawLine("expired-status", 5, 0, 1)
	expiredStatus.Status = Expired
	pastDate := drawLine("past-date", 5, 0, 0) // expires exactly at now
	otherKind := drawLine("advisory", 5, 0, 1)
	otherKind.Kind = catalog.AdvisoryHours
	usedUp := drawLine("used-up", 3, 3, 1)
	activated := drawLine("activated", 2, 0, 40)
	activated.Status = Activated

	tests := []struct {
		name      string
		lines     []Benefit
		n         int
		want      []string // "id:amount", in order
		available int
	}{
		{"earliest expiry first", []Benefit{drawLine("late", 5, 0, 300), drawLine("early", 5, 0, 10)}, 1, []string{"early:1"}, 10},
		{"splits across lines", []Benefit{drawLine("late", 5, 0, 300), drawLine("early", 5, 2, 10)}, 5, []string{"early:3", "late:2"}, 8},
		{"stops when satisfied", []Benefit{drawLine("a", 5, 0, 1), drawLine("b", 5, 0, 2), drawLine("c", 5, 0, 3)}, 5, []string{"a:5"}, 15},
		{"activated lines count", []Benefit{activated}, 2, []string{"activated:2"}, 2},
		{"skips revoked", []Benefit{revoked, drawLine("ok", 1, 0, 9)}, 1, []string{"ok:1"}, 1},
		{"skips expired status", []Benefit{expiredStatus, drawLine("ok", 1, 0, 9)}, 1, []string{"ok:1"}, 1},
		{"skips expired by date", []Benefit{pastDate, drawLine("ok", 1, 0, 9)}, 1, []string{"ok:1"}, 1},
		{"skips other kinds", []Benefit{otherKind, drawLine("ok", 1, 0, 9)}, 1, []string{"ok:1"}, 1},
		{"skips lines with nothing left", []Benefit{usedUp, drawLine("ok", 1, 0, 9)}, 1, []string{"ok:1"}, 1},
		{"short: nil and what is available", []Benefit{drawLine("a", 2, 1, 1), drawLine("b", 2, 0, 2), revoked, otherKind}, 4, nil, 3},
		{"nothing at all", nil, 1, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			takes, available := Draw(tc.lines, catalog.Support, tc.n, drawNow)
			if available != tc.available {
				t.Errorf("available = %d, want %d", available, tc.available)
			}
			if tc.want == nil {
				if takes != nil {
					t.Errorf("takes = %v, want nil", takesString(takes))
				}
				return
			}
			if got := takesString(takes); !slices.Equal(got, tc.want) {
				t.Errorf("takes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDrawCarriesTheLine(t *testing.T) {
	l := drawLine("l", 4, 1, 5)
	l.PurchaseID = "pur_1"
	takes, _ := Draw([]Benefit{l}, catalog.Support, 2, drawNow)
	if len(takes) != 1 || takes[0].Line != l || takes[0].Amount != 2 {
		t.Errorf("takes = %+v", takes)
	}
}

func TestLive(t *testing.T) {
	tests := []struct {
		name   string
		status Status
		days   int
		want   bool
	}{
		{"available", Available, 1, true},
		{"activated", Activated, 1, true},
		{"pending", Pending, 1, true},
		{"active", Active, 1, true},
		{"revoked", Revoked, 1, false},
		{"expired status", Expired, 1, false},
		{"at expiry", Available, 0, false},
		{"past expiry", Active, -1, false},
	}
	for _, tc := range tests {
		b := Benefit{Status: tc.status, ExpiresAt: drawNow.AddDate(0, 0, tc.days)}
		if got := b.Live(drawNow); got != tc.want {
			t.Errorf("%s: Live = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRemaining(t *testing.T) {
	tests := []struct{ qty, used, want int }{
		{5, 0, 5},
		{5, 2, 3},
		{5, 5, 0},
		{5, 7, 0}, // never negative
	}
	for _, tc := range tests {
		if got := (Benefit{Quantity: tc.qty, Used: tc.used}).Remaining(); got != tc.want {
			t.Errorf("Remaining(%d of %d used) = %d, want %d", tc.used, tc.qty, got, tc.want)
		}
	}
}
