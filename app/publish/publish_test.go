package publish_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/ghretry"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/render"
)

const (
	owner  = "acme"
	repo   = "widgets"
	number = 7
	head   = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	base   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	// reviewsPath matches the create and list endpoints of reviews.
	reviewsPath = "/repos/*/*/pulls/*/reviews"
)

// The pull request's diff. Commentable lines: main.go RIGHT 10-16 and
// 32-36, LEFT 10-14 and 30-33; util.go RIGHT 1-4.
var prFiles = []githubtest.File{
	{
		Filename: "main.go", Status: "modified", Additions: 4, Deletions: 1, Changes: 5,
		Patch: "@@ -10,5 +10,7 @@ func main() {\n" +
			" \ta := 1\n \tb := 2\n+\tc := a + b\n+\tfmt.Println(c)\n \td := 4\n \te := 5\n \tf := 6\n" +
			"@@ -30,4 +32,5 @@ func helper() int {\n" +
			" \tx := 1\n-\ty := 2\n+\ty := 3\n+\tz := 4\n \treturn x\n }",
	},
	{
		Filename: "util.go", Status: "added", Additions: 4, Changes: 4,
		Patch: "@@ -0,0 +1,4 @@\n+package main\n+\n+func util() int { return 1 }\n+",
	},
}

// env is a fake GitHub with one pull request and a client for it.
type env struct {
	srv    *githubtest.Server
	gh     *github.Client
	target publish.Target
	waits  []time.Duration
}

func newEnv(t testing.TB) *env {
	t.Helper()
	srv := githubtest.New(t)
	srv.AddRepo(owner, repo, githubtest.RepoOptions{})
	srv.AddPR(owner, repo, githubtest.PR{
		Number: number, Title: "Add c", User: "alice", HeadSHA: head, BaseSHA: base,
		BaseRef: "main", HeadRef: "feature", Files: prFiles,
	})
	gh, err := github.NewClient(srv.Client()).WithEnterpriseURLs(srv.URL(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, gh: gh, target: publish.Target{Owner: owner, Repo: repo, Number: number, HeadSHA: head}}
}

// sleep records the waits instead of sleeping.
func (e *env) sleep(ctx context.Context, d time.Duration) error {
	e.waits = append(e.waits, d)
	return ctx.Err()
}

func (e *env) publish(t testing.TB, res *review.Result, prev publish.State, opt publish.Options) (publish.Posted, error) {
	t.Helper()
	opt.Sleep = e.sleep
	return publish.Publish(context.Background(), e.gh, e.target, res, prev, opt)
}

// reviews splits the reviews on the pull request into submitted and
// pending ones.
func (e *env) reviews() (visible, pending []githubtest.Review) {
	for _, r := range e.srv.Reviews(owner, repo, number) {
		if r.State == "PENDING" {
			pending = append(pending, r)
		} else {
			visible = append(visible, r)
		}
	}
	return visible, pending
}

// creates returns the create-review requests, split into visible (with an
// event) and pending ones (without).
func (e *env) creates() (visible, pending []githubtest.Request) {
	for _, r := range e.srv.Requests() {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.Path, "/reviews") {
			continue
		}
		if m, _ := r.Body.(map[string]any); m != nil && m["event"] != nil {
			visible = append(visible, r)
		} else {
			pending = append(pending, r)
		}
	}
	return visible, pending
}

// onlyReview returns the one submitted review, failing if there is not
// exactly one or a pending review is left.
func (e *env) onlyReview(t *testing.T) githubtest.Review {
	t.Helper()
	visible, pending := e.reviews()
	if len(pending) > 0 {
		t.Errorf("%d pending reviews left on the pull request", len(pending))
	}
	if len(visible) != 1 {
		t.Fatalf("%d submitted reviews on the pull request, want exactly 1", len(visible))
	}
	return visible[0]
}

// inline builds a finding placed inline; start 0 makes it single-line.
func inline(n int, path string, side diff.Side, start, line int) review.Reviewed {
	title := fmt.Sprintf("Issue number %s", words[n%len(words)])
	return review.Reviewed{
		Finding: finding.Finding{
			Title: "[P1] " + title, Body: "What goes wrong with " + title + ".",
			ConfidenceScore: 0.8, Priority: 1, Category: "bugs",
			CodeLocation: finding.CodeLocation{AbsoluteFilePath: path, LineRange: finding.LineRange{Start: max(start, line), End: line}},
		},
		Area:        finding.Bugs,
		Fingerprint: fmt.Sprintf("%016x", n+1),
		Placement:   anchor.Placement{Inline: true, Path: path, Side: side, StartLine: start, Line: line, Method: anchor.Exact},
	}
}

