package sandbox

import "slices"

// Blame says what a failing run at head means, once the same command ran
// on the base commit.
type Blame string

// The outcomes of comparing a failing run at head with the base's run.
const (
	// BlameChange: this change breaks tests. BaseRun.Broken names them;
	// it is empty when the runner's output names no tests, and then the
	// command as a whole passes at the base and fails at head.
	BlameChange Blame = "change"
	// BlamePreExisting: everything that fails at head fails at the base
	// too; the change is not to blame.
	BlamePreExisting Blame = "pre_existing"
	// BlameUnknown: the base's run cannot tell (it could not run, or it
	// failed without naming tests while head named some).
	BlameUnknown Blame = "unknown"
)

// BaseRun is the run of the same command, in the same sandbox with the
// same limits, on the base commit, made because the run at head failed or
// timed out; and what comparing the two says.
type BaseRun struct {
	// Commit is the base commit the command ran on.
	Commit      string   `json:"commit"`
	Status      Status   `json:"status"`
	ExitCode    int      `json:"exit_code"`
	DurationMS  int64    `json:"duration_ms"`
	FailedTests []string `json:"failed_tests"`
	Reason      string   `json:"reason,omitempty"`
	Blame       Blame    `json:"blame"`
	// Broken are the tests that fail at head but not at the base.
	Broken []string `json:"broken"`
	// PreExisting are the tests that fail at both.
	PreExisting []string `json:"pre_existing"`
}

// Failed reports whether the command failed or timed out: a run at head
// that another run, at the base, can explain.
func (r Result) Failed() bool {
	return r.Status == StatusFailed || r.Status == StatusTimedOut
}

// CompareBase sets the run at head (which failed) against base, the same
// command's run on commit.
func CompareBase(head, base Result, commit string) *BaseRun {
	b := &BaseRun{
		Commit: commit, Status: base.Status, ExitCode: base.ExitCode, DurationMS: base.Duration.Milliseconds(),
		FailedTests: base.FailedTests, Reason: base.Reason,
		Broken: []string{}, PreExisting: []string{},
	}
	if b.FailedTests == nil {
		b.FailedTests = []string{}
	}
	switch {
	case base.Status == StatusPassed:
		b.Blame = BlameChange
		b.Broken = append(b.Broken, head.FailedTests...)
	case !base.Failed():
		// An error or a run that did not happen says nothing.
		b.Blame = BlameUnknown
	case len(head.FailedTests) == 0:
		// Neither run names tests (or only the base does): the command
		// fails at both.
		b.Blame = BlamePreExisting
	case len(base.FailedTests) == 0:
		// Head names failing tests, the base fails without naming any
		// (it does not build, say): nothing to compare them with.
		b.Blame = BlameUnknown
	default:
		for _, t := range head.FailedTests {
			if slices.Contains(base.FailedTests, t) {
				b.PreExisting = append(b.PreExisting, t)
			} else {
				b.Broken = append(b.Broken, t)
			}
		}
		b.Blame = BlamePreExisting
		if len(b.Broken) > 0 {
			b.Blame = BlameChange
		}
	}
	return b
}
