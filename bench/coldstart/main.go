// Command coldstart measures each Lambda bootstrap's size and cold-start init
// time beside a hello-world aws-lambda-go function (bench/coldstart/hello)
// built the same way in the same run. `make bench` runs it. A second
// baseline, sdk-floor (bench/coldstart/sdkfloor), is hello-world plus the
// SDK's default config loading and a DynamoDB client, which every function
// here needs: the least any of them can take.
//
// It builds every functions/<name> and the hello function twice with the
// flags of `make build` (-tags lambda.norpc -trimpath -ldflags "-s -w",
// CGO_ENABLED=0): for linux/arm64, the bootstrap that is deployed, to report
// its size, and for this machine's GOOS/GOARCH, to run it. Each run starts a
// Runtime API stand-in on 127.0.0.1, starts the binary with the environment
// Lambda gives a function (AWS_LAMBDA_RUNTIME_API, AWS_REGION, dummy
// credentials, TABLE_NAME, …) and takes the time from process start to the
// function's first GET /2018-06-01/runtime/invocation/next, the moment its
// init is over; then it kills the process. AWS_ENDPOINT_URL points at the
// stand-in too, so a function that calls AWS during init is caught and
// counted instead of reaching the network.
//
// Runs are interleaved (each round starts every binary once, in shuffled
// order) so that load from elsewhere on the machine spreads over all of them.
// Extra runs with GODEBUG=inittrace=1 split the time into package init
// (package-level variables and init functions) and main (boot: settings, SDK
// config, clients, router); -top N lists each binary's largest package inits.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// The goals of the production-stack issue: init time against hello-world's
// and the size of the arm64 bootstrap.
const (
	aimRatio = 1.5
	aimMB    = 12.0
)

const (
	hello    = "hello" // the baseline's name in the table
	sdkFloor = "sdk-floor"
)

