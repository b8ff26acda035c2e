// Package sandbox runs a repository's test command on an untrusted work
// tree inside bubblewrap (bwrap): no network, an unprivileged user, a
// stripped environment, read-only system directories, size-limited tmpfs
// scratch space, rlimits, cgroup memory and pids limits where the host
// allows them, and a wall-clock timeout that kills the whole tree. The
// result carries the tail of the output and the failing tests' names.
//
// The package knows nothing of GitHub: the caller fetches and unpacks the
// tree (app/tarball) and renders the result with Markdown and Material.
package sandbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Status is how a run ended.
type Status string

const (
	// StatusPassed: the command exited 0.
	StatusPassed Status = "passed"
	// StatusFailed: the command exited non-zero (tests failed, the build
	// broke, or a limit stopped it).
	StatusFailed Status = "failed"
	// StatusTimedOut: the wall-clock timeout passed and the tree was killed.
	StatusTimedOut Status = "timed_out"
	// StatusError: the sandbox could not run the command; see Reason.
	StatusError Status = "error"
	// StatusNotRun: the sandbox was not attempted (see NotRun).
	StatusNotRun Status = "not_run"
)

// maxFailedTests bounds Result.FailedTests; the rest are only counted.
const maxFailedTests = 100

// Result is the outcome of one run. Its JSON form is the REST API's
// "sandbox" field.
type Result struct {
	Status  Status `json:"status"`
	Command string `json:"command"`
	// ExitCode is the command's exit code; -1 when it has none (timed
	// out, not started). 128+N means signal N killed it.
	ExitCode int           `json:"exit_code"`
	Duration time.Duration `json:"-"`
	// OutputTail is the end of the combined stdout and stderr, at most
	// Config.OutputLimit bytes, starting at a line boundary when cut.
	OutputTail string `json:"output_tail"`
	// OutputBytes is the size of the whole output.
	OutputBytes int64 `json:"output_bytes"`
	// Truncated says OutputTail is not the whole output.
	Truncated bool `json:"output_truncated"`
	// FailedTests are the failing tests named in the whole output (not
	// only the tail), in order of appearance, at most 100.
	FailedTests []string `json:"failed_tests"`
	// FailedTestsOmitted counts failing tests past the first 100.
	FailedTestsOmitted int `json:"failed_tests_omitted,omitempty"`
	// OOMKilled says the cgroup memory limit killed a process.
	OOMKilled bool `json:"oom_killed,omitempty"`
	// Limits lists the isolation and limits that were in force.
	Limits []string `json:"limits"`
	// NotApplied lists limits the host did not allow, with the reason.
	NotApplied []string `json:"limits_not_applied,omitempty"`
	// Reason explains StatusError and StatusNotRun.
	Reason string `json:"reason,omitempty"`
	// Base is the same command's run on the base commit, made when this
	// run failed: it tells the failures this change causes from those it
	// found. Nil when there was none.
	Base *BaseRun `json:"base,omitempty"`
}

// MarshalJSON adds the duration in milliseconds, the REST API's unit.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}{plain(r), r.Duration.Milliseconds()})
}

// NotRun is the result for a review whose tests were not run, for
// example because Available reported an error; reason says why.
func NotRun(command, reason string) Result {
	return Result{Status: StatusNotRun, Command: command, ExitCode: -1, Reason: reason}
}

// sizeString prints a byte count the way limits are usually written.
func sizeString(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// UnmarshalJSON reads what MarshalJSON wrote, so a stored result can be
// served again.
func (r *Result) UnmarshalJSON(data []byte) error {
	type plain Result
	var v struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("sandbox result: %w", err)
	}
	*r = Result(v.plain)
	r.Duration = time.Duration(v.DurationMS) * time.Millisecond
	return nil
}

// lastLine is the last non-empty line of s, the usual place for a
// tool's own error message.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "no output"
	}
	return s
}
