package credit

import (
	"fmt"
	"time"
)

// Period is a calendar month in UTC, the unit of monthly grants. It prints
// as YYYY-MM, which also sorts in time order.
type Period struct {
	Year  int
	Month time.Month
}

// PeriodOf is the month t falls in, in UTC.
func PeriodOf(t time.Time) Period {
	t = t.UTC()
	return Period{t.Year(), t.Month()}
}

// ParsePeriod reads YYYY-MM.
func ParsePeriod(s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Period{}, fmt.Errorf("credit: period %q is not YYYY-MM", s)
	}
	return PeriodOf(t), nil
}

func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// IsZero reports the zero Period (no month).
func (p Period) IsZero() bool { return p.Year == 0 }

// Start is the first instant of the month, 00:00 UTC on the 1st.
func (p Period) Start() time.Time { return time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, time.UTC) }

// Add moves n months (n may be negative).
func (p Period) Add(n int) Period { return PeriodOf(p.Start().AddDate(0, n, 0)) }

// Next is the following month.
func (p Period) Next() Period { return p.Add(1) }

// Before reports whether p is an earlier month than q.
func (p Period) Before(q Period) bool { return p.Start().Before(q.Start()) }

// After reports whether p is a later month than q.
func (p Period) After(q Period) bool { return q.Before(p) }
