// Command withstack runs a command with the local AWS stack (DynamoDB Local
// and aws-ses-v2-local, see shared/devstack) started on free ports:
//
//	go run ./infra/withstack -- go test ./...
//
// The command gets the parent environment plus the stack's AWS_* variables
// and BENEFITS_LOCAL_STACK=required (integration tests fail instead of
// skipping). withstack exits with the command's exit code and always stops
// the stack, also on SIGINT/SIGTERM. Stdin is not passed on: the command
// runs in its own process group so that a signal reaches all of it (go test
// ignores SIGINT and relies on its test binaries getting it too).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/pbs/benefits/shared/devstack"
)

// killAfter is how long the command may take to exit after a forwarded
// signal before its process group gets SIGKILL.
const killAfter = 10 * time.Second

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./infra/withstack -- <command> [args...]")
		return 2
	}

	// Catch signals before anything starts so that none is lost. During
	// start-up a signal cancels Start; afterwards it goes to the command.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	startCtx, cancelStart := context.WithCancel(context.Background())
	defer cancelStart()
	stopWatch, interruptedc := make(chan struct{}), make(chan bool, 1)
	go func() {
		select {
		case <-sigs:
			cancelStart()
			interruptedc <- true
		case <-stopWatch:
			interruptedc <- false
		}
	}()

	began := time.Now()
	stack, err := devstack.Start(startCtx, devstack.Options{Log: emulatorLog()})
	close(stopWatch)
	interrupted := <-interruptedc
	if err != nil {
		if interrupted {
			fmt.Fprintln(os.Stderr, "withstack: interrupted while starting the local stack")
			return 130
		}
		fmt.Fprintf(os.Stderr, "withstack: %v\n", err)
		return 1
	}
	defer func() {
		if err := stack.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "withstack: %v\n", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "withstack: DynamoDB Local %s, SES v2 %s (ready in %s)\n",
		stack.DynamoDBEndpoint, stack.SESEndpoint, time.Since(began).Round(time.Millisecond))
	if interrupted {
		return 130
	}

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append(os.Environ(), stack.Env()...), "BENEFITS_LOCAL_STACK=required")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = commandSysProcAttr()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "withstack: %v\n", err)
		return 127
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var kill <-chan time.Time
	for {
		select {
		case sig := <-sigs:
			// The command has its own process group: signal all of it.
			_ = syscall.Kill(-cmd.Process.Pid, sig.(syscall.Signal))
			if kill == nil {
				kill = time.After(killAfter)
			}
		case <-kill:
			fmt.Fprintln(os.Stderr, "withstack: command did not exit after the signal; killing it")
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case err := <-done:
			return exitCode(err)
		}
	}
}

// exitCode maps the command's end to a shell-style status.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		fmt.Fprintf(os.Stderr, "withstack: %v\n", err)
		return 1
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}

// emulatorLog shows emulator output only when asked (WITHSTACK_VERBOSE=1);
// start-up errors include its tail anyway.
func emulatorLog() io.Writer {
	if os.Getenv("WITHSTACK_VERBOSE") != "" {
		return os.Stderr
	}
	return nil // an untyped nil: Options.Log == nil discards
}
