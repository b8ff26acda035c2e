package sandbox

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	probeOnce sync.Once
	probeErr  error
)

// requireBwrap skips when this host cannot run sandboxes. CI installs
// bubblewrap (.ci/run), so there these tests run.
func requireBwrap(t *testing.T) {
	t.Helper()
	probeOnce.Do(func() { probeErr = Available(context.Background()) })
	if probeErr != nil {
		t.Skipf("bwrap sandboxes are not available here, so the real-sandbox tests cannot run: %v", probeErr)
	}
}

// workTree writes files into a new directory that bwrap can reach when
// it runs as nobody.
func workTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, dir string, cfg Config) Result {
	t.Helper()
	res, err := Run(context.Background(), dir, cfg)
	if err != nil {
		t.Fatalf("Run: %v (output: %s)", err, res.OutputTail)
	}
	t.Logf("status %s, exit %d, limits %v, not applied %v", res.Status, res.ExitCode, res.Limits, res.NotApplied)
	return res
}

func TestGoTestModules(t *testing.T) {
	requireBwrap(t)
	tests := []struct {
		name   string
		test   string
		status Status
		failed []string
	}{
		{"passing", "func TestAdd(t *testing.T) {\n\tif 1+1 != 2 {\n\t\tt.Fatal(\"math\")\n\t}\n}\n", StatusPassed, nil},
		{"failing", "func TestAdd(t *testing.T) {}\n\nfunc TestBroken(t *testing.T) {\n\tt.Run(\"sub\", func(t *testing.T) { t.Fatal(\"broken\") })\n}\n", StatusFailed, []string{"TestBroken", "TestBroken/sub"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := workTree(t, map[string]string{
				"go.mod":        "module example.com/m\n\ngo 1.22\n",
				"m_test.go":     "package m\n\nimport \"testing\"\n\n" + tt.test,
				"sub/.keep.txt": "",
			})
			res := run(t, dir, Config{Command: "go test ./...", Timeout: 5 * time.Minute, Env: []string{"CGO_ENABLED=0"}})
			if res.Status != tt.status || !slices.Equal(res.FailedTests, tt.failed) {
				t.Errorf("status %s, failed %q; want %s, %q\n%s", res.Status, res.FailedTests, tt.status, tt.failed, res.OutputTail)
			}
			if tt.status == StatusPassed && res.ExitCode != 0 {
				t.Errorf("exit code %d", res.ExitCode)
			}
			if _, err := os.Stat(filepath.Join(dir, "go.sum")); err == nil {
				t.Error("the sandbox wrote into the host's work tree")
			}
		})
	}
}

func TestNoNetwork(t *testing.T) {
	requireBwrap(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for _, network := range []Network{NetworkNone, NetworkRestricted} {
		res := run(t, workTree(t, nil), Config{
			Command: "bash -c 'echo hello > /dev/tcp/127.0.0.1/" + port + "' && echo CONNECTED",
			Timeout: time.Minute, Network: network,
		})
		if res.Status != StatusFailed || strings.Contains(res.OutputTail, "CONNECTED") {
			t.Errorf("network %s: status %s, output %q", network, res.Status, res.OutputTail)
		}
	}
	// Nothing may have reached the listener.
	if err := ln.(*net.TCPListener).SetDeadline(time.Now()); err != nil {
		t.Fatal(err)
	}
	if c, err := ln.Accept(); err == nil {
		c.Close()
		t.Fatal("the sandbox connected to a listener outside")
	}
}

func TestNothingOfTheHostInside(t *testing.T) {
	requireBwrap(t)
	t.Setenv("CODEX_TEST_SECRET", "s3cr3t-token-value")
	outside := filepath.Join(t.TempDir(), "host-only.txt")
	if err := os.WriteFile(outside, []byte("host-secret-content"), 0o644); err != nil {
		t.Fatal(err)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, workTree(t, map[string]string{"a.txt": "tree"}), Config{
		Command: strings.Join([]string{
			"env", "cat /proc/*/environ | tr '\\0' '\\n'", "cat " + outside, "ls -la " + home,
			"cat /etc/shadow", "ls /proc | grep -c '^[0-9]'", "cat a.txt", "echo END",
		}, "; "),
		Timeout: time.Minute,
	})
	for _, leak := range []string{"s3cr3t-token-value", "host-secret-content", "CODEX_TEST_SECRET"} {
		if strings.Contains(res.OutputTail, leak) {
			t.Errorf("the sandbox saw %q:\n%s", leak, res.OutputTail)
		}
	}
	for _, want := range []string{"HOME=/tmp/home", outside + ": No such file", "/etc/shadow: No such file", "tree", "END"} {
		if !strings.Contains(res.OutputTail, want) {
			t.Errorf("output lacks %q:\n%s", want, res.OutputTail)
		}
	}
}

func TestForkBombStopped(t *testing.T) {
	requireBwrap(t)
	// The sleeps are told apart from those of any other run of this test
	// on the machine by their length, so that only this run's are counted.
	sleep := uniqueSleep()
	tests := []struct {
		name    string
		command string
	}{
		// Asks for far more processes than allowed; the limit makes fork
		// fail and the shell give up.
		{"bounded", "i=0; while [ $i -lt 300 ]; do sleep " + sleep + " & i=$((i+1)); done; echo ALL-STARTED"},
		// The classic: without limits it takes the host down; with them it
		// spins until the timeout kills the tree.
		{"classic", "f() { f | f & }; f; sleep " + sleep + "; echo ALL-STARTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, workTree(t, nil), Config{Command: tt.command, Pids: 32, Timeout: 5 * time.Second})
			if res.Status == StatusPassed || strings.Contains(res.OutputTail, "ALL-STARTED") {
				t.Errorf("fork bomb not stopped: %s\n%s", res.Status, res.OutputTail)
			}
			if !slices.Contains(res.Limits, "rlimit NPROC 32") {
				t.Errorf("limits %v lack NPROC", res.Limits)
			}
			if leftover := processesMatching(t, "sleep\x00"+sleep+"\x00"); leftover > 0 {
				t.Errorf("%d processes of the sandbox outlived it", leftover)
			}
		})
	}
}

