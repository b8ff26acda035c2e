package publish

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/render"
)

// Review events the app may post. APPROVE is deliberately absent: the app
// never approves a pull request.
const (
	EventComment        = "COMMENT"
	EventRequestChanges = "REQUEST_CHANGES"
)

// Reasons shown in the summary for findings moved there while publishing.
const (
	reasonRefused = "GitHub refused this location"
	reasonAllOut  = "GitHub refused the review's inline comments"
	reasonOverCap = "over the limit of inline comments per review"
	reasonNoPlace = "no valid location for an inline comment"
)

// Target is the pull request and head a review is posted on.
type Target struct {
	Owner, Repo string
	Number      int
	// HeadSHA is the head commit that was reviewed; the review's commit_id.
	HeadSHA string
}

// Options controls Publish.
type Options struct {
	// Event is EventComment (the default when empty) or
	// EventRequestChanges.
	Event string
	// Summary renders the review body. Its State field is replaced by the
	// new state marker.
	Summary render.SummaryOptions
	// MaxComments caps the inline comments (review.DefaultMaxComments when
	// 0, review.MaxInlineComments at most); findings over the cap are
	// listed in the summary. This is the one place the cap applies: only
	// here is it known which findings an earlier review already posted.
	MaxComments int
	// BotLogin is the app's login. When set, the check made after an
	// ambiguous failure (a 5xx to the post, which GitHub may have carried
	// out) and the removal of a leftover pending review only consider
	// reviews by this user.
	BotLogin string
	// Request identifies the request this review answers; it is kept in
	// the state marker so that a retried job can see its review landed.
	Request string
	// Signature identifies what was asked of the review; it is kept in
	// the state marker so that the same request for the same head can be
	// answered with a link to this review.
	Signature string
	// Sleep waits between retries; nil waits on a real timer. Tests
	// replace it so that they never sleep.
	Sleep SleepFunc
}

// Posted describes the review that was posted.
type Posted struct {
	ReviewID int64
	URL      string
	// Inline is the number of inline comments in the review.
	Inline int
	// MovedToSummary counts findings placed inline by the engine but shown
	// in the summary instead: over MaxComments, or refused by GitHub.
	MovedToSummary int
	// Standing counts findings an earlier review posted that this one
	// found again: listed in the summary as still applying.
	Standing int
}

// Publish posts res as one review on the pull request: the findings placed
// inline as review comments, the rest and the verdict in the summary, which
// ends with the new State (t.HeadSHA and the fingerprints of prev plus
// those posted now). Findings whose fingerprint is in prev.Fingerprints were
// posted by an earlier review and are left out.
//
// When GitHub refuses the review with 422 because of some inline comments,
// Publish finds them with pending reviews (visible to the app only, deleted
// right after), moves them into the summary and posts once; if GitHub still
// refuses, it posts every finding in the summary. A leftover pending
// review of the app, which blocks any new review, is deleted. Throttling
// and server errors are retried a bounded number of times; after a 5xx to
// the post itself, Publish looks for the review before posting again, so
// that a retry never posts twice.
func Publish(ctx context.Context, gh *github.Client, t Target, res *review.Result, prev State, opt Options) (Posted, error) {
	if err := t.check(gh); err != nil {
		return Posted{}, err
	}
	event, err := checkEvent(opt.Event)
	if err != nil {
		return Posted{}, fmt.Errorf("publish review on %s: %w", t, err)
	}
	if res == nil {
		res = &review.Result{}
	}
	p := &publisher{gh: gh, t: t, opt: opt, event: event, retry: retrier{sleep: opt.Sleep}}
	p.plan(res, prev)
	posted, err := p.publish(ctx)
	if err != nil {
		return Posted{}, fmt.Errorf("publish review on %s: %w", t, err)
	}
	return posted, nil
}

// String renders the target as "owner/repo#number".
func (t Target) String() string { return fmt.Sprintf("%s/%s#%d", t.Owner, t.Repo, t.Number) }

func (t Target) check(gh *github.Client) error {
	if gh == nil {
		return fmt.Errorf("publish review on %s: no GitHub client", t)
	}
	if t.Owner == "" || t.Repo == "" || t.Number <= 0 || !validHead(t.HeadSHA) {
		return fmt.Errorf("publish review on %s: incomplete target (owner, repo, number and head SHA are required)", t)
	}
	return nil
}

func checkEvent(e string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(e)) {
	case "", EventComment:
		return EventComment, nil
	case EventRequestChanges:
		return EventRequestChanges, nil
	default:
		return "", fmt.Errorf("review event %q not allowed: want %s or %s", e, EventComment, EventRequestChanges)
	}
}

