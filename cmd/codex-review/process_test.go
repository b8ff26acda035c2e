package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests in this file's neighbours that need a real server process
// (kill -9, two replicas, start-up against a failing GitHub) run the
// binary built from this package, once per test binary.
var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds codex-review once and returns its path.
func binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "codex-review-bin-")
		if buildErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		builtPath = filepath.Join(buildDir, "codex-review")
		out, err := exec.Command(goTool, "build", "-o", builtPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return builtPath
}

// procStartTimeout bounds how long a server process may take to listen.
// It is a failure bound, not a wait: start returns as soon as the server
// says where it listens.
const procStartTimeout = 2 * time.Minute

// proc is a running `codex-review serve`.
type proc struct {
	tb   testing.TB
	name string
	cmd  *exec.Cmd
	// URL is the server's base URL, http://127.0.0.1:port.
	URL  string
	logs *logLines
	// exited is closed when the process has exited; err is then its
	// exit error.
	exited chan struct{}
	err    error
}

// logLines collects a process's JSON log lines and lets tests wait for one.
// Lines are decoded only when a test looks at them, so that a busy server's
// log costs the benchmark process little.
type logLines struct {
	mu      sync.Mutex
	raw     []string
	decoded []map[string]any
	changed chan struct{}
}

func newLogLines() *logLines { return &logLines{changed: make(chan struct{})} }

func (l *logLines) add(line string) {
	l.mu.Lock()
	l.raw = append(l.raw, line)
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// lineLocked decodes line i (a non-JSON line becomes its message).
func (l *logLines) lineLocked(i int) map[string]any {
	for len(l.decoded) <= i {
		var m map[string]any
		if err := json.Unmarshal([]byte(l.raw[len(l.decoded)]), &m); err != nil {
			m = map[string]any{"message": l.raw[len(l.decoded)], "level": "raw"}
		}
		l.decoded = append(l.decoded, m)
	}
	return l.decoded[i]
}

// String is every line so far.
func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.raw, "\n")
}

// Match returns the lines for which match is true.
func (l *logLines) Match(match func(map[string]any) bool) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for i := range l.raw {
		if m := l.lineLocked(i); match(m) {
			out = append(out, m)
		}
	}
	return out
}

// wait blocks until a line matches, the deadline passes or stop is closed.
func (l *logLines) wait(deadline time.Time, stop <-chan struct{}, match func(map[string]any) bool) (map[string]any, bool) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	seen, last := 0, false
	for {
		l.mu.Lock()
		for ; seen < len(l.raw); seen++ {
			if m := l.lineLocked(seen); match(m) {
				l.mu.Unlock()
				return m, true
			}
		}
		changed := l.changed
		l.mu.Unlock()
		if last {
			return nil, false
		}
		select {
		case <-changed:
		case <-stop:
			// Every line is in once the process is gone: look once more.
			last = true
		case <-timer.C:
			return nil, false
		}
	}
}

// message matches log lines by their message.
func message(msg string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["message"] == msg }
}

// startProc runs `codex-review serve` with env (and nothing else of this
// process's environment but PATH and HOME) and waits until it is ready. The
// process is killed when the test ends, if it still runs.
func startProc(tb testing.TB, name string, env map[string]string) *proc {
	tb.Helper()
	p := listeningProc(tb, name, env)
	p.waitReady(tb)
	return p
}

// listeningProc starts the process and waits until it listens, which it
// does before it is ready.
func listeningProc(tb testing.TB, name string, env map[string]string) *proc {
	tb.Helper()
	p := launchProc(tb, name, env)
	line, ok := p.logs.wait(time.Now().Add(procStartTimeout), p.exited, message("listening"))
	if !ok {
		p.Kill()
		tb.Fatalf("%s did not start listening (exit: %v); its log:\n%s", name, p.err, p.logs)
	}
	p.URL = "http://" + fmt.Sprint(line["addr"])
	return p
}

// waitReady polls /readyz until it answers 200; the process exiting or the
// start deadline passing fails the test.
func (p *proc) waitReady(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(procStartTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		status, body, err := p.get(ctx, "/readyz")
		cancel()
		if err == nil && status == http.StatusOK {
			return
		}
		select {
		case <-p.exited:
			tb.Fatalf("%s exited before it was ready (%v); its log:\n%s", p.name, p.err, p.logs)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not ready after %s: %d %s %v", p.name, procStartTimeout, status, body, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
	}
}

// launchProc starts the process without waiting for it to listen. Its
// standard error goes to a file, which a goroutine follows: a pipe would
// let a test process that falls behind (the load generator on a busy
// machine) block the server's log writes, and with them its requests.
func launchProc(tb testing.TB, name string, env map[string]string) *proc {
	tb.Helper()
	cmd := exec.Command(binary(tb), "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logFile, err := os.CreateTemp(tb.TempDir(), "stderr-*.log")
	if err != nil {
		tb.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	cmd.Stdout = io.Discard
	p := &proc{tb: tb, name: name, cmd: cmd, logs: newLogLines(), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	waited := make(chan struct{})
	go func() {
		p.err = cmd.Wait()
		close(waited)
	}()
	go func() {
		defer close(p.exited)
		f, err := os.Open(logFile.Name())
		if err != nil {
			p.logs.add("open the log: " + err.Error())
			<-waited
			return
		}
		defer f.Close()
		r := bufio.NewReaderSize(f, 64<<10)
		var partial []byte
		for {
			line, err := r.ReadBytes('\n')
			partial = append(partial, line...)
			if err == nil {
				p.logs.add(string(bytes.TrimSuffix(partial, []byte("\n"))))
				partial = partial[:0]
				continue
			}
			select {
			case <-waited:
				// Everything the process wrote is in the file: read the rest.
				rest, _ := io.ReadAll(r)
				partial = append(partial, rest...)
				for _, l := range bytes.Split(bytes.TrimSuffix(partial, []byte("\n")), []byte("\n")) {
					if len(l) > 0 {
						p.logs.add(string(l))
					}
				}
				return
			case <-time.After(5 * time.Millisecond): // following the file, as tail -f does
			}
		}
	}()
	tb.Cleanup(func() {
		p.Kill()
		if tb.Failed() {
			tb.Logf("log of %s:\n%s", name, p.logs)
		}
	})
	return p
}

// Kill ends the process with SIGKILL, as an OOM kill or a lost node would,
// and waits for it to be gone.
func (p *proc) Kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Stop ends the process with SIGTERM and waits for it to exit.
func (p *proc) Stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
	return p.err
}

// Wait waits for the process to exit by itself, up to timeout.
func (p *proc) Wait(timeout time.Duration) (exited bool) {
	select {
	case <-p.exited:
		return true
	case <-time.After(timeout):
		return false
	}
}

// cpuTime is the user plus system CPU time the process has used so far,
// read from /proc (Linux only; zero elsewhere).
func (p *proc) cpuTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may contain spaces; fields after it are
	// counted from the closing parenthesis.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	// USER_HZ is 100 on every Linux this runs on.
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// get fetches path from the process and returns the status and body.
func (p *proc) get(ctx context.Context, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
