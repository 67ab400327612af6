package catalog

import (
	"regexp"
	"strings"
	"testing"
)

// TestShapesMatchTheirRegexps keeps the byte-by-byte checks equal to the
// regexps they replace, around every length and character-class boundary.
func TestShapesMatchTheirRegexps(t *testing.T) {
	for _, tc := range []struct {
		re    string
		check func(string) bool
	}{
		{`^[a-z0-9][a-z0-9-]{0,62}$`, validID},
		{`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`, validVersion},
		{`^[0-9a-f]{64}$`, validSHA256},
	} {
		re := regexp.MustCompile(tc.re)
		n := 0
		for _, s := range shapeInputs() {
			if got, want := tc.check(s), re.MatchString(s); got != want {
				t.Errorf("%s: %q gives %v, the regexp %v", tc.re, s, got, want)
			} else if want {
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s: no input matched; the inputs miss the shape", tc.re)
		}
	}
}

// shapeInputs are strings of every length up to 130 made of one allowed
// byte, each with every probe byte put first, second or last.
func shapeInputs() []string {
	probes := []string{"a", "z", "f", "g", "A", "Z", "0", "9", "-", "_", ".", "+", "/", ":", "=", " ", "\n", "é", "\xff", "\x00"}
	var out []string
	for _, fill := range []string{"a", "0", "A"} {
		for n := 0; n <= 130; n++ {
			base := strings.Repeat(fill, n)
			out = append(out, base)
			for _, p := range probes {
				for _, at := range []int{0, 1, n - 1} {
					if at >= 0 && at < n {
						out = append(out, base[:at]+p+base[at+1:])
					}
				}
			}
		}
	}
	return out
}
