// Package money is an amount in integer minor units with its ISO 4217
// currency; floats never touch money.
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in minor units (cents, pence; yen have none).
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// minorDigits lists currencies whose minor unit is not 2 digits.
var minorDigits = map[string]int{"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}

// Digits returns the number of minor-unit digits of a currency.
func Digits(currency string) int {
	if d, ok := minorDigits[currency]; ok {
		return d
	}
	return 2
}

// String formats for people, e.g. "1,234.50 USD" or "15,000 JPY".
func (m Money) String() string {
	d := Digits(m.Currency)
	neg := m.Amount < 0
	a := m.Amount
	if neg {
		a = -a
	}
	unit := int64(1)
	for range d {
		unit *= 10
	}
	whole, frac := a/unit, a%unit
	s := group(strconv.FormatInt(whole, 10))
	if d > 0 {
		s += fmt.Sprintf(".%0*d", d, frac)
	}
	if neg {
		s = "-" + s
	}
	return s + " " + m.Currency
}

func group(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
