package partner

import (
	"sync"
	"testing"
)

// TestFoldIsSafeConcurrently: concurrent requests fold names at once (a
// shared transform chain panicked with "slice bounds out of range" in the
// directory's demote race; run with -race to see the data race too).
func TestFoldIsSafeConcurrently(t *testing.T) {
	names := []string{"Émilie Dupont", "ｹﾝ 田中", "Aiko　Tanaka", "ガーデン・ハウス", "Zoë O'Brien"}
	want := make([]string, len(names))
	for i, n := range names {
		want[i] = Fold(n)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 500 {
				for i, n := range names {
					if got := Fold(n); got != want[i] {
						t.Errorf("Fold(%q) = %q, want %q", n, got, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