var words = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"}

// summaryOnly builds a finding the engine already put in the summary.
func summaryOnly(n int, path string) review.Reviewed {
	f := inline(n, path, diff.Right, 0, 99)
	f.Placement = anchor.Placement{Path: path, Method: anchor.Summary, Reason: "line 99 is outside the diff"}
	return f
}

func result(fs ...review.Reviewed) *review.Result {
	return &review.Result{
		Verdict:  review.Verdict{Correctness: finding.CorrectnessBad, Explanation: "The change has problems.", Confidence: 0.7},
		Findings: fs,
	}
}

func fingerprints(fs ...review.Reviewed) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Fingerprint
	}
	return out
}

// good are findings on lines the fake's diff has, of every kind of
// placement: RIGHT range, RIGHT line, LEFT line, LEFT range, added file.
func good() []review.Reviewed {
	return []review.Reviewed{
		inline(0, "main.go", diff.Right, 12, 13),
		inline(1, "main.go", diff.Right, 0, 15),
		inline(2, "main.go", diff.Left, 0, 31),
		inline(3, "main.go", diff.Left, 10, 12),
		inline(4, "util.go", diff.Right, 0, 3),
		inline(5, "main.go", diff.Right, 33, 34),
	}
}

// outside is a finding the engine believes inline but whose line is not
// in the fake's diff (between the hunks of main.go).
func outside(n int) review.Reviewed { return inline(n, "main.go", diff.Right, 0, 20+n) }

