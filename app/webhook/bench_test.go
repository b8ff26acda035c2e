package webhook

import (
	"context"
	"testing"

	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/job"
)

// discard is an Enqueuer that records nothing.
type discard struct{}

func (discard) Enqueue(context.Context, job.Job) (bool, error) { return false, nil }

// BenchmarkHandle measures what a handler costs per delivery before the
// enqueue: decoding a real payload (15 KB comment, 25 KB pull request),
// filtering, parsing the command.
func BenchmarkHandle(b *testing.B) {
	comment := fixture(b, "issue_comment.created.json", onPR("@codex review security"))
	opened := fixture(b, "pull_request.opened.json", func(m map[string]any) { m["installation"] = map[string]any{"id": 42} })
	b.Run("issue_comment", func(b *testing.B) {
		h := &IssueComment{Parser: command.Parser{Trigger: "@codex", Slug: "codex-review"}, Queue: discard{}}
		b.ReportAllocs()
		for b.Loop() {
			if err := h.Handle(b.Context(), "issue_comment", "d", comment); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pull_request", func(b *testing.B) {
		h := &PullRequest{Queue: discard{}}
		b.ReportAllocs()
		for b.Loop() {
			if err := h.Handle(b.Context(), "pull_request", "d", opened); err != nil {
				b.Fatal(err)
			}
		}
	})
}
