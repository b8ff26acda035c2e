package publish

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/review/render"
)

// State is what the app remembers about a pull request between reviews:
// the head it last reviewed and the fingerprints of every finding posted
// so far, oldest first. It travels in a hidden marker at the end of the
// review summary, so the app needs no storage of its own for it.
type State struct {
	Head         string
	Fingerprints []string
	// Request names the request the review answered (a comment, an API
	// review, an automatic trigger). A job retried after its review was
	// posted finds its own request here and does not post again.
	Request string
	// Signature identifies what was asked of the review (areas,
	// instructions, configuration); a later request with the same
	// signature for the same head is answered with a link to this review.
	Signature string
	// Verdict is the review's overall_correctness, and Counts the number
	// of its findings (new and still standing) by priority, P0 first: what
	// a reply to a repeated request tells.
	Verdict string
	Counts  []int
}

// Limits on the request signature and counts read back from a marker.
const (
	maxSignatureChars = 64
	maxVerdictChars   = 32
	maxCount          = 1 << 20
)

// stateKey names the summary's hidden state marker.
const stateKey = "state"

// stateVersion is the version of the encoded state; ParseState refuses
// others, so a format change cannot be misread.
const stateVersion = 1

// maxStateChars bounds the state marker. render.Summary keeps the marker
// whole and shortens everything else, so the marker must leave room for
// the summary inside render.MaxBodyChars: a quarter of it holds about 640
// fingerprints. Older fingerprints are dropped first.
const maxStateChars = render.MaxBodyChars / 4

// maxFingerprintChars bounds one fingerprint read back from a marker
// (the engine's are 16 hex digits).
const maxFingerprintChars = 128

// maxRequestChars bounds the request key read back.
const maxRequestChars = 128

// maxHeadChars bounds the head read back: a SHA-256 object name is 64 hex
// digits.
const maxHeadChars = 64

// stateJSON is the encoded form: short keys keep the marker small.
type stateJSON struct {
	V int      `json:"v"`
	H string   `json:"h"`
	F []string `json:"f,omitempty"`
	R string   `json:"r,omitempty"`
	S string   `json:"s,omitempty"`
	C string   `json:"c,omitempty"`
	N []int    `json:"n,omitempty"`
}

// encoded is the state's JSON form with the fingerprints from i on.
func (s State) encoded(i int) stateJSON {
	j := stateJSON{V: stateVersion, H: s.Head, R: s.Request, S: s.Signature, C: s.Verdict, N: s.Counts}
	if i < len(s.Fingerprints) {
		j.F = s.Fingerprints[i:]
	}
	return j
}

// Marker renders the state as a hidden marker for SummaryOptions.State:
// base64 (standard alphabet: the marker charset has no "_") of compact
// JSON. When all fingerprints do not fit in maxStateChars, the most recent
// ones are kept. It returns "" for a state without a head, or one whose
// head alone does not fit.
func (s State) Marker() string {
	keep, ok := s.fitting()
	if s.Head == "" || !ok {
		return ""
	}
	b, err := json.Marshal(s.encoded(len(s.Fingerprints) - keep))
	if err != nil {
		// Marshalling strings and ints cannot fail.
		return ""
	}
	return render.Marker(stateKey, base64.RawStdEncoding.EncodeToString(b))
}

// fitting returns how many of the most recent fingerprints fit in the
// marker budget. It adds up the encoded sizes instead of encoding candidate
// markers: a long history would otherwise be encoded many times over.
func (s State) fitting() (int, bool) {
	overhead := len(render.Marker(stateKey, "x")) - 1
	fits := func(jsonLen int) bool {
		return overhead+base64.RawStdEncoding.EncodedLen(jsonLen) <= maxStateChars
	}
	head, err := json.Marshal(s.encoded(len(s.Fingerprints)))
	if err != nil || !fits(len(head)) {
		return 0, false
	}
	// `,"f":[` and `]` join the list to the object.
	size := len(head) + len(`,"f":[]`)
	keep := 0
	for i := len(s.Fingerprints) - 1; i >= 0; i-- {
		q, err := json.Marshal(s.Fingerprints[i])
		if err != nil {
			break
		}
		add := len(q)
		if keep > 0 {
			add++ // the comma before it
		}
		if !fits(size + add) {
			break
		}
		size += add
		keep++
	}
	return keep, true
}

// ParseState reads the state marker of a review summary written by
// State.Marker. ok is false when the body has no valid marker. When there
// are several, the last valid one wins: the summary puts its own at the
// very end.
func ParseState(body string) (State, bool) {
	values := render.ParseMarkers(body, stateKey)
	for i := len(values) - 1; i >= 0; i-- {
		if s, ok := decodeState(values[i]); ok {
			return s, true
		}
	}
	return State{}, false
}