// publisher holds one Publish call.
type publisher struct {
	gh    *github.Client
	t     Target
	opt   Options
	event string
	retry retrier

	// findings are the findings to post (those of prev left out), in the
	// engine's order, with placements adjusted by publishing.
	findings []review.Reviewed
	// inline indexes findings posted as inline comments, in order.
	inline []int
	// moved counts findings moved to the summary by publishing.
	moved int
	// standing are the findings an earlier review posted that this one
	// found again: not posted twice, but counted and listed.
	standing []review.Reviewed
	// base is the result to render, with findings replaced per attempt.
	base review.Result
	// marker is the new state marker.
	marker string
}

// plan picks the findings to post and the inline ones, and computes the
// new state.
func (p *publisher) plan(res *review.Result, prev State) {
	before := make(map[string]bool, len(prev.Fingerprints))
	for _, fp := range prev.Fingerprints {
		before[fp] = true
	}
	added := map[string]bool{}
	limit := p.opt.MaxComments
	if limit <= 0 {
		limit = review.DefaultMaxComments
	}
	limit = min(limit, review.MaxInlineComments)

	state := State{Head: p.t.HeadSHA, Fingerprints: append([]string(nil), prev.Fingerprints...), Request: p.opt.Request,
		Signature: p.opt.Signature, Verdict: res.Verdict.Correctness, Counts: make([]int, 4)}
	for _, f := range res.Findings {
		if pr := finding.Priority(f.Priority); pr.Valid() {
			state.Counts[pr]++
		}
		if postedBefore(f, before) {
			// Found again: it still applies, and the summary says so
			// instead of posting it twice.
			p.standing = append(p.standing, f)
			continue
		}
		for _, fp := range append([]string{f.Fingerprint}, f.Aliases...) {
			if fp != "" && !added[fp] {
				added[fp] = true
				state.Fingerprints = append(state.Fingerprints, fp)
			}
		}
		if f.Placement.Inline {
			switch {
			case !placeable(f.Placement):
				f = moveToSummary(f, reasonNoPlace)
				p.moved++
			case len(p.inline) >= limit:
				f = moveToSummary(f, reasonOverCap)
				p.moved++
			default:
				p.inline = append(p.inline, len(p.findings))
			}
		}
		p.findings = append(p.findings, f)
	}
	p.base = *res
	p.marker = state.Marker()
}

// postedBefore reports whether an earlier review posted f, under its own
// fingerprint or that of another report merged into it.
func postedBefore(f review.Reviewed, before map[string]bool) bool {
	if f.Fingerprint != "" && before[f.Fingerprint] {
		return true
	}
	for _, fp := range f.Aliases {
		if before[fp] {
			return true
		}
	}
	return false
}

// placeable reports whether an inline placement can be sent to GitHub as
// given: a path, a positive line, a known side, and a range that ends
// where it starts or later.
func placeable(pl anchor.Placement) bool {
	if pl.Path == "" || pl.Line <= 0 || (pl.Side != diff.Left && pl.Side != diff.Right) {
		return false
	}
	return pl.StartLine == 0 || (pl.StartLine > 0 && pl.StartLine <= pl.Line)
}

// moveToSummary returns f shown in the summary, saying why.
func moveToSummary(f review.Reviewed, reason string) review.Reviewed {
	f.Placement.Inline = false
	f.Placement.Method = anchor.Summary
	f.Placement.Reason = reason
	return f
}

// comment builds the draft review comment of an inline finding.
func comment(f review.Reviewed) *github.DraftReviewComment {
	pl := f.Placement
	c := &github.DraftReviewComment{
		Path: github.String(pl.Path),
		Body: github.String(render.InlineBody(f)),
		Line: github.Int(pl.Line),
		Side: github.String(string(pl.Side)),
	}
	// A range that starts where it ends is a single-line comment; GitHub
	// refuses a start_line equal to line.
	if pl.StartLine > 0 && pl.StartLine < pl.Line {
		c.StartLine = github.Int(pl.StartLine)
		c.StartSide = github.String(string(pl.Side))
	}
	return c
}

