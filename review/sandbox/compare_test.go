package sandbox

import (
	"slices"
	"testing"
)

func TestCompareBase(t *testing.T) {
	failing := func(names ...string) Result { return Result{Status: StatusFailed, ExitCode: 1, FailedTests: names} }
	tests := []struct {
		name             string
		head, base       Result
		blame            Blame
		broken, existing []string
	}{
		{"base passes: every failure is the change's", failing("TestAverage", "TestDivide"), Result{Status: StatusPassed},
			BlameChange, []string{"TestAverage", "TestDivide"}, nil},
		{"base passes, no names: the command is", failing(), Result{Status: StatusPassed}, BlameChange, nil, nil},
		{"same failures at base: pre-existing", failing("TestFlaky"), failing("TestFlaky"), BlamePreExisting, nil, []string{"TestFlaky"}},
		{"some new, some old", failing("TestAverage", "TestFlaky"), failing("TestFlaky", "TestGone"),
			BlameChange, []string{"TestAverage"}, []string{"TestFlaky"}},
		{"both fail without names", failing(), failing(), BlamePreExisting, nil, nil},
		{"base does not build: cannot tell", failing("TestAverage"), failing(), BlameUnknown, nil, nil},
		{"head times out, base passes", Result{Status: StatusTimedOut, ExitCode: -1}, Result{Status: StatusPassed}, BlameChange, nil, nil},
		{"base could not run", failing("TestAverage"), Result{Status: StatusError, Reason: "tmpfs full"}, BlameUnknown, nil, nil},
		{"base timed out with the same failure", failing("TestSlow"), Result{Status: StatusTimedOut, FailedTests: []string{"TestSlow"}},
			BlamePreExisting, nil, []string{"TestSlow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := CompareBase(tt.head, tt.base, "0000000")
			if b.Blame != tt.blame || !slices.Equal(b.Broken, orEmpty(tt.broken)) || !slices.Equal(b.PreExisting, orEmpty(tt.existing)) {
				t.Errorf("CompareBase = %s broken %q pre-existing %q; want %s %q %q", b.Blame, b.Broken, b.PreExisting, tt.blame, tt.broken, tt.existing)
			}
			if b.Commit != "0000000" || b.Status != tt.base.Status {
				t.Errorf("base run = %+v", b)
			}
		})
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