func TestMemoryHogStopped(t *testing.T) {
	requireBwrap(t)
	res := run(t, workTree(t, nil), Config{
		Command:     "x=$(head -c 400000000 /dev/zero | tr '\\0' x); echo SURVIVED ${#x}",
		MemoryBytes: 64 << 20, Timeout: 2 * time.Minute,
	})
	if res.Status != StatusFailed || strings.Contains(res.OutputTail, "SURVIVED") {
		t.Errorf("memory hog not stopped: %s\n%s", res.Status, res.OutputTail)
	}
	if !slices.Contains(res.Limits, "rlimit DATA 64 MiB per process") {
		t.Errorf("limits %v lack DATA", res.Limits)
	}
	if slices.Contains(res.Limits, "cgroup v1 memory 64 MiB") || slices.Contains(res.Limits, "cgroup v2 memory 64 MiB") {
		t.Logf("cgroup memory limit applied; OOM kill seen: %v", res.OOMKilled)
	}
}

func TestTimeoutKillsTree(t *testing.T) {
	requireBwrap(t)
	sleep := uniqueSleep()
	res := run(t, workTree(t, nil), Config{Command: "sleep " + sleep + " & sleep " + sleep + "; echo DONE", Timeout: 2 * time.Second})
	if res.Status != StatusTimedOut || res.ExitCode != -1 || strings.Contains(res.OutputTail, "DONE") {
		t.Errorf("status %s, exit %d, output %q", res.Status, res.ExitCode, res.OutputTail)
	}
	if leftover := processesMatching(t, "sleep\x00"+sleep+"\x00"); leftover > 0 {
		t.Errorf("%d sleep processes outlived the timeout", leftover)
	}
}

func TestWorkTreeTooBig(t *testing.T) {
	requireBwrap(t)
	dir := workTree(t, map[string]string{"big": strings.Repeat("x", 2<<20)})
	res, err := Run(context.Background(), dir, Config{Command: "true", WorkDirBytes: 1 << 20})
	if err == nil || res.Status != StatusError || !strings.Contains(res.Reason, "more than the 1 MiB work directory") {
		t.Errorf("res %+v, err %v", res, err)
	}
}

func TestCancel(t *testing.T) {
	requireBwrap(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, workTree(t, nil), Config{Command: "sleep 600"})
	if err == nil || res.Status != StatusError {
		t.Errorf("res %+v, err %v", res, err)
	}
}

// uniqueSleep is a number of seconds, over a day, that no other run of
// these tests is likely to sleep.
func uniqueSleep() string {
	return strconv.Itoa(100000 + rand.IntN(900000))
}

// processesMatching counts live processes whose command line contains
// needle (arguments joined by NUL).
func processesMatching(t *testing.T, needle string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(needle)) {
			n++
		}
	}
	return n
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"empty command", Config{Command: "  "}, "empty command"},
		{"bad network", Config{Command: "true", Network: "open"}, `network "open"`},
		{"bad env", Config{Command: "true", Env: []string{"NOVALUE"}}, "KEY=VALUE"},
		{"negative", Config{Command: "true", Pids: -1}, "negative"},
		{"bind over work", Config{Command: "true", ReadOnly: []string{"/work/x"}}, "read-only bind"},
		{"no bwrap", Config{Command: "true", Bwrap: "/nonexistent/bwrap"}, "bwrap not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), t.TempDir(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || res.Status != StatusError || res.Reason != err.Error() {
				t.Errorf("res %+v, err %v, want %q", res, err, tt.want)
			}
		})
	}
}
