package boot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/pbs/benefits/shared/api"
	"github.com/pbs/benefits/shared/mail"
)

// coldStartChild, when set, makes the test binary one function's cold start
// (see TestColdStart) instead of running tests.
const coldStartChild = "BOOT_COLD_START_CHILD"

type noInvoke struct{}

func (noInvoke) InvokeAsync(context.Context, string, []byte) error { return nil }

type noTransport struct{}

func (noTransport) Send(context.Context, mail.Message, mail.Rendered) error { return nil }

func TestMain(m *testing.M) {
	if entry := os.Getenv(coldStartChild); entry != "" {
		ctx := context.Background()
		var built bool
		switch entry {
		case "http":
			built = HTTP(ctx, "users", api.UsersEndpoints) != nil
		case "get-key":
			built = HTTP(ctx, "get-key", api.GetKeyEndpoints) != nil
		case "grant":
			built = MonthlyCreditGrant(ctx, func(aws.Config) noInvoke { return noInvoke{} }) != nil
		case "expiry":
			built = ExpireBenefits(ctx, func(aws.Config) noInvoke { return noInvoke{} }) != nil
		case "release":
			built = FinishCancellations(ctx) != nil
		case "mail":
			built = SendMail(ctx, func(aws.Config, string) noTransport { return noTransport{} }) != nil
		}
		fmt.Println("built:", built)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestColdStart runs each entry point's cold start in a child process: a
// missing setting or AWS configuration ends it (exit 1) with a log that
// names the cause, and a complete environment builds the handler without
// calling AWS.
func TestColdStart(t *testing.T) {
	aws := []string{"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y"}
	table := []string{"TABLE_NAME=t"}
	from := []string{"SES_FROM_ADDRESS=noreply@example.com"}
	join := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	cases := []struct {
		entry string
		env   []string
		want  string // "" builds the handler
	}{
		{"http", nil, "TABLE_NAME is not set"},
		{"http", table, "AWS config"},
		{"http", join(table, aws, []string{"CATALOG_TTL=soon"}), "CATALOG_TTL"},
		{"http", join(table, aws), ""},
		{"get-key", join(table, aws, []string{"LICENSE_SIGNING_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:1:secret:s"}), "without a secret source"},
		{"grant", nil, "TABLE_NAME is not set"},
		{"grant", table, "AWS config"},
		{"grant", join(table, aws), ""},
		{"expiry", nil, "TABLE_NAME is not set"},
		{"expiry", table, "AWS config"},
		{"expiry", join(table, aws), ""},
		{"release", nil, "TABLE_NAME is not set"},
		{"release", join(table, aws), ""},
		{"mail", nil, "TABLE_NAME is not set"},
		{"mail", table, "SES_FROM_ADDRESS is not set"},
		{"mail", join(table, from), "AWS config"},
		{"mail", join(table, from, aws), ""},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %v", c.entry, c.env), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append([]string{coldStartChild + "=" + c.entry, "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, c.env...)
			out, err := cmd.CombinedOutput()
			if c.want == "" {
				if err != nil || !strings.Contains(string(out), "built: true") {
					t.Fatalf("cold start failed: %v\n%s", err, out)
				}
				return
			}
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != 1 || !strings.Contains(string(out), "cold start failed") || !strings.Contains(string(out), c.want) {
				t.Fatalf("want exit 1 naming %q, got %v\n%s", c.want, err, out)
			}
		})
	}
}
