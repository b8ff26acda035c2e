// Command codex-review reviews changes with an LLM: as a GitHub App server
// (serve), or locally against a git working tree (review).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit codes of the review command (design §4.2).
const (
	exitOK       = 0
	exitFindings = 1
	exitError    = 2
)

// exitCode lets a command choose its exit status without printing an error.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// run executes the command line and returns the process exit status. It
// takes its environment as arguments so tests can drive it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRootCmd(stdin, stdout, stderr, getenv)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var code exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	default:
		fmt.Fprintf(stderr, "codex-review: %v\n", err)
		return exitError
	}
}
