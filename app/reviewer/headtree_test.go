package reviewer_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/review/sandbox"
)

// archiveRequests counts, since the first n requests, the tarball links
// asked of the API and the downloads from the archive host for commit sha.
func archiveRequests(w *apptest.World, n int, sha string) (links, downloads int) {
	for _, r := range w.GitHub.Requests()[n:] {
		switch {
		case r.Path == "/repos/acme/shop/tarball/"+sha:
			links++
		case strings.HasPrefix(r.Path, "/codeload/acme/shop/legacy.tar.gz/"+sha):
			downloads++
		}
	}
	return links, downloads
}

// TestTestsAndContextShareTheHeadTarball is a review that runs the tests
// in the sandbox and shows the model the code around the hunks: both come
// from one download of the head commit (the tree unpacked for the tests
// serves the context), and a base run still fetches the base once.
func TestTestsAndContextShareTheHeadTarball(t *testing.T) {
	if err := sandbox.Available(context.Background()); err != nil {
		t.Skipf("the sandbox cannot run here (%v); .ci/run installs bubblewrap", err)
	}
	tests := []struct {
		name     string
		script   string
		wantBase int // downloads of the base commit
	}{
		{"tests pass at head", "echo ok\n", 0},
		{"tests fail at head and at the base", failAlways, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := apptest.New(t)
			w.AddStandardPR(nil)
			w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nsandbox:\n  enabled: true\n  command: sh run-tests.sh\n  timeout: 1m\n")
			w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "store/users.go", usersGo)
			w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "run-tests.sh", tt.script)
			w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.BaseSHA, "run-tests.sh", tt.script)
			wk := worker(w)
			wk.Sandbox = sandbox.NewLimiter(1)
			n := len(w.GitHub.Requests())
			if err := wk.Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
				t.Fatal(err)
			}
			if links, downloads := archiveRequests(w, n, apptest.HeadSHA); links != 1 || downloads != 1 {
				t.Errorf("head commit: %d tarball links, %d downloads; want 1 and 1", links, downloads)
			}
			if links, downloads := archiveRequests(w, n, apptest.BaseSHA); links != tt.wantBase || downloads != tt.wantBase {
				t.Errorf("base commit: %d tarball links, %d downloads; want %d and %d", links, downloads, tt.wantBase, tt.wantBase)
			}
			rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
			if len(rv) != 1 || !strings.Contains(rv[0].Body, "sh run-tests.sh") {
				t.Fatalf("the review lacks the test run:\n%v", rv)
			}
			reqs := w.Model.Requests()
			if len(reqs) == 0 {
				t.Fatal("no model calls")
			}
			for i, req := range reqs {
				if prompt := req.UserMessages[0]; !strings.Contains(prompt, " 9 : \ts.log(\"get\", id)") || !strings.Contains(prompt, "24 : }") {
					t.Errorf("prompt %d lacks the code around the hunk:\n%s", i, prompt)
				}
			}
		})
	}
}

// countingTransport counts the bytes of the response bodies it carries.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// BenchmarkSandboxReviewDownloads is the first review of a head by a
// worker that runs the tests (they pass) and shows the code around the
// hunks, on a repository of 200 files of 16 KiB that gzip cannot shrink
// much: the head downloads, the bytes read from the archive host, and the
// time of the whole review (fake GitHub and model over loopback, real
// bubblewrap).
func BenchmarkSandboxReviewDownloads(b *testing.B) {
	if err := sandbox.Available(context.Background()); err != nil {
		b.Skipf("the sandbox cannot run here (%v)", err)
	}
	w := apptest.New(b)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nchecks:\n  enabled: false\nsandbox:\n  enabled: true\n  command: sh run-tests.sh\n  timeout: 1m\n")
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "store/users.go", usersGo)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "run-tests.sh", "echo ok\n")
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		var sb strings.Builder
		for sb.Len() < 16<<10 {
			fmt.Fprintf(&sb, "%016x\n", rnd.Uint64())
		}
		w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, fmt.Sprintf("data/%03d.txt", i), sb.String())
	}
	counter := &countingTransport{}
	var heads int
	for b.Loop() {
		// A new worker each time: its cache of head files would serve the
		// context of every review after the first.
		wk := worker(w)
		wk.Pulls = reviewer.OnGitHub(&pull.Opener{Clients: w.Clients, BotLogin: w.GitHub.BotLogin(), WebURL: "https://github.com/", Download: &http.Client{Transport: counter}})
		wk.Sandbox = sandbox.NewLimiter(1)
		r := comment(w, "alice", "OWNER", "@codex review again")
		r.Fresh, r.RequestKey = true, fmt.Sprintf("comment:%d", r.CommentID)
		n := len(w.GitHub.Requests())
		if err := wk.Run(context.Background(), r); err != nil {
			b.Fatal(err)
		}
		_, d := archiveRequests(w, n, apptest.HeadSHA)
		heads += d
	}
	b.ReportMetric(float64(heads)/float64(b.N), "head-downloads/op")
	b.ReportMetric(float64(counter.n.Load())/float64(b.N)/1024, "download-KiB/op")
}
