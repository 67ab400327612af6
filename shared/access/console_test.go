package access

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestConsoleMatrix holds the console's copy of the permission matrix
// (web/src/permissions.ts, which greys out buttons) to the server's: a role
// change on one side fails here until the other follows.
func TestConsoleMatrix(t *testing.T) {
	src, err := os.ReadFile("../../web/src/permissions.ts")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(src), "// matrix:begin")
	body, _, ok2 := strings.Cut(rest, "// matrix:end")
	if !ok || !ok2 {
		t.Fatal("permissions.ts lost its matrix:begin/matrix:end markers")
	}
	_, obj, ok := strings.Cut(body, "= ")
	if !ok {
		t.Fatal("no object literal between the markers")
	}
	var web map[Action][]Role
	if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(obj), ";")), &web); err != nil {
		t.Fatalf("the matrix in permissions.ts is not plain JSON: %v", err)
	}
	if len(web) != len(matrix) {
		t.Errorf("console has %d actions, server %d", len(web), len(matrix))
	}
	for a, roles := range matrix {
		got, ok := web[a]
		if !ok {
			t.Errorf("console lacks %s", a)
			continue
		}
		if !sameRoles(got, roles) {
			t.Errorf("%s: console allows %v, server %v", a, got, roles)
		}
	}
}

func sameRoles(a, b []Role) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
