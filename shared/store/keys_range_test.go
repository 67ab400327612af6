package store

import (
	"testing"
	"time"
)

// TestBenefitItemsIsOneBenefit: the range a benefit's reads query holds its
// line and every item under it, and no item of a benefit whose id is longer
// (one the id is a prefix of), for every character an id may hold.
func TestBenefitItemsIsOneBenefit(t *testing.T) {
	const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	in := func(id, sk string) bool { first, last := benefitItems(id); return first <= sk && sk <= last }
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	items := func(id string) []string {
		return []string{benefitSK(id), creditSK(id), seatSK(id, "usr_1"), seatSK(id, "~~~"), lockSK(id, "usr_1", at)}
	}
	id := "ben_06h4370ewcjg5195vp3keym408"
	for _, sk := range items(id) {
		if !in(id, sk) {
			t.Errorf("%s is outside the range of %s", sk, id)
		}
	}
	cases := 0
	for n := 1; n < len(id); n++ {
		prefix := id[:n]
		for _, sk := range items(id) {
			cases++
			if in(prefix, sk) {
				t.Errorf("%s (of %s) is inside the range of its prefix %s", sk, id, prefix)
			}
		}
	}
	for i := range len(idChars) {
		longer := id + idChars[i:i+1]
		for _, sk := range items(longer) {
			cases++
			if in(id, sk) {
				t.Errorf("%s (of %s) is inside the range of %s", sk, longer, id)
			}
		}
	}
	t.Logf("%d keys outside, as they should be", cases)
}
