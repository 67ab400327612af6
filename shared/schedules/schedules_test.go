package schedules

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/pbs/benefits/shared/routes"
)

// expression is the shape of an EventBridge Scheduler rate or cron
// expression (six cron fields); Scheduler itself checks the values.
var expression = regexp.MustCompile(`^(rate\([1-9][0-9]* (minute|hour|day)s?\)|cron\(\S+( \S+){5}\))$`)

func TestAll(t *testing.T) {
	if len(All) == 0 {
		t.Fatal("no jobs")
	}
	seen := map[string]bool{}
	for _, j := range All {
		t.Run(j.Name, func(t *testing.T) {
			if !regexp.MustCompile(`^[a-z][a-z0-9-]*$`).MatchString(j.Name) {
				t.Errorf("name %q must be a lower-case folder name", j.Name)
			}
			if seen[j.Name] {
				t.Errorf("job %s listed twice", j.Name)
			}
			seen[j.Name] = true
			if slices.Contains(routes.Functions(), j.Name) {
				t.Errorf("job %s is also an HTTP function", j.Name)
			}
			if !expression.MatchString(j.Expression) {
				t.Errorf("expression %q is not rate(...) or cron(...) with six fields", j.Expression)
			}
			if j.Description == "" {
				t.Error("description is empty")
			}
			if _, err := os.Stat(filepath.Join("..", "..", "functions", j.Name, "main.go")); err != nil {
				t.Errorf("job without a function: %v", err)
			}
		})
	}
	if got := Names(); len(got) != len(All) || got[0] != All[0].Name {
		t.Errorf("Names() = %v", got)
	}
}
