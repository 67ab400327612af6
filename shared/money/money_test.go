package money

import "testing"

func TestString(t *testing.T) {
	tests := []struct {
		in   Money
		want string
	}{
		{Money{123450, "USD"}, "1,234.50 USD"},
		{Money{15000, "JPY"}, "15,000 JPY"},
		{Money{5, "EUR"}, "0.05 EUR"},
		{Money{-1000, "GBP"}, "-10.00 GBP"},
		{Money{1234567, "KWD"}, "1,234.567 KWD"},
	}
	for _, tc := range tests {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%+v: got %q want %q", tc.in, got, tc.want)
		}
	}
}
