package httpapi

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidIDMatchesItsRegexp keeps ValidID equal to the regexp it replaces,
// around every length and character-class boundary.
func TestValidIDMatchesItsRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	probes := []string{"a", "z", "A", "Z", "0", "9", "-", "_", ".", "+", "/", " ", "\n", "é", "\xff", "\x00"}
	for _, fill := range []string{"a", "Z", "5", "_"} {
		for n := 0; n <= 130; n++ {
			base := strings.Repeat(fill, n)
			inputs := []string{base}
			for _, p := range probes {
				for _, at := range []int{0, 1, n - 1} {
					if at >= 0 && at < n {
						inputs = append(inputs, base[:at]+p+base[at+1:])
					}
				}
			}
			for _, s := range inputs {
				if got, want := ValidID(s), re.MatchString(s); got != want {
					t.Errorf("ValidID(%q) = %v, the regexp %v", s, got, want)
				}
			}
		}
	}
}
