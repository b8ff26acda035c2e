//go:build !linux

package sandbox

import (
	"context"
	"errors"
)

var errNotLinux = errors.New("sandbox: bwrap sandboxes need Linux")

// Run reports that sandboxes need Linux.
func Run(_ context.Context, _ string, cfg Config) (Result, error) {
	return Result{Status: StatusError, Command: cfg.Command, ExitCode: -1, Reason: errNotLinux.Error()}, errNotLinux
}
