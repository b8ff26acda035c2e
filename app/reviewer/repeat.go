package reviewer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/app/repoconfig"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/render"
)

// request is what a review is asked to do, apart from the commit: two
// requests with the same request and head get the same review, so the
// second needs no model call.
type request struct {
	// Focus are the passes, sorted.
	Focus []finding.Area `json:"focus"`
	// Words are the requester's instructions, in lower case with single
	// spaces: "Security, please" and "security,  please" ask the same.
	Words string `json:"words,omitempty"`
	// Config is the repository's whole configuration, AGENTS.md's review
	// guidelines, the model and the REST API's sandbox settings: any of
	// them changes what a review would say.
	Config     repoconfig.Config `json:"config"`
	Guidelines string            `json:"guidelines,omitempty"`
	Model      string            `json:"model"`
	Sandbox    *job.Sandbox      `json:"sandbox,omitempty"`
	// Incremental marks a review of only the commits since the last one:
	// it does not answer a request for the whole pull request.
	Incremental bool `json:"incremental,omitempty"`
}

// signature is a short hash of the request, kept in the review's state
// marker.
func (r request) signature() string {
	r.Focus = slices.Clone(r.Focus)
	slices.Sort(r.Focus)
	r.Focus = slices.Compact(r.Focus)
	r.Words = strings.Join(strings.Fields(strings.ToLower(r.Words)), " ")
	b, err := json.Marshal(r)
	if err != nil {
		// Every field marshals; a failure would only lose the shortcut.
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// answeredBefore returns the newest of the app's reviews of head that
// answered a request with the same signature.
func answeredBefore(reviews []publish.AppReview, head, sig string) (publish.AppReview, bool) {
	if sig == "" {
		return publish.AppReview{}, false
	}
	for i := len(reviews) - 1; i >= 0; i-- {
		r := reviews[i]
		if r.HasState && r.State.Head == head && r.State.Signature == sig {
			return r, true
		}
	}
	return publish.AppReview{}, false
}

// replyRepeat answers a request an earlier review of the same commit
// already answered: one comment linking that review, with its verdict and
// counts. No model call is made and no review is posted.
func (t *task) replyRepeat(ctx context.Context, earlier publish.AppReview, commitURL string) error {
	zerolog.Ctx(ctx).Info().Str("sha", earlier.State.Head).Int64("review", earlier.ID).Msg("same request already answered for this head; replying with a link")
	trigger := t.w.Trigger
	if trigger == "" {
		trigger = command.DefaultTrigger
	}
	body := render.RepeatReply(render.Repeat{
		Commit: earlier.State.Head, CommitURL: commitURL, ReviewURL: earlier.URL,
		Verdict: earlier.State.Verdict, Counts: earlier.State.Counts, Trigger: trigger,
	})
	if err := t.pr.Comment(ctx, body); err != nil {
		return classify(fmt.Errorf("reply to a repeated request: %w", err))
	}
	return nil
}
