package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// probeTimeout bounds the trial run; a working bwrap starts in
// milliseconds.
const probeTimeout = 30 * time.Second

// Available reports whether sandboxes can run on this host, by running
// `true` in one with the same isolation Run uses. The error says why not
// (bwrap missing, user namespaces denied, ...) in words fit for a review
// summary: "the tests were not run because <error>". Call it once at
// start and log the result; Run reports the same problems per run.
func Available(ctx context.Context) error {
	return available(ctx, Config{})
}

func available(ctx context.Context, base Config) error {
	dir, err := os.MkdirTemp("", "codex-sandbox-probe-")
	if err != nil {
		return fmt.Errorf("sandbox: probe directory: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("sandbox: probe directory: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	base.Command, base.Timeout = "true", probeTimeout
	res, err := Run(ctx, dir, base)
	if err != nil {
		return err
	}
	if res.Status != StatusPassed {
		return errors.New("sandbox: a trial run of `true` " + string(res.Status) + ": " + lastLine(res.OutputTail))
	}
	return nil
}
