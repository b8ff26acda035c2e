package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/codex-review/codex-review/app/repoconfig"
)

// endless is a stream that never ends and counts what was read from it.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '#'
	}
	e.n += int64(len(p))
	return len(p), nil
}

// Item 9: the size limit applies before reading. An endless standard
// input, a FIFO that never ends and a large file are reported as too
// large (exit 1, file:line:col), and no more than the limit is read.
func TestConfigValidateStopsAtTheLimit(t *testing.T) {
	in := &endless{}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"config", "validate", "-"}, in, &out, &errOut, env(nil))
	if code != exitFindings || !strings.Contains(out.String(), "<stdin>:1:1: the file is larger than 65536 bytes") {
		t.Errorf("stdin: exit %d, %q %q", code, out.String(), errOut.String())
	}
	if in.n > 2*repoconfig.MaxFileSize {
		t.Errorf("read %d bytes of an endless stdin", in.n)
	}

	dir := t.TempDir()
	big := filepath.Join(dir, "big.yml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(200 << 20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	if code, out, _ := runCLI(t, env(nil), "config", "validate", big); code != exitFindings || !strings.Contains(out, "the file is 209715200 bytes; the limit is 65536 bytes") {
		t.Errorf("large file: exit %d, %q", code, out)
	}

	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		chunk := bytes.Repeat([]byte("#"), 64<<10)
		for {
			// Ends with EPIPE once the command closes its end.
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}()
	code, out2, _ := runCLI(t, env(nil), "config", "validate", fifo)
	wg.Wait()
	if code != exitFindings || !strings.Contains(out2, "the file is larger than 65536 bytes") {
		t.Errorf("FIFO: exit %d, %q", code, out2)
	}
}