func TestPublishPostsOneReviewWithExactComments(t *testing.T) {
	e := newEnv(t)
	fs := append(good(), summaryOnly(6, "docs/other.md"))
	posted, err := e.publish(t, result(fs...), publish.State{}, publish.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rv := e.onlyReview(t)
	if rv.State != "COMMENTED" || rv.CommitID != head || rv.User != e.srv.BotLogin() {
		t.Errorf("review state %s on %s by %s; want COMMENTED on %s by %s", rv.State, rv.CommitID, rv.User, head, e.srv.BotLogin())
	}
	if posted.ReviewID != rv.ID || posted.URL == "" || posted.Inline != 6 || posted.MovedToSummary != 0 {
		t.Errorf("Posted = %+v; want review %d with 6 inline, none moved", posted, rv.ID)
	}
	type loc struct {
		Path, Side, StartSide string
		Line, StartLine       int
	}
	want := []loc{
		{"main.go", "RIGHT", "RIGHT", 13, 12},
		{"main.go", "RIGHT", "", 15, 0},
		{"main.go", "LEFT", "", 31, 0},
		{"main.go", "LEFT", "LEFT", 12, 10},
		{"util.go", "RIGHT", "", 3, 0},
		{"main.go", "RIGHT", "RIGHT", 34, 33},
	}
	var got []loc
	for i, c := range rv.Comments {
		got = append(got, loc{c.Path, c.Side, c.StartSide, c.Line, c.StartLine})
		if c.Body != render.InlineBody(fs[i]) {
			t.Errorf("comment %d body = %q, want render.InlineBody", i, c.Body)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("comments = %+v\nwant %+v", got, want)
	}
	if !strings.Contains(rv.Body, "Issue number golf") || !strings.Contains(rv.Body, "docs/other.md") {
		t.Errorf("summary does not list the finding kept out of the diff:\n%s", rv.Body)
	}
	st, ok := publish.ParseState(rv.Body)
	if !ok || st.Head != head || !slices.Equal(st.Fingerprints, fingerprints(fs...)) {
		t.Errorf("state = %+v, %v; want head %s and all %d fingerprints", st, ok, head, len(fs))
	}
	if vis, pend := e.creates(); len(vis) != 1 || len(pend) != 0 {
		t.Errorf("%d visible and %d pending create requests, want 1 and 0", len(vis), len(pend))
	}
}

func TestPublishEvent(t *testing.T) {
	tests := []struct {
		event     string
		wantState string
		wantErr   bool
	}{
		{"", "COMMENTED", false},
		{"comment", "COMMENTED", false},
		{"REQUEST_CHANGES", "CHANGES_REQUESTED", false},
		{"APPROVE", "", true},
		{"DISMISS", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.publish(t, result(good()[:1]...), publish.State{}, publish.Options{Event: tt.event})
			if tt.wantErr {
				if err == nil {
					t.Fatal("Publish accepted the event")
				}
				if n := len(e.srv.Requests()); n != 0 {
					t.Errorf("%d requests made for a refused event, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rv := e.onlyReview(t); rv.State != tt.wantState {
				t.Errorf("state = %s, want %s", rv.State, tt.wantState)
			}
		})
	}
}

func TestPublishMovesRefusedCommentsToSummary(t *testing.T) {
	tests := []struct {
		name string
		// bad are the positions (in the finding list) of findings outside
		// the fake's diff, among the good ones.
		bad []int
	}{
		{"one in the middle", []int{3}},
		{"first", []int{0}},
		{"last", []int{6}},
		{"two apart", []int{1, 5}},
		{"two adjacent", []int{2, 3}},
		{"all of them", []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			gs := good()
			n := len(gs) + len(tt.bad)
			if tt.name == "all of them" {
				n = len(tt.bad)
				gs = nil
			}
			var fs []review.Reviewed
			isBad := map[int]bool{}
			for _, b := range tt.bad {
				isBad[b] = true
			}
			for i := range n {
				if isBad[i] {
					fs = append(fs, outside(20+i))
				} else {
					fs = append(fs, gs[0])
					gs = gs[1:]
				}
			}
			posted, err := e.publish(t, result(fs...), publish.State{}, publish.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rv := e.onlyReview(t)
			if posted.ReviewID != rv.ID || posted.Inline != n-len(tt.bad) || posted.MovedToSummary != len(tt.bad) {
				t.Errorf("Posted = %+v; want %d inline and %d moved", posted, n-len(tt.bad), len(tt.bad))
			}
			var wantBodies []string
			for i, f := range fs {
				if !isBad[i] {
					wantBodies = append(wantBodies, render.InlineBody(f))
					continue
				}
				title := strings.TrimPrefix(f.Title, "[P1] ")
				if !strings.Contains(rv.Body, title) {
					t.Errorf("summary does not list the refused finding %q", title)
				}
			}
			if !strings.Contains(rv.Body, "GitHub refused this location") {
				t.Errorf("summary does not say why the findings moved:\n%s", rv.Body)
			}
			var gotBodies []string
			for _, c := range rv.Comments {
				gotBodies = append(gotBodies, c.Body)
			}
			if !slices.Equal(gotBodies, wantBodies) {
				t.Errorf("inline comments are not the accepted findings in order")
			}
			st, _ := publish.ParseState(rv.Body)
			if !slices.Equal(st.Fingerprints, fingerprints(fs...)) {
				t.Errorf("state fingerprints = %v, want all posted %v", st.Fingerprints, fingerprints(fs...))
			}

			// Only one visible attempt besides the refused one, and the
			// search stays within about 2k·log2(n) pending reviews, each
			// deleted when GitHub accepted it.
			vis, pend := e.creates()
			if len(vis) != 2 {
				t.Errorf("%d visible create requests, want the refused one and the final one", len(vis))
			}
			if limit := 1 + 2*len(tt.bad)*bitsLen(n); len(pend) > limit {
				t.Errorf("%d pending reviews created for %d comments with %d bad, want at most %d", len(pend), n, len(tt.bad), limit)
			}
			accepted, deleted := 0, 0
			for _, r := range e.srv.Requests() {
				switch {
				case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/reviews") && r.Status == http.StatusOK:
					accepted++
				case r.Method == http.MethodDelete && r.Status == http.StatusOK:
					deleted++
				}
			}
			if deleted != accepted-1 {
				t.Errorf("%d pending reviews accepted, %d deleted", accepted-1, deleted)
			}
		})
	}
}

// bitsLen is ceil(log2(n)) for n >= 1.
func bitsLen(n int) int {
	b := 0
	for 1<<b < n {
		b++
	}
	return b
}

func TestPublishClearsLeftoverPendingReview(t *testing.T) {
	e := newEnv(t)
	// An earlier run died between creating and deleting a pending review.
	_, _, err := e.gh.PullRequests.CreateReview(context.Background(), owner, repo, number, &github.PullRequestReviewRequest{
		CommitID: github.String(head),
		Comments: []*github.DraftReviewComment{{Path: github.String("util.go"), Line: github.Int(1), Side: github.String("RIGHT"), Body: github.String("left over")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	fs := []review.Reviewed{good()[0], outside(30), good()[1]}
	posted, err := e.publish(t, result(fs...), publish.State{}, publish.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rv := e.onlyReview(t)
	if posted.Inline != 2 || posted.MovedToSummary != 1 || len(rv.Comments) != 2 {
		t.Errorf("Posted = %+v with %d comments; want 2 inline and 1 moved", posted, len(rv.Comments))
	}
}

func TestPublishFallsBackToSummaryOnly(t *testing.T) {
	e := newEnv(t)
	// The fake refuses any review with more than one comment, pending or
	// not, so no comment is at fault on its own: the search blames some,
	// GitHub still refuses the rest, and the review goes out with
	// everything in the body.
	e.srv.SetMaxReviewComments(1)
	fs := good()[:4]
	posted, err := e.publish(t, result(fs...), publish.State{}, publish.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rv := e.onlyReview(t)
	if posted.Inline != 0 || posted.MovedToSummary != len(fs) || len(rv.Comments) != 0 {
		t.Errorf("Posted = %+v with %d comments; every finding must be inline or moved", posted, len(rv.Comments))
	}
	for _, f := range fs {
		title := strings.TrimPrefix(f.Title, "[P1] ")
		inlined := slices.ContainsFunc(rv.Comments, func(c githubtest.ReviewComment) bool { return strings.Contains(c.Body, title) })
		if !inlined && !strings.Contains(rv.Body, title) {
			t.Errorf("finding %q is lost: neither inline nor in the summary", title)
		}
	}
}

func TestPublishIncremental(t *testing.T) {
	e := newEnv(t)
	gs := good()
	first, err := e.publish(t, result(gs[:3]...), publish.State{}, publish.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prev, err := publish.LastState(context.Background(), e.gh, owner, repo, number, e.srv.BotLogin())
	if err != nil {
		t.Fatal(err)
	}
	if prev.Head != head || !slices.Equal(prev.Fingerprints, fingerprints(gs[:3]...)) {
		t.Fatalf("LastState after the first review = %+v", prev)
	}

	// A push: the engine finds two of the old issues again and two new ones.
	const head2 = "cccccccccccccccccccccccccccccccccccccccc"
	e.srv.SetHead(owner, repo, number, head2, prFiles)
	e.target.HeadSHA = head2
	second := []review.Reviewed{gs[1], gs[3], gs[2], gs[4]}
	posted, err := e.publish(t, result(second...), prev, publish.Options{Summary: render.SummaryOptions{Incremental: "since aaaaaaa"}})
	if err != nil {
		t.Fatal(err)
	}
	if posted.ReviewID == first.ReviewID || posted.Inline != 2 {
		t.Errorf("second Posted = %+v; want a new review with the 2 new findings", posted)
	}
	visible, _ := e.reviews()
	if len(visible) != 2 {
		t.Fatalf("%d reviews, want 2", len(visible))
	}
	rv := visible[1]
	var bodies []string
	for _, c := range rv.Comments {
		bodies = append(bodies, c.Body)
	}
	if want := []string{render.InlineBody(gs[3]), render.InlineBody(gs[4])}; !slices.Equal(bodies, want) {
		t.Errorf("second review re-posted or missed findings: %d comments", len(bodies))
	}
	// The old issues found again are not posted twice: the summary lists
	// them by title as still applying, without their bodies or markers;
	// the one not found again is not mentioned.
	for _, old := range gs[1:3] {
		if !strings.Contains(rv.Body, "- **[P1] "+strings.TrimPrefix(old.Title, "[P1] ")+"**") {
			t.Errorf("summary does not list %q as still applying:\n%s", old.Title, rv.Body)
		}
		if strings.Contains(rv.Body, old.Body) || strings.Contains(rv.Body, render.FingerprintMarker(old.Fingerprint)) {
			t.Errorf("summary repeats %q in full, posted before", old.Title)
		}
	}
	if strings.Contains(rv.Body, strings.TrimPrefix(gs[0].Title, "[P1] ")) {
		t.Errorf("summary mentions %q, not found again", gs[0].Title)
	}
	if !strings.Contains(rv.Body, "2 new findings: 2 posted inline, 0 listed below. 2 findings posted by earlier reviews still apply") || posted.Standing != 2 {
		t.Errorf("summary does not count the earlier findings that still apply (Posted %+v):\n%s", posted, rv.Body)
	}
	st, err := publish.LastState(context.Background(), e.gh, owner, repo, number, e.srv.BotLogin())
	if err != nil {
		t.Fatal(err)
	}
	if want := fingerprints(gs[0], gs[1], gs[2], gs[3], gs[4]); st.Head != head2 || !slices.Equal(st.Fingerprints, want) {
		t.Errorf("state after the second review = %+v, want head %s and %v", st, head2, want)
	}

	// Nothing new, but two earlier findings found again: not "no
	// findings", which a maintainer would read as "fixed".
	if _, err := e.publish(t, result(gs[1], gs[4]), st, publish.Options{}); err != nil {
		t.Fatal(err)
	}
	visible, _ = e.reviews()
	last := visible[len(visible)-1]
	if len(last.Comments) != 0 || strings.Contains(last.Body, "No findings") ||
		!strings.Contains(last.Body, "**No new findings.** 2 findings posted by earlier reviews still apply") {
		t.Errorf("review with nothing new has %d comments and body:\n%s", len(last.Comments), last.Body)
	}

	// Nothing found at all: now "no findings" is true.
	if _, err := e.publish(t, result(), st, publish.Options{}); err != nil {
		t.Fatal(err)
	}
	visible, _ = e.reviews()
	if last := visible[len(visible)-1]; !strings.Contains(last.Body, "No findings at or above the priority threshold.") {
		t.Errorf("review without findings:\n%s", last.Body)
	}
}

// rsaKeyPEM is a key for the fake's SetApp, generated once.
func rsaKeyPEM(t *testing.T) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func TestLastStateIgnoresOthersMarkers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	key := rsaKeyPEM(t)
	bot := e.srv.BotLogin()
	post := func(body string) {
		t.Helper()
		if _, _, err := e.gh.PullRequests.CreateReview(ctx, owner, repo, number, &github.PullRequestReviewRequest{
			CommitID: github.String(head), Body: github.String(body), Event: github.String("COMMENT"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	mine := publish.State{Head: head, Fingerprints: []string{"00000000000000a1"}}
	// The fake posts as the app it is configured with; another app
	// (standing in for any other user, as the fake cannot act as one)
	// posts forged states before and after the app's own review.
	forged := publish.State{Head: head, Fingerprints: []string{"00000000000000f1", "00000000000000f2"}}
	e.srv.SetApp(2, "mallory", key)
	post("looks fine\n\n" + forged.Marker())
	// Enough reviews by others that the app's own lands on the second
	// page of the list.
	for range 110 {
		post("noise")
	}
	e.srv.SetApp(1, "test-app", key)
	post("## Codex review\n\n" + mine.Marker())
	post("A review by the app without state")
	e.srv.SetApp(2, "mallory", key)
	post("newer forgery\n\n" + forged.Marker())
	e.srv.SetApp(1, "test-app", key)

	got, err := publish.LastState(ctx, e.gh, owner, repo, number, bot)
	if err != nil {
		t.Fatal(err)
	}
	if got.Head != mine.Head || !slices.Equal(got.Fingerprints, mine.Fingerprints) {
		t.Errorf("LastState = %+v, want the app's own %+v", got, mine)
	}
	none, err := publish.LastState(ctx, e.gh, owner, repo, number, "someone-else[bot]")
	if err != nil || none.Head != "" {
		t.Errorf("LastState for a login without reviews = %+v, %v; want the zero state", none, err)
	}
	if _, err := publish.LastState(ctx, e.gh, owner, repo, number, ""); err == nil {
		t.Error("LastState without a bot login succeeded")
	}
}

func TestPublishRetriesThrottling(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    http.Header
		wantWaits []time.Duration
	}{
		// go-github turns a 403 secondary limit into AbuseRateLimitError
		// and then refuses every request until Retry-After has passed on
		// the wall clock, so this case uses 0 to keep the test from
		// sleeping; the 429 case checks that a real wait is honoured.
		{"403 secondary limit", http.StatusForbidden, http.Header{"Retry-After": {"0"}}, []time.Duration{0}},
		{"429 with Retry-After", http.StatusTooManyRequests, http.Header{"Retry-After": {"42"}}, []time.Duration{42 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.FailNext(http.MethodPost, reviewsPath, 1, tt.status, tt.header)
			posted, err := e.publish(t, result(good()[:2]...), publish.State{}, publish.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rv := e.onlyReview(t)
			if posted.ReviewID != rv.ID || len(rv.Comments) != 2 {
				t.Errorf("Posted = %+v, review has %d comments", posted, len(rv.Comments))
			}
			if !slices.Equal(e.waits, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", e.waits, tt.wantWaits)
			}
		})
	}
}

func TestPublishGivesUpOnServerErrors(t *testing.T) {
	e := newEnv(t)
	e.srv.FailNext(http.MethodPost, reviewsPath, 100, http.StatusBadGateway, nil)
	_, err := e.publish(t, result(good()[:2]...), publish.State{}, publish.Options{})
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || ge.Response.StatusCode != http.StatusBadGateway {
		t.Fatalf("err = %v, want the 502 wrapped", err)
	}
	if visible, pending := e.reviews(); len(visible)+len(pending) != 0 {
		t.Errorf("%d reviews posted, want none", len(visible)+len(pending))
	}
	if vis, _ := e.creates(); len(vis) != 4 {
		t.Errorf("%d post attempts, want 4", len(vis))
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; !slices.Equal(e.waits, want) {
		t.Errorf("waits = %v, want %v", e.waits, want)
	}
}

func TestPublishRefusesLongWait(t *testing.T) {
	e := newEnv(t)
	e.srv.FailNext(http.MethodPost, reviewsPath, 1, http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}})
	if _, err := e.publish(t, result(good()[:1]...), publish.State{}, publish.Options{}); err == nil {
		t.Fatal("Publish waited an hour instead of failing")
	}
	if len(e.waits) != 0 {
		t.Errorf("waits = %v, want none", e.waits)
	}
	if visible, _ := e.reviews(); len(visible) != 0 {
		t.Errorf("%d reviews posted, want none", len(visible))
	}
}

// lyingTransport passes requests to the fake but answers the first n
// visible review posts with 502, as GitHub sometimes does after creating
// the review.
type lyingTransport struct {
	next http.RoundTripper
	n    int
}

func (l *lyingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err != nil || l.n == 0 || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/reviews") {
		return resp, err
	}
	l.n--
	resp.Body.Close()
	return &http.Response{
		StatusCode: http.StatusBadGateway, Status: "502 Bad Gateway", Request: r,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   io.NopCloser(strings.NewReader(`{"message":"Server Error"}`)),
	}, nil
}

func TestPublishDoesNotRepostAfterAmbiguous5xx(t *testing.T) {
	e := newEnv(t)
	hc := e.srv.Client()
	hc.Transport = &lyingTransport{next: hc.Transport, n: 1}
	gh, err := github.NewClient(hc).WithEnterpriseURLs(e.srv.URL(), e.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	e.gh = gh
	posted, err := e.publish(t, result(good()[:2]...), publish.State{}, publish.Options{BotLogin: e.srv.BotLogin()})
	if err != nil {
		t.Fatal(err)
	}
	rv := e.onlyReview(t)
	if posted.ReviewID != rv.ID {
		t.Errorf("Posted.ReviewID = %d, want the review that landed, %d", posted.ReviewID, rv.ID)
	}
	if vis, _ := e.creates(); len(vis) != 1 {
		t.Errorf("%d post requests, want 1", len(vis))
	}
}

func TestPublishBodyStaysWithinLimit(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("This explanation is far too long. ", 400)
	var fs []review.Reviewed
	for i := range 300 {
		f := summaryOnly(i, fmt.Sprintf("pkg/file%03d.go", i))
		f.Title = fmt.Sprintf("[P1] Problem %s %s %d", words[i%len(words)], words[(i/12)%len(words)], i)
		f.Fingerprint = fmt.Sprintf("%016x", 1000+i)
		f.Body = long
		fs = append(fs, f)
	}
	huge := good()[0]
	huge.Body = strings.Repeat("x", 2*render.MaxBodyChars)
	fs = append(fs, huge)
	// A long history: thousands of fingerprints posted before.
	var prev publish.State
	prev.Head = head
	for i := range 5000 {
		prev.Fingerprints = append(prev.Fingerprints, fmt.Sprintf("%016x", 100000+i))
	}
	posted, err := e.publish(t, result(fs...), prev, publish.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rv := e.onlyReview(t)
	if n := utf8.RuneCountInString(rv.Body); n > render.MaxBodyChars {
		t.Errorf("summary is %d characters, over %d", n, render.MaxBodyChars)
	}
	if len(rv.Comments) != 1 || utf8.RuneCountInString(rv.Comments[0].Body) > render.MaxBodyChars {
		t.Errorf("the long inline comment was not posted within the limit")
	}
	st, ok := publish.ParseState(rv.Body)
	if !ok || st.Head != head {
		t.Fatalf("state lost from a full summary: %+v, %v", st, ok)
	}
	all := append(slices.Clone(prev.Fingerprints), fingerprints(fs...)...)
	if len(st.Fingerprints) == 0 || !slices.Equal(st.Fingerprints, all[len(all)-len(st.Fingerprints):]) {
		t.Errorf("state keeps %d fingerprints that are not the most recent ones", len(st.Fingerprints))
	}
	if posted.Inline != 1 {
		t.Errorf("Posted.Inline = %d, want 1", posted.Inline)
	}
}

func TestPublishCapsInlineComments(t *testing.T) {
	e := newEnv(t)
	fs := good()
	posted, err := e.publish(t, result(fs...), publish.State{}, publish.Options{MaxComments: 2})
	if err != nil {
		t.Fatal(err)
	}
	rv := e.onlyReview(t)
	if posted.Inline != 2 || posted.MovedToSummary != 4 || len(rv.Comments) != 2 {
		t.Errorf("Posted = %+v with %d comments; want 2 inline, 4 moved", posted, len(rv.Comments))
	}
	if !strings.Contains(rv.Body, "over the limit of inline comments") {
		t.Errorf("summary does not say why findings are not inline:\n%s", rv.Body)
	}
}

func TestPublishRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tests := []struct {
		name string
		gh   *github.Client
		t    publish.Target
	}{
		{"no client", nil, e.target},
		{"no owner", e.gh, publish.Target{Repo: repo, Number: number, HeadSHA: head}},
		{"no number", e.gh, publish.Target{Owner: owner, Repo: repo, HeadSHA: head}},
		{"head not a SHA", e.gh, publish.Target{Owner: owner, Repo: repo, Number: number, HeadSHA: "main"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := publish.Publish(ctx, tt.gh, tt.t, result(good()[:1]...), publish.State{}, publish.Options{}); err == nil {
				t.Error("Publish accepted the input")
			}
		})
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests made for bad input, want none", n)
	}
}

func TestPostComment(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr bool
	}{
		{"short", "The review failed: the model is not configured.", false},
		{"over the limit", strings.Repeat("é", render.MaxBodyChars), false},
		{"empty", "  ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			err := publish.PostComment(context.Background(), e.gh, owner, repo, number, tt.body)
			cs := e.srv.Comments(owner, repo, number)
			if tt.wantErr {
				if err == nil || len(cs) != 0 {
					t.Errorf("err = %v with %d comments; want an error and none", err, len(cs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 1 {
				t.Fatalf("%d comments, want 1", len(cs))
			}
			got := cs[0].Body
			if len(got) > render.MaxBodyChars || !utf8.ValidString(got) {
				t.Errorf("comment is %d bytes (valid UTF-8: %v), over the limit", len(got), utf8.ValidString(got))
			}
			if len(tt.body) <= render.MaxBodyChars && got != tt.body {
				t.Errorf("comment = %q, want %q", got, tt.body)
			}
			if len(tt.body) > render.MaxBodyChars && !strings.Contains(got, "size limit") {
				t.Error("a cut comment does not say it was cut")
			}
		})
	}
}

func TestReact(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.srv.AddIssueComment(owner, repo, githubtest.IssueComment{Number: number, User: "alice", Body: "@codex review"})
	if err := publish.React(ctx, e.gh, owner, repo, c.ID, "eyes"); err != nil {
		t.Fatal(err)
	}
	if err := publish.React(ctx, e.gh, owner, repo, c.ID, "thumbsup"); err == nil {
		t.Error("React accepted an unknown reaction")
	}
	rs := e.srv.Reactions(owner, repo, c.ID)
	if len(rs) != 1 || rs[0].Content != "eyes" || rs[0].User != e.srv.BotLogin() {
		t.Errorf("reactions = %+v, want one eyes by the app", rs)
	}
}

func TestPublishUnknownHead(t *testing.T) {
	e := newEnv(t)
	e.target.HeadSHA = "dddddddddddddddddddddddddddddddddddddddd"
	if _, err := e.publish(t, result(good()[:3]...), publish.State{}, publish.Options{}); err == nil {
		t.Fatal("Publish succeeded on a head the pull request never had")
	}
	if vis, pend := e.creates(); len(vis) != 1 || len(pend) != 0 {
		t.Errorf("%d posts and %d pending probes, want 1 and none: no search for a commit problem", len(vis), len(pend))
	}
}

// TestPublishRecognisesMergedReports: a problem first posted under one
// pass's fingerprint and found again with another pass's report first is
// still known as posted, through the merged report's aliases.
func TestPublishRecognisesMergedReports(t *testing.T) {
	e := newEnv(t)
	gs := good()
	first := gs[1]
	first.Aliases = []string{"a11a5a11a5a11a50"}
	if _, err := e.publish(t, result(first), publish.State{}, publish.Options{Signature: "5151515151515151"}); err != nil {
		t.Fatal(err)
	}
	st, err := publish.LastState(context.Background(), e.gh, owner, repo, number, e.srv.BotLogin())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{first.Fingerprint, "a11a5a11a5a11a50"}; !slices.Equal(st.Fingerprints, want) {
		t.Errorf("state fingerprints %v, want the finding's and its alias %v", st.Fingerprints, want)
	}
	if st.Signature != "5151515151515151" || st.Verdict != finding.CorrectnessBad || !slices.Equal(st.Counts, []int{0, 1, 0, 0}) {
		t.Errorf("state = %+v, want the request's signature, the verdict and the counts", st)
	}

	again := gs[1]
	again.Fingerprint, again.Aliases = "a11a5a11a5a11a50", []string{"0000000000000bad"}
	posted, err := e.publish(t, result(again), st, publish.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if posted.Inline != 0 || posted.Standing != 1 {
		t.Errorf("Posted = %+v, want the finding recognised as posted before", posted)
	}
}

// TestReadsAreRetriedOnce checks that a GitHub read that keeps failing is
// retried by the client's transport only (app/ghretry, as serve installs
// it), not again by publish around it: a persistent 502 on the reviews
// list costs ghretry.MaxAttempts calls, not MaxAttempts squared.
func TestReadsAreRetriedOnce(t *testing.T) {
	e := newEnv(t)
	tr := &ghretry.Transport{Next: e.srv.Client().Transport, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
	gh, err := github.NewClient(&http.Client{Transport: tr}).WithEnterpriseURLs(e.srv.URL(), e.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	e.srv.FailNext(http.MethodGet, reviewsPath, 100, http.StatusBadGateway, nil)
	if _, err := publish.AppReviews(context.Background(), gh, owner, repo, number, "codex-review[bot]"); err == nil {
		t.Fatal("a reviews list that always fails was read")
	}
	if _, err := publish.FindCheckRun(context.Background(), gh, owner, repo, head, "x"); err != nil {
		t.Fatalf("FindCheckRun: %v", err)
	}
	calls := 0
	for _, r := range e.srv.Requests() {
		if r.Method == http.MethodGet && r.Path == fmt.Sprintf("/repos/%s/%s/pulls/%d/reviews", owner, repo, number) {
			calls++
		}
	}
	if calls != ghretry.MaxAttempts {
		t.Errorf("%d calls to the reviews list, want %d (the transport's retries only)", calls, ghretry.MaxAttempts)
	}
}

// TestReplyWhileAppReviewPending: GitHub refuses the app's reply in a
// thread while the app has a pending review on the pull request (a review
// looking for refused comments, beside the reply); Reply says so with
// ErrPendingReview, which the worker retries, and the reply goes through
// once the pending review is gone.
func TestReplyWhileAppReviewPending(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.srv.AddReviewComment(owner, repo, number, githubtest.ReviewComment{User: "alice", Path: "util.go", Line: 3, Body: "why?"})
	pending, _, err := e.gh.PullRequests.CreateReview(ctx, owner, repo, number, &github.PullRequestReviewRequest{Body: github.String("probe")})
	if err != nil {
		t.Fatal(err)
	}
	err = publish.Reply(ctx, e.gh, owner, repo, number, root.ID, "because")
	if !errors.Is(err, publish.ErrPendingReview) {
		t.Fatalf("Reply with a pending review of the app: %v, want ErrPendingReview", err)
	}
	if _, _, err := e.gh.PullRequests.DeletePendingReview(ctx, owner, repo, number, pending.GetID()); err != nil {
		t.Fatal(err)
	}
	if err := publish.Reply(ctx, e.gh, owner, repo, number, root.ID, "because"); err != nil {
		t.Fatalf("Reply once the pending review is gone: %v", err)
	}
}