func main() {
	n := flag.Int("n", 20, "timed runs per binary")
	traces := flag.Int("inittrace", 5, "extra runs per binary with GODEBUG=inittrace=1 (0: none)")
	top := flag.Int("top", 0, "list each binary's N largest package inits (needs -inittrace)")
	only := flag.String("run", "", "measure only functions matching this regexp (the baselines always run)")
	keep := flag.Bool("keep", false, "keep the built binaries and print where they are")
	extra := flag.String("pkgs", "", "comma-separated main packages to measure as well (./path/to/cmd)")
	flag.Parse()
	if *n < 1 || *traces < 0 {
		fmt.Fprintln(os.Stderr, "coldstart: -n must be at least 1 and -inittrace at least 0")
		os.Exit(2)
	}
	if err := run(*n, *traces, *top, *only, *extra, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

// binary is one function under test.
type binary struct {
	name      string
	pkg       string // import path relative to the module root, ./functions/<name>
	host      string // the binary that runs here
	hostSize  int64
	arm64Size int64

	init          []time.Duration // process start to first /next
	pkgInit, main []time.Duration // from the inittrace runs
	pkgs          map[string][]float64
	awsCalls      []string // requests other than the Runtime API's during init
}

func run(n, traces, top int, only, extra string, keep bool) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	filter, err := regexp.Compile(only)
	if err != nil {
		return err
	}
	bins := []*binary{{name: hello, pkg: "./bench/coldstart/hello"}, {name: sdkFloor, pkg: "./bench/coldstart/sdkfloor"}}
	dirs, _ := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	for _, d := range dirs {
		name := filepath.Base(filepath.Dir(d))
		if filter.MatchString(name) {
			bins = append(bins, &binary{name: name, pkg: "./functions/" + name})
		}
	}
	for p := range strings.SplitSeq(extra, ",") {
		if p = strings.TrimSpace(p); p != "" {
			bins = append(bins, &binary{name: filepath.Base(p), pkg: p})
		}
	}

	tmp, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("binaries in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	hostDir, armDir, taskDir := filepath.Join(tmp, "host"), filepath.Join(tmp, "arm64"), filepath.Join(tmp, "task")
	if err := os.Mkdir(taskDir, 0o755); err != nil {
		return err
	}
	fmt.Printf("building %d binaries for linux/arm64 and %s/%s (-tags lambda.norpc -trimpath -ldflags \"-s -w\")\n",
		len(bins), runtime.GOOS, runtime.GOARCH)
	if err := build(root, armDir, "linux", "arm64", bins); err != nil {
		return err
	}
	if err := build(root, hostDir, runtime.GOOS, runtime.GOARCH, bins); err != nil {
		return err
	}
	for _, b := range bins {
		b.host = filepath.Join(hostDir, filepath.Base(b.pkg)) // go build names it after the package
		if b.hostSize, err = size(b.host); err != nil {
			return err
		}
		if b.arm64Size, err = size(filepath.Join(armDir, filepath.Base(b.pkg))); err != nil {
			return err
		}
	}

	// Two untimed runs each: the page cache holds every binary before timing.
	for range 2 {
		for _, b := range bins {
			if _, err := runOnce(b, taskDir, false); err != nil {
				return err
			}
		}
	}
	fmt.Printf("timing %d cold starts per binary, interleaved", n)
	if traces > 0 {
		fmt.Printf(", plus %d with GODEBUG=inittrace=1", traces)
	}
	fmt.Println()
	order := slices.Clone(bins)
	for i := range n + traces {
		trace := i >= n
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, b := range order {
			r, err := runOnce(b, taskDir, trace)
			if err != nil {
				return err
			}
			if len(r.awsCalls) > 0 && b.awsCalls == nil {
				b.awsCalls = r.awsCalls
			}
			if !trace {
				b.init = append(b.init, r.init)
				continue
			}
			b.pkgInit = append(b.pkgInit, r.pkgInit)
			b.main = append(b.main, r.init-r.pkgEnd)
			if b.pkgs == nil {
				b.pkgs = map[string][]float64{}
			}
			for p, ms := range r.pkgs {
				b.pkgs[p] = append(b.pkgs[p], ms)
			}
		}
	}
	report(bins, traces > 0, top)
	return nil
}

// build compiles every binary into dir the way `make build` does.
func build(root, dir, goos, goarch string, bins []*binary) error {
	goCmd := cmp.Or(os.Getenv("GO"), "go")
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", dir + string(filepath.Separator)}
	for _, b := range bins {
		args = append(args, b.pkg)
	}
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w", goos, goarch, err)
	}
	return nil
}

// result is one cold start.
type result struct {
	init     time.Duration
	awsCalls []string
	pkgInit  time.Duration      // sum of package init clocks (inittrace runs)
	pkgEnd   time.Duration      // when the last package init ended
	pkgs     map[string]float64 // ms per package
}

// runOnce starts the binary against a fresh stand-in and waits for its first
// /next; the process is killed before it returns.
func runOnce(b *binary, taskDir string, trace bool) (result, error) {
	var res result
	st, err := newStandIn()
	if err != nil {
		return res, err
	}
	defer st.close()

	cmd := exec.Command(b.host)
	cmd.Dir = taskDir // like /var/task: nothing but the bootstrap's own files
	cmd.Env = lambdaEnv(b.name, st.addr, taskDir)
	if trace {
		cmd.Env = append(cmd.Env, "GODEBUG=inittrace=1")
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	exited := make(chan error, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	go func() { exited <- cmd.Wait() }()
	timeout := time.NewTimer(15 * time.Second)
	defer timeout.Stop()
	var failure error
	select {
	case t := <-st.first:
		res.init = t.Sub(start)
	case msg := <-st.initError:
		failure = fmt.Errorf("reported an init error: %s", msg)
	case err := <-exited:
		exited <- err
		failure = fmt.Errorf("exited before its first /next (%v)", err)
	case <-timeout.C:
		failure = errors.New("no /next within 15 s")
	}
	_ = cmd.Process.Kill()
	<-exited
	if failure != nil {
		return res, fmt.Errorf("%s: %w\n%s", b.name, failure, tail(out.String(), 2000))
	}
	res.awsCalls = st.calls()
	if trace {
		res.pkgs = map[string]float64{}
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			m := initLine.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			at, _ := strconv.ParseFloat(m[2], 64)
			clock, _ := strconv.ParseFloat(m[3], 64)
			res.pkgs[m[1]] += clock
			res.pkgInit += ms(clock)
			res.pkgEnd = max(res.pkgEnd, ms(at+clock))
		}
	}
	return res, nil
}

// initLine is a line of GODEBUG=inittrace=1:
// "init net/http @1.2 ms, 0.35 ms clock, 81920 bytes, 800 allocs".
var initLine = regexp.MustCompile(`^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock`)

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

// lambdaEnv is the environment of a provided.al2023 function, plus the
// settings the functions of this repository read. Nothing is inherited from
// this process: no profile, proxy or real credentials reach the function.
func lambdaEnv(name, addr, taskDir string) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"HOME=" + taskDir,
		"LAMBDA_TASK_ROOT=" + taskDir,
		"_HANDLER=bootstrap",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_RUNTIME_API=" + addr,
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/01/01/[$LATEST]bench",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDCOLDSTARTBENCH",
		"AWS_SECRET_ACCESS_KEY=coldstart-bench",
		"AWS_SESSION_TOKEN=coldstart-bench",
		// Any AWS call made during init lands on the stand-in, which counts it.
		"AWS_ENDPOINT_URL=http://" + addr,
		"AWS_EC2_METADATA_DISABLED=true",
		"TABLE_NAME=benefits-coldstart",
		"SES_FROM_ADDRESS=a@example.com",
		"PUBLIC_BASE_URL=https://api.example.com",
		"KEY_POOL_LOW_WATER=50",
		"CATALOG_TTL=30s",
	}
}

