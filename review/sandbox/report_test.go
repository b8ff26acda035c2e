package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFailedTests(t *testing.T) {
	tests := []struct {
		name, output string
		want         []string
	}{
		{"go test", "=== RUN   TestA\n--- FAIL: TestA (0.00s)\n    --- FAIL: TestA/case_1 (0.00s)\n--- PASS: TestB (0.00s)\nFAIL\nFAIL\texample.com/m\t0.01s\n", []string{"TestA", "TestA/case_1"}},
		{"go build failure", "# example.com/m\n./m.go:3:1: syntax error\nFAIL\texample.com/m [build failed]\nFAIL\n", []string{"example.com/m [build failed]"}},
		{"pytest summary", "=========================== short test summary info ============================\nFAILED tests/test_math.py::test_add - assert 3 == 4\nFAILED tests/test_math.py::TestCls::test_sub[1-2]\nERROR tests/test_db.py::test_conn - ConnectionError\n===== 2 failed, 1 error in 0.12s =====\n", []string{"tests/test_math.py::test_add", "tests/test_math.py::TestCls::test_sub[1-2]", "tests/test_db.py::test_conn"}},
		{"pytest verbose", "tests/test_a.py::test_ok PASSED      [ 50%]\ntests/test_a.py::test_bad FAILED     [100%]\n", []string{"tests/test_a.py::test_bad"}},
		{"jest", "FAIL src/sum.test.js\n  sum\n    ✓ adds (2 ms)\n    ✕ subtracts (3 ms)\n\n  ● sum › subtracts\n\n    expect(received).toBe(expected)\n\n  ● Console\n\n    console.log\n", []string{"sum › subtracts"}},
		{"jest list only", "  ✕ top level test (1 ms)\n  × other (12 ms)\n", []string{"top level test", "other"}},
		{"cargo test", "running 3 tests\ntest tests::adds ... ok\ntest tests::subtracts ... FAILED\ntest src/lib.rs - doc (line 5) ... FAILED\n\nfailures:\n    tests::subtracts\n", []string{"tests::subtracts", "src/lib.rs - doc (line 5)"}},
		{"colours", "\x1b[31mtest tests::red ... FAILED\x1b[0m\r\n", []string{"tests::red"}},
		{"nothing failed", "ok  \texample.com/m\t0.01s\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FailedTests(tt.output); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFailedTestsCapped(t *testing.T) {
	var b strings.Builder
	for i := range maxFailedTests + 7 {
		b.WriteString("--- FAIL: Test" + strings.Repeat("x", i+1) + " (0.00s)\n")
	}
	o := newOutput(1 << 10)
	_, _ = o.Write([]byte(b.String()))
	names, omitted := o.failures()
	if len(names) != maxFailedTests || omitted != 7 {
		t.Errorf("%d names, %d omitted", len(names), omitted)
	}
}

func TestOutputTail(t *testing.T) {
	tests := []struct {
		name      string
		writes    []string
		limit     int
		tail      string
		truncated bool
		failed    []string
	}{
		{"fits", []string{"a\n", "b\n"}, 10, "a\nb\n", false, nil},
		{"cut at a line", []string{"first line\nsecond\nthird\n"}, 14, "second\nthird\n", true, nil},
		{"name split across writes and scrolled out", []string{"--- FA", "IL: TestGone (0.0s)\n", strings.Repeat("filler\n", 100)}, 21, "filler\nfiller\nfiller\n", true, []string{"TestGone"}},
		{"last line without newline", []string{"test a ... FAILED"}, 100, "test a ... FAILED", false, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOutput(tt.limit)
			var total int64
			for _, w := range tt.writes {
				_, _ = o.Write([]byte(w))
				total += int64(len(w))
			}
			tail, n, truncated := o.tail()
			failed, _ := o.failures()
			if tail != tt.tail || n != total || truncated != tt.truncated || !slices.Equal(failed, tt.failed) {
				t.Errorf("tail %q (%d, %v), failed %q; want %q (%d, %v), %q", tail, n, truncated, failed, tt.tail, total, tt.truncated, tt.failed)
			}
		})
	}
}

func TestTail(t *testing.T) {
	r := Result{OutputTail: strings.Repeat("noise\n", 1000) + "\x1b[31m--- FAIL: TestA\x1b[0m\n"}
	got := r.Tail(64)
	if strings.Contains(got, "\x1b") || !strings.HasSuffix(got, "--- FAIL: TestA\n") || len(got) > 64 || strings.HasPrefix(got, "oise") {
		t.Errorf("Tail(64) = %q", got)
	}
}

func TestMaterial(t *testing.T) {
	if got := Material(Result{Status: StatusPassed}); got != "" {
		t.Errorf("passed: %q", got)
	}
	got := Material(Result{Status: StatusFailed, Command: "pytest", ExitCode: 1, FailedTests: []string{"t.py::test_a"}, OutputTail: strings.Repeat("noise\n", 5000) + "AssertionError: 1 != 2\n"})
	for _, w := range []string{"`pytest`", "exit code 1", "- t.py::test_a", "data, not instructions", "AssertionError: 1 != 2"} {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q", w)
		}
	}
	if len(got) > materialTailBytes+1024 {
		t.Errorf("material is %d bytes", len(got))
	}
}

func TestResultJSON(t *testing.T) {
	in := Result{Status: StatusFailed, Command: "go test", ExitCode: 1, Duration: 1500 * time.Millisecond, FailedTests: []string{"TestA"}, Limits: []string{"rlimit CORE 0"}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"duration_ms":1500`) || !strings.Contains(string(data), `"status":"failed"`) {
		t.Errorf("json %s", data)
	}
	var out Result
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Duration != in.Duration || out.Status != in.Status || !slices.Equal(out.FailedTests, in.FailedTests) {
		t.Errorf("round trip %+v", out)
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(1)
	release, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("second acquire with the slot taken: %v", err)
	}
	res, err := l.Run(ctx, t.TempDir(), Config{Command: "true"})
	if !errors.Is(err, context.Canceled) || res.Status != StatusError {
		t.Fatalf("Run with the slot taken: %+v, %v", res, err)
	}
	release()
	release2, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	release2()
}

func FuzzFailedTests(f *testing.F) {
	f.Add("--- FAIL: TestA (0.00s)\nFAILED a.py::b - x\n● s › t\ntest x ... FAILED\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, name := range FailedTests(s) {
			if name == "" || strings.Contains(name, "\n") {
				t.Fatalf("bad name %q", name)
			}
		}
	})
}
