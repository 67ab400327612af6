package advisory

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
)

var now = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

var silver = []benefit.Purchase{{ID: "pur_1", Plan: catalog.Silver, Status: benefit.PurchaseActive}}

// hours is a live advisory line of qty hours, used of them taken, expiring
// days after now.
func hours(id string, qty, used, days int) benefit.Benefit {
	return benefit.Benefit{ID: id, Kind: catalog.AdvisoryHours, Status: benefit.Available, Quantity: qty, Used: used, ExpiresAt: now.AddDate(0, 0, days)}
}

func TestCheckValidates(t *testing.T) {
	lines := []benefit.Benefit{hours("h", 2000, 0, 30)}
	tests := []struct {
		name   string
		topic  string
		hours  int
		fields []string // nil: valid
	}{
		{"valid", "Migrating to Azure", 4, nil},
		{"one hour", "x", 1, nil},
		{"max hours", "x", MaxHours, nil},
		{"500 runes", strings.Repeat("é", 500), 1, nil},
		{"500 runes with padding", "  " + strings.Repeat("a", 500) + "  ", 1, nil},
		{"empty topic", "", 1, []string{"topic"}},
		{"blank topic", " \t ", 1, []string{"topic"}},
		{"501 runes", strings.Repeat("é", 501), 1, []string{"topic"}},
		{"zero hours", "x", 0, []string{"hours"}},
		{"negative hours", "x", -3, []string{"hours"}},
		{"too many hours", "x", MaxHours + 1, []string{"hours"}},
		{"both", "", 0, []string{"topic", "hours"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Check(Request{Topic: tc.topic, Hours: tc.hours}, silver, lines, now)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("valid request rejected: %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != "validation_failed" {
				t.Fatalf("got %v, want validation_failed", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestCheckNeedsAnEligiblePurchase(t *testing.T) {
	lines := []benefit.Benefit{hours("h", 10, 0, 30)}
	for name, purchases := range map[string][]benefit.Purchase{
		"none":      nil,
		"cancelled": {{Plan: catalog.Gold, Status: benefit.PurchaseCancelled}},
	} {
		_, err := Check(Request{Topic: "x", Hours: 1}, purchases, lines, now)
		if !errors.Is(err, ErrNoBenefits) {
			t.Fatalf("%s: got %v, want no_benefits", name, err)
		}
		if e, _ := apperr.As(err); !strings.Contains(e.Message, "don't have any benefits yet") {
			t.Errorf("%s: detail %q", name, e.Message)
		}
	}
}

func TestCheckInsufficientHours(t *testing.T) {
	revoked := hours("revoked", 50, 0, 30)
	revoked.Status = benefit.Revoked
	lines := []benefit.Benefit{hours("a", 10, 8, 30), hours("b", 5, 0, 60), hours("past", 50, 0, -1), revoked}
	takes, err := Check(Request{Topic: "x", Hours: 8}, silver, lines, now)
	if takes != nil || !errors.Is(err, ErrInsufficientHours) {
		t.Fatalf("got %v, %v; want insufficient_hours", takes, err)
	}
	if e, _ := apperr.As(err); e.Extra["hoursAvailable"] != 7 {
		t.Errorf("hoursAvailable = %v, want 7", e.Extra["hoursAvailable"])
	}
	if ErrInsufficientHours.Extra != nil {
		t.Errorf("the sentinel was changed: %v", ErrInsufficientHours.Extra)
	}
}

func TestCheckDrawsAcrossLines(t *testing.T) {
	support := hours("support", 100, 0, 1)
	support.Kind = catalog.Support
	lines := []benefit.Benefit{hours("late", 10, 0, 300), support, hours("early", 4, 1, 20)}
	takes, err := Check(Request{Topic: "x", Hours: 5}, silver, lines, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(takes) != 2 || takes[0].Line.ID != "early" || takes[0].Amount != 3 || takes[1].Line.ID != "late" || takes[1].Amount != 2 {
		t.Errorf("takes = %+v, want early:3 then late:2", takes)
	}
}

func TestBalance(t *testing.T) {
	revoked := hours("revoked", 50, 5, 30)
	revoked.Status = benefit.Revoked
	expired := hours("expired", 40, 0, 30)
	expired.Status = benefit.Expired
	support := hours("support", 30, 1, 30)
	support.Kind = catalog.Support
	lines := []benefit.Benefit{hours("a", 10, 3, 30), hours("b", 5, 5, 60), hours("past", 20, 2, 0), revoked, expired, support}
	total, used := Balance(lines, now)
	if total != 15 || used != 8 {
		t.Errorf("Balance = %d total, %d used; want 15, 8", total, used)
	}
	if total, used := Balance(nil, now); total != 0 || used != 0 {
		t.Errorf("empty Balance = %d, %d", total, used)
	}
}

// TestCheckBoundsTheLinesOneRequestDraws: hours spread one a line over
// more lines than one transaction holds are refused at the limit, naming
// the most one request can ask for; at the limit they are drawn.
func TestCheckBoundsTheLinesOneRequestDraws(t *testing.T) {
	var lines []benefit.Benefit
	for i := range MaxDrawLines + 5 {
		lines = append(lines, hours(fmt.Sprintf("l%03d", i), 1, 0, 30+i))
	}
	takes, err := Check(Request{Topic: "x", Hours: MaxDrawLines}, silver, lines, now)
	if err != nil || len(takes) != MaxDrawLines {
		t.Fatalf("%d hours over %d lines: %d takes, %v", MaxDrawLines, MaxDrawLines, len(takes), err)
	}
	_, err = Check(Request{Topic: "x", Hours: MaxDrawLines + 1}, silver, lines, now)
	e, ok := apperr.As(err)
	if !ok || e.Code != "validation_failed" || len(e.Fields) != 1 || e.Fields[0].Field != "hours" ||
		!strings.Contains(e.Fields[0].Message, fmt.Sprintf("at most %d", MaxDrawLines)) {
		t.Errorf("one line more: %v, want validation_failed on hours naming %d", err, MaxDrawLines)
	}
}
