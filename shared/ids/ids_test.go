package ids

import (
	"sort"
	"strings"
	"testing"
)

func TestNewIsUniqueAndOrdered(t *testing.T) {
	const n = 5000
	got := make([]string, n)
	for i := range got {
		got[i] = New("ben")
	}
	if !sort.StringsAreSorted(got) {
		t.Error("ids made in sequence must sort in creation order")
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		if !strings.HasPrefix(id, "ben_") || len(id) != len("ben_")+26 {
			t.Fatalf("bad id shape %q", id)
		}
	}
}

func TestSequence(t *testing.T) {
	g := Sequence()
	if a, b, c := g("pur"), g("pur"), g("ben"); a != "pur_0001" || b != "pur_0002" || c != "ben_0001" {
		t.Errorf("got %s %s %s", a, b, c)
	}
}
