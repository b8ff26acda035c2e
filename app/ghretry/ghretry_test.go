package ghretry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/ghretry"
	"github.com/codex-review/codex-review/app/githubtest"
)

type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return nil
}

// client is a go-github client on the fake GitHub through the retrying
// transport, whose waits are recorded instead of slept.
func client(t *testing.T, gh *githubtest.Server) (*github.Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	hc := gh.Client()
	hc.Transport = &ghretry.Transport{Next: hc.Transport, Sleep: s.sleep}
	c, err := github.NewClient(hc).WithEnterpriseURLs(gh.URL(), gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func fake(t *testing.T) *githubtest.Server {
	gh := githubtest.New(t)
	gh.AddRepo("acme", "shop", githubtest.RepoOptions{})
	gh.AddPR("acme", "shop", githubtest.PR{Number: 7, HeadSHA: strings.Repeat("1", 40), BaseSHA: strings.Repeat("0", 40), BaseRef: "main", HeadRef: "x", User: "alice"})
	return gh
}

func calls(gh *githubtest.Server, method, path string) int {
	n := 0
	for _, r := range gh.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// logContext is a context whose logger writes JSON lines to buf.
func logContext(t *testing.T, buf *bytes.Buffer) context.Context {
	return zerolog.New(buf).WithContext(t.Context())
}

func TestReadsAreRetried(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(gh *githubtest.Server)
		wantCalls int
		wantWaits []time.Duration
		wantErr   bool
	}{
		{
			name:      "one 502",
			fail:      func(gh *githubtest.Server) { gh.FailNext("GET", "/repos/acme/shop/pulls/7/files", 1, 502, nil) },
			wantCalls: 2, wantWaits: []time.Duration{time.Second},
		},
		{
			name:      "503 three times, then an answer",
			fail:      func(gh *githubtest.Server) { gh.FailNext("GET", "/repos/acme/shop/pulls/7/files", 3, 503, nil) },
			wantCalls: 4, wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
		},
		{
			name:      "server errors outlast the attempts",
			fail:      func(gh *githubtest.Server) { gh.FailNext("GET", "/repos/acme/shop/pulls/7/files", 5, 500, nil) },
			wantCalls: ghretry.MaxAttempts, wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, wantErr: true,
		},
		{
			name: "secondary rate limit with Retry-After",
			fail: func(gh *githubtest.Server) {
				gh.FailSecondaryRateLimit("GET", "/repos/acme/shop/pulls/7/files", 1, "3")
			},
			wantCalls: 2, wantWaits: []time.Duration{3 * time.Second},
		},
		{
			name: "a Retry-After too long to wait here",
			fail: func(gh *githubtest.Server) {
				gh.FailSecondaryRateLimit("GET", "/repos/acme/shop/pulls/7/files", 1, "90")
			},
			wantCalls: 1, wantErr: true,
		},
		{
			name:      "forbidden without a wait is not a passing failure",
			fail:      func(gh *githubtest.Server) { gh.FailNext("GET", "/repos/acme/shop/pulls/7/files", 1, 403, nil) },
			wantCalls: 1, wantErr: true,
		},
		{
			name:      "not found is an answer",
			fail:      func(gh *githubtest.Server) { gh.FailNext("GET", "/repos/acme/shop/pulls/7/files", 1, 404, nil) },
			wantCalls: 1, wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := fake(t)
			c, s := client(t, gh)
			tt.fail(gh)
			var logs bytes.Buffer
			_, _, err := c.PullRequests.ListFiles(logContext(t, &logs), "acme", "shop", 7, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ListFiles: %v, want error %v", err, tt.wantErr)
			}
			if n := calls(gh, "GET", "/repos/acme/shop/pulls/7/files"); n != tt.wantCalls {
				t.Errorf("%d calls, want %d", n, tt.wantCalls)
			}
			if len(s.waits) != len(tt.wantWaits) {
				t.Fatalf("waits %v, want %v", s.waits, tt.wantWaits)
			}
			for i := range s.waits {
				if s.waits[i] != tt.wantWaits[i] {
					t.Errorf("waits %v, want %v", s.waits, tt.wantWaits)
				}
			}
			// One warn line per retried failure, naming the path and the
			// status.
			var lines int
			for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
				if len(l) == 0 {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal(l, &m); err != nil {
					t.Fatalf("log line %q: %v", l, err)
				}
				if m["level"] != "warn" || m["message"] != "GitHub read failed; retrying" || !strings.HasSuffix(fmt.Sprint(m["path"]), "/repos/acme/shop/pulls/7/files") || m["status"] == nil {
					t.Errorf("unexpected log line %s", l)
				}
				lines++
			}
			if lines != len(tt.wantWaits) {
				t.Errorf("%d warn lines, want one per retry (%d)", lines, len(tt.wantWaits))
			}
		})
	}
}

func TestWritesAreNotRetried(t *testing.T) {
	gh := fake(t)
	c, s := client(t, gh)
	gh.FailNext("POST", "/repos/acme/shop/issues/7/comments", 1, 502, nil)
	_, _, err := c.Issues.CreateComment(t.Context(), "acme", "shop", 7, &github.IssueComment{Body: github.String("hello")})
	if err == nil {
		t.Fatal("a failed write reported success")
	}
	if n := calls(gh, "POST", "/repos/acme/shop/issues/7/comments"); n != 1 || len(s.waits) != 0 {
		t.Errorf("%d calls and waits %v: a write was repeated", n, s.waits)
	}
}

// TestCancelledReadIsNotRetried: a read whose caller gave up returns at
// once instead of waiting to try again.
func TestCancelledReadIsNotRetried(t *testing.T) {
	gh := fake(t)
	gh.FailNext("GET", "/repos/acme/shop/pulls/7", 1, 502, nil)
	hc := gh.Client()
	ctx, cancel := context.WithCancel(t.Context())
	hc.Transport = &ghretry.Transport{Next: hc.Transport, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}}
	c, err := github.NewClient(hc).WithEnterpriseURLs(gh.URL(), gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.PullRequests.Get(ctx, "acme", "shop", 7); err == nil {
		t.Fatal("a cancelled read succeeded")
	}
	if n := calls(gh, "GET", "/repos/acme/shop/pulls/7"); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}