// decodeState decodes one marker value, refusing anything State.Marker
// would not have written.
func decodeState(v string) (State, bool) {
	if len(v) > maxStateChars {
		return State{}, false
	}
	b, err := base64.RawStdEncoding.DecodeString(v)
	if err != nil {
		return State{}, false
	}
	var j stateJSON
	if err := json.Unmarshal(b, &j); err != nil || j.V != stateVersion || !validHead(j.H) || len(j.R) > maxRequestChars ||
		len(j.S) > maxSignatureChars || len(j.C) > maxVerdictChars || len(j.N) > 4 {
		return State{}, false
	}
	for _, n := range j.N {
		if n < 0 || n > maxCount {
			return State{}, false
		}
	}
	s := State{Head: j.H, Request: j.R, Signature: j.S, Verdict: j.C, Counts: j.N}
	seen := make(map[string]bool, len(j.F))
	for _, fp := range j.F {
		if fp == "" || len(fp) > maxFingerprintChars || seen[fp] {
			return State{}, false
		}
		seen[fp] = true
		s.Fingerprints = append(s.Fingerprints, fp)
	}
	return s, true
}

// validHead accepts a hex object name of at most maxHeadChars digits.
func validHead(h string) bool {
	if h == "" || len(h) > maxHeadChars {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// reviewsPerPage is the largest page GitHub serves for review lists.
const reviewsPerPage = 100

// AppReview is a submitted review written by the app.
type AppReview struct {
	ID  int64
	URL string
	// CommitID is the head the review was posted on.
	CommitID string
	// State is the review's state marker; HasState is false for a review
	// without a valid one.
	State    State
	HasState bool
}

// AppReviews returns the submitted reviews of the pull request written by
// botLogin (the app's login, e.g. "codex-review[bot]"), oldest first.
// Reviews by anyone else are left out: anyone can paste a state marker
// into a review to make the app skip findings. Throttling and server
// errors are retried a bounded number of times, waiting on a real timer.
func AppReviews(ctx context.Context, gh *github.Client, owner, repo string, number int, botLogin string) ([]AppReview, error) {
	if gh == nil || botLogin == "" {
		return nil, fmt.Errorf("read the reviews of %s/%s#%d: missing client or bot login", owner, repo, number)
	}
	var out []AppReview
	err := eachReview(ctx, gh, owner, repo, number, func(r *github.PullRequestReview) {
		if !strings.EqualFold(r.GetUser().GetLogin(), botLogin) || r.GetState() == statePending {
			return
		}
		s, ok := ParseState(r.GetBody())
		out = append(out, AppReview{ID: r.GetID(), URL: r.GetHTMLURL(), CommitID: r.GetCommitID(), State: s, HasState: ok})
	})
	if err != nil {
		return nil, fmt.Errorf("read the reviews of %s/%s#%d: %w", owner, repo, number, err)
	}
	return out, nil
}

// Latest is the state of the newest of the app's reviews that carries
// one; the zero State when none does.
func Latest(reviews []AppReview) State {
	for i := len(reviews) - 1; i >= 0; i-- {
		if reviews[i].HasState {
			return reviews[i].State
		}
	}
	return State{}
}

// LastState returns the state of the newest submitted review on the pull
// request written by botLogin that carries one (AppReviews, then Latest).
// A pull request without such a review has the zero State.
func LastState(ctx context.Context, gh *github.Client, owner, repo string, number int, botLogin string) (State, error) {
	reviews, err := AppReviews(ctx, gh, owner, repo, number, botLogin)
	if err != nil {
		return State{}, err
	}
	return Latest(reviews), nil
}

// statePending is the state of a review that is not submitted: only its
// author can see it.
const statePending = "PENDING"

// eachReview calls fn with every review of the pull request, oldest first,
// following pagination. Reads are not retried here: the client's transport
// (app/ghretry, installed by serve) retries every GitHub read, and a second
// loop around it would multiply the calls of a GitHub outage.
func eachReview(ctx context.Context, gh *github.Client, owner, repo string, number int, fn func(*github.PullRequestReview)) error {
	opt := &github.ListOptions{PerPage: reviewsPerPage}
	for {
		rs, resp, err := gh.PullRequests.ListReviews(ctx, owner, repo, number, opt)
		if err != nil {
			return fmt.Errorf("list reviews (page %d): %w", max(opt.Page, 1), err)
		}
		for _, rv := range rs {
			if rv != nil {
				fn(rv)
			}
		}
		if resp.NextPage == 0 || resp.NextPage <= opt.Page {
			return nil
		}
		opt.Page = resp.NextPage
	}
}
