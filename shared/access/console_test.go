package access

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// consoleTable reads the object literal between two markers of the console's
// web/src/permissions.ts into v.
func consoleTable(t *testing.T, name string, v any) {
	t.Helper()
	src, err := os.ReadFile("../../web/src/permissions.ts")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(src), "// "+name+":begin")
	body, _, ok2 := strings.Cut(rest, "// "+name+":end")
	if !ok || !ok2 {
		t.Fatalf("permissions.ts lost its %[1]s:begin/%[1]s:end markers", name)
	}
	_, obj, ok := strings.Cut(body, "= ")
	if !ok {
		t.Fatalf("no object literal between the %s markers", name)
	}
	if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(obj), ";")), v); err != nil {
		t.Fatalf("the %s table in permissions.ts is not plain JSON: %v", name, err)
	}
}

// TestConsoleMatrix holds the console's copy of the permission matrix
// (web/src/permissions.ts, which greys out buttons) to the server's: a role
// change on one side fails here until the other follows.
func TestConsoleMatrix(t *testing.T) {
	var web map[Action][]Role
	consoleTable(t, "matrix", &web)
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

// TestConsoleGrants does the same for the role-grant table, which greys out
// the roles a caller may not give when adding a user.
func TestConsoleGrants(t *testing.T) {
	var web map[Role][]Role
	consoleTable(t, "grants", &web)
	if len(web) != len(grants) {
		t.Errorf("console has %d granting roles, server %d", len(web), len(grants))
	}
	for r, given := range grants {
		if got := web[r]; !sameRoles(got, given) {
			t.Errorf("%s: console grants %v, server %v", r, got, given)
		}
	}
}

func sameRoles(a, b []Role) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
