package apperr

import (
	"strings"
	"testing"
)

// Long counts characters, as maxLength does, not bytes.
func TestLongCountsCharacters(t *testing.T) {
	for _, c := range []struct {
		s    string
		long bool
	}{
		{strings.Repeat("a", 5), false},
		{strings.Repeat("é", 5), false}, // 10 bytes, 5 characters
		{strings.Repeat("指", 5), false},
		{strings.Repeat("a", 6), true},
		{strings.Repeat("é", 6), true},
	} {
		var f Fields
		if got := f.Long("name", c.s, 5); got != c.long || (len(f) == 1) != c.long {
			t.Errorf("Long(%q, 5) = %v with %v", c.s, got, f)
		}
		if c.long && (f[0].Code != TooLong || f[0].Field != "name" || f[0].Message != "at most 5 characters") {
			t.Errorf("field error %+v", f[0])
		}
		if err := CheckLen("name", c.s, 5); (err != nil) != c.long {
			t.Errorf("CheckLen(%q, 5) = %v", c.s, err)
		}
	}
}