// standIn is the part of the Lambda Runtime API that init reaches: it notes
// when the first GET .../invocation/next arrives and holds that request open
// (no invocation ever comes); init errors and anything else are recorded.
type standIn struct {
	addr      string
	srv       *http.Server
	first     chan time.Time
	initError chan string
	once      sync.Once
	mu        sync.Mutex
	other     []string
}

func newStandIn() (*standIn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &standIn{addr: ln.Addr().String(), first: make(chan time.Time, 1), initError: make(chan string, 1)}
	s.srv = &http.Server{Handler: s}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next":
		s.once.Do(func() { s.first <- now })
		<-r.Context().Done() // until the process is killed or the stand-in closes
	case r.URL.Path == "/2018-06-01/runtime/init/error":
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		select {
		case s.initError <- string(body):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		call := r.Method + " " + r.URL.Path
		if t := r.Header.Get("X-Amz-Target"); t != "" {
			call += " " + t
		}
		s.mu.Lock()
		s.other = append(s.other, call)
		s.mu.Unlock()
		http.Error(w, "coldstart stand-in: no AWS here", http.StatusServiceUnavailable)
	}
}

func (s *standIn) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.other)
}

func (s *standIn) close() { _ = s.srv.Close() }

// report prints the table, hello-world first.
func report(bins []*binary, traced bool, top int) {
	base := median(bins[0].init)
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "function\tarm64 MB\thost MB\tinit median ms\tp90 ms\t× hello\t"
	if traced {
		head += "pkg init ms\tmain ms\t"
	}
	fmt.Fprintln(w, head+"aim\t")
	var calls []string
	for _, b := range bins {
		med := median(b.init)
		ratio := float64(med) / float64(base)
		row := fmt.Sprintf("%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t", b.name, mb(b.arm64Size), mb(b.hostSize),
			msf(med), msf(pct(b.init, 90)), ratio)
		if traced {
			row += fmt.Sprintf("%.2f\t%.1f\t", msf(median(b.pkgInit)), msf(median(b.main)))
		}
		aim := "ok"
		switch {
		case b.name == hello || b.name == sdkFloor:
			aim = "-"
		case ratio > aimRatio && mb(b.arm64Size) > aimMB:
			aim = "time, size"
		case ratio > aimRatio:
			aim = "time"
		case mb(b.arm64Size) > aimMB:
			aim = "size"
		}
		fmt.Fprintln(w, row+aim+"\t")
		if len(b.awsCalls) > 0 {
			calls = append(calls, fmt.Sprintf("%s calls AWS during init: %s", b.name, strings.Join(b.awsCalls, "; ")))
		}
	}
	_ = w.Flush()
	fmt.Printf("\ninit: process start to the first GET /2018-06-01/runtime/invocation/next, %d runs each on %s/%s;\n",
		len(bins[0].init), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("aim: ≤ %.1f× hello's median and ≤ %.0f MB (arm64, 1 MB = 2^20 bytes).\n", aimRatio, aimMB)
	fmt.Println("sdk-floor: hello plus the SDK configuration from the environment (shared/awsenv) and a DynamoDB client, which every function needs.")
	if traced {
		fmt.Println("pkg init: package-level vars and init funcs (GODEBUG=inittrace=1, median); main: the rest until /next.")
	}
	if len(calls) == 0 {
		fmt.Println("No function called AWS during init.")
	}
	for _, c := range calls {
		fmt.Println(c)
	}
	if !traced || top <= 0 {
		return
	}
	for _, b := range bins {
		type pkg struct {
			name string
			ms   float64
		}
		var ps []pkg
		for name, v := range b.pkgs {
			slices.Sort(v)
			ps = append(ps, pkg{name, v[len(v)/2]})
		}
		slices.SortFunc(ps, func(a, b pkg) int { return cmp.Compare(b.ms, a.ms) })
		fmt.Printf("\n%s: largest package inits (median ms of %d traced runs)\n", b.name, len(b.pkgInit))
		for _, p := range ps[:min(top, len(ps))] {
			fmt.Printf("  %6.3f  %s\n", p.ms, p.name)
		}
	}
}

func median(d []time.Duration) time.Duration { return pct(d, 50) }

// pct is the nearest-rank percentile.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(i, 0)]
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mb(n int64) float64          { return float64(n) / (1 << 20) }

func size(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// syncBuffer collects a process's output from the goroutines exec starts.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