// publish posts the review, recovering from refused inline comments.
func (p *publisher) publish(ctx context.Context) (Posted, error) {
	rev, err := p.post(ctx)
	if err == nil || !isUnprocessable(err) || isCommitRefused(err) || len(p.inline) == 0 {
		return p.posted(rev, err)
	}
	bad, ferr := p.offenders(ctx)
	if ferr == nil && len(bad) > 0 {
		p.drop(bad, reasonRefused)
		rev, err = p.post(ctx)
		if err == nil || !isUnprocessable(err) || len(p.inline) == 0 {
			return p.posted(rev, err)
		}
	}
	// The offenders could not be found, or GitHub refused the rest too: the
	// review goes out with every finding in the body rather than not at all.
	p.drop(p.inline, reasonAllOut)
	rev, err = p.post(ctx)
	if err != nil && ferr != nil {
		err = errors.Join(err, fmt.Errorf("find the refused inline comments: %w", ferr))
	}
	return p.posted(rev, err)
}

func (p *publisher) posted(rev *github.PullRequestReview, err error) (Posted, error) {
	if err != nil {
		return Posted{}, err
	}
	return Posted{
		ReviewID:       rev.GetID(),
		URL:            rev.GetHTMLURL(),
		Inline:         len(p.inline),
		MovedToSummary: p.moved,
		Standing:       len(p.standing),
	}, nil
}

// drop moves the inline findings listed in idx (indexes into p.findings)
// to the summary.
func (p *publisher) drop(idx []int, reason string) {
	out := make(map[int]bool, len(idx))
	for _, i := range idx {
		out[i] = true
	}
	var kept []int
	for _, i := range p.inline {
		if out[i] {
			p.findings[i] = moveToSummary(p.findings[i], reason)
			p.moved++
		} else {
			kept = append(kept, i)
		}
	}
	p.inline = kept
}

// body renders the summary for the current placement of the findings.
func (p *publisher) body() string {
	r := p.base
	r.Findings = p.findings
	so := p.opt.Summary
	so.State = p.marker
	so.Standing = p.standing
	return render.Summary(&r, so)
}

// comments builds the draft comments of the inline findings in idx.
func (p *publisher) comments(idx []int) []*github.DraftReviewComment {
	out := make([]*github.DraftReviewComment, len(idx))
	for i, j := range idx {
		out[i] = comment(p.findings[j])
	}
	return out
}

// post creates the visible review with the current inline comments.
func (p *publisher) post(ctx context.Context) (*github.PullRequestReview, error) {
	req := &github.PullRequestReviewRequest{
		CommitID: github.String(p.t.HeadSHA),
		Body:     github.String(p.body()),
		Event:    github.String(p.event),
		Comments: p.comments(p.inline),
	}
	rev, err := p.create(ctx, req, p.landed)
	if err != nil {
		return nil, fmt.Errorf("create review with %d inline comments: %w", len(req.Comments), err)
	}
	return rev, nil
}

// landed looks for the review a failed post may have created anyway: a
// submitted review on the head whose summary carries this run's state. An
// earlier review with the same state on the same head says the same, so
// not posting again is right in that case too.
func (p *publisher) landed(ctx context.Context) (*github.PullRequestReview, bool, error) {
	if p.marker == "" {
		return nil, false, nil
	}
	var found *github.PullRequestReview
	err := eachReview(ctx, p.gh, p.t.Owner, p.t.Repo, p.t.Number, func(r *github.PullRequestReview) {
		if r.GetState() == statePending || r.GetCommitID() != p.t.HeadSHA || !p.byApp(r) {
			return
		}
		if strings.Contains(r.GetBody(), p.marker) {
			found = r
		}
	})
	if err != nil {
		return nil, false, err
	}
	return found, found != nil, nil
}

// byApp reports whether r was written by the app, as far as Options tells.
func (p *publisher) byApp(r *github.PullRequestReview) bool {
	return p.opt.BotLogin == "" || strings.EqualFold(r.GetUser().GetLogin(), p.opt.BotLogin)
}

// create creates a review (pending when req has no event). A 422 "one
// pending review per user" means a pending review of the app is left over
// from an interrupted run: it is deleted and the call repeated once.
func (p *publisher) create(ctx context.Context, req *github.PullRequestReviewRequest, landed func(context.Context) (*github.PullRequestReview, bool, error)) (*github.PullRequestReview, error) {
	call := func(ctx context.Context) (*github.PullRequestReview, error) {
		rev, _, err := p.gh.PullRequests.CreateReview(ctx, p.t.Owner, p.t.Repo, p.t.Number, req)
		return rev, err
	}
	rev, err := retry(ctx, p.retry, call, landed)
	if !isPendingConflict(err) {
		return rev, err
	}
	if derr := p.deletePending(ctx); derr != nil {
		return nil, errors.Join(err, derr)
	}
	return retry(ctx, p.retry, call, landed)
}
