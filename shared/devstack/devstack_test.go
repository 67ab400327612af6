package devstack

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// TestStartStop starts a second stack on free ports (it works while
// withstack's own stack runs), talks to both emulators and checks that Stop
// leaves no process or open port behind.
func TestStartStop(t *testing.T) {
	t.Parallel()
	needAssets(t)

	var log syncBuffer
	began := time.Now()
	s, err := Start(t.Context(), Options{Log: &log})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	t.Logf("started in %s: %s %s", time.Since(began).Round(time.Millisecond), s.DynamoDBEndpoint, s.SESEndpoint)

	// A real SDK call with the credentials Env hands out.
	db := dynamodb.New(dynamodb.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.DynamoDBEndpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
	})
	if _, err := db.ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("ListTables on %s: %v", s.DynamoDBEndpoint, err)
	}
	if err := sesReady(t.Context(), s.SESEndpoint); err != nil {
		t.Errorf("GET %s/store: %v", s.SESEndpoint, err)
	}
	env := strings.Join(s.Env(), "\n")
	for _, want := range []string{
		"AWS_ENDPOINT_URL_DYNAMODB=" + s.DynamoDBEndpoint,
		"AWS_ENDPOINT_URL_SESV2=" + s.SESEndpoint,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
	} {
		if !strings.Contains(env, want) {
			t.Errorf("Env() lacks %s", want)
		}
	}
	if !strings.Contains(log.String(), "[dynamodb] ") || !strings.Contains(log.String(), "[ses] ") {
		t.Errorf("Options.Log did not get prefixed output from both emulators:\n%s", log.String())
	}

	var pids []int
	for _, p := range s.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	if len(pids) != 2 {
		t.Fatalf("stack has %d processes, want 2", len(pids))
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	for _, pid := range pids {
		// Wait reaped the leader; its group must be empty too.
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d still exists after Stop (kill -0: %v)", pid, err)
		}
	}
	for _, ep := range []string{s.DynamoDBEndpoint, s.SESEndpoint} {
		u, err := url.Parse(ep)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u.Host, "127.0.0.1:") {
			t.Errorf("endpoint %s is not on 127.0.0.1", ep)
		}
		if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Stop", ep)
		}
	}
}

// TestStartWithoutNodeModules checks the advice given when npm ci was not
// run: a fresh module root has no node_modules.
func TestStartWithoutNodeModules(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(dir); root != dir && root != want {
		t.Errorf("RepoRoot() = %s, want %s", root, dir)
	}
	s, err := Start(context.Background(), Options{})
	if err == nil {
		_ = s.Stop()
		t.Fatal("Start succeeded without node_modules")
	}
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "npm ci") {
		t.Errorf("error = %v, want ErrNotInstalled mentioning npm ci", err)
	}
}

// TestStartTakenPort asks for a port that is already in use: Start must fail
// (the emulator cannot bind) rather than report the other server as ready.
func TestStartTakenPort(t *testing.T) {
	t.Parallel()
	needAssets(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	s, err := Start(t.Context(), Options{SESPort: port})
	if err == nil {
		_ = s.Stop()
		t.Fatalf("Start succeeded with SES port %d taken", port)
	}
	t.Logf("Start with a taken port: %v", err)
	if !strings.Contains(err.Error(), "ses exited") || strings.Contains(err.Error(), "dynamodb") {
		t.Errorf("error = %v, want the SES emulator's early exit", err)
	}
}

func TestFreePortDistinct(t *testing.T) {
	seen := map[int]bool{}
	for range 20 {
		p, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if p <= 0 || p > 65535 {
			t.Fatalf("FreePort() = %d", p)
		}
		seen[p] = true
	}
	// The kernel spreads its picks; twenty in a row should not repeat much.
	if len(seen) < 15 {
		t.Errorf("20 FreePort calls gave only %d distinct ports", len(seen))
	}
}

func TestPrefixWriter(t *testing.T) {
	var out bytes.Buffer
	w := &prefixWriter{w: &out, prefix: "[x] "}
	for _, s := range []string{"one\ntw", "o\n", "three\n"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := out.String(), "[x] one\n[x] two\n[x] three\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// syncBuffer is a bytes.Buffer safe for the emulators' output goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// needAssets skips a test when node_modules is missing, unless make test
// requires the local stack.
func needAssets(t *testing.T) {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := findAssets(root); errors.Is(err, ErrNotInstalled) && os.Getenv("BENEFITS_LOCAL_STACK") != "required" {
		t.Skipf("needs node_modules: %v", err)
	}
}
