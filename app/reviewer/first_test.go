package reviewer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/review/budget"
)

// firstReviewEnv makes TestFirstReviewHelper run: it is the child process
// of BenchmarkFirstReview, a process that has never reviewed anything.
const firstReviewEnv = "CODEX_FIRST_REVIEW_HELPER"

// BenchmarkFirstReview measures, in fresh processes, how much longer the
// first review takes than the later ones: everything but the model and the
// network (both fakes answer at once). "preload" loads the tokenizer
// tables at start, as serve does; "cold" does not.
//
//	go test ./app/reviewer -run XXX -bench FirstReview -benchtime 5x
func BenchmarkFirstReview(b *testing.B) {
	for _, mode := range []string{"preload", "cold"} {
		b.Run(mode, func(b *testing.B) {
			var first, warm []float64
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestFirstReviewHelper$", "-test.v")
				cmd.Env = append(os.Environ(), firstReviewEnv+"="+mode)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Run(); err != nil {
					b.Fatalf("helper: %v\n%s", err, out.String())
				}
				f, w := parseTimings(b, out.String())
				first, warm = append(first, f), append(warm, w)
			}
			b.ReportMetric(median(first), "first-ms")
			b.ReportMetric(median(warm), "warm-ms")
			b.ReportMetric(median(first)-median(warm), "first-minus-warm-ms")
		})
	}
}

func TestFirstReviewHelper(t *testing.T) {
	mode := os.Getenv(firstReviewEnv)
	if mode == "" {
		t.Skip("run by BenchmarkFirstReview in a fresh process")
	}
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "store/users.go", usersGo)
	wk := cachingWorker(t, w)
	if mode == "preload" {
		// What serve does at start, while it waits for GitHub.
		if _, err := budget.NewCounter(wk.Model.Model); err != nil {
			t.Fatal(err)
		}
	}
	var ms []float64
	for i := range 6 {
		j := comment(w, "alice", "OWNER", "@codex review again")
		j.Fresh, j.RequestKey = true, "comment:"+strconv.Itoa(i)
		start := time.Now()
		if err := wk.Run(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, float64(time.Since(start).Microseconds())/1000)
	}
	fmt.Printf("timings %v\n", ms)
}

// parseTimings reads the helper's "timings [first warm...]" line and
// returns the first review's time and the median of the others.
func parseTimings(tb testing.TB, out string) (first, warm float64) {
	tb.Helper()
	_, line, ok := strings.Cut(out, "timings [")
	if !ok {
		tb.Fatalf("no timings in:\n%s", out)
	}
	line, _, _ = strings.Cut(line, "]")
	var ms []float64
	for _, f := range strings.Fields(line) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			tb.Fatal(err)
		}
		ms = append(ms, v)
	}
	return ms[0], median(ms[1:])
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
