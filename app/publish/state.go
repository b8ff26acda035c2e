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
}

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
	b, err := json.Marshal(stateJSON{V: stateVersion, H: s.Head, F: s.Fingerprints[len(s.Fingerprints)-keep:], R: s.Request})
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
	head, err := json.Marshal(stateJSON{V: stateVersion, H: s.Head, R: s.Request})
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
	if err := json.Unmarshal(b, &j); err != nil || j.V != stateVersion || !validHead(j.H) || len(j.R) > maxRequestChars {
		return State{}, false
	}
	s := State{Head: j.H, Request: j.R}
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

// LastState returns the state of the newest submitted review on the pull
// request written by botLogin (the app's login, e.g. "codex-review[bot]").
// Markers in reviews by anyone else are ignored: anyone can paste one into
// a review to make the app skip findings. A pull request without such a
// review has the zero State. Throttling and server errors are retried a
// bounded number of times, waiting on a real timer.
func LastState(ctx context.Context, gh *github.Client, owner, repo string, number int, botLogin string) (State, error) {
	if gh == nil || botLogin == "" {
		return State{}, fmt.Errorf("read review state of %s/%s#%d: missing client or bot login", owner, repo, number)
	}
	var last State
	err := eachReview(ctx, retrier{}, gh, owner, repo, number, func(r *github.PullRequestReview) {
		if !strings.EqualFold(r.GetUser().GetLogin(), botLogin) || r.GetState() == statePending {
			return
		}
		// Reviews are listed oldest first, so a later one replaces it.
		if s, ok := ParseState(r.GetBody()); ok {
			last = s
		}
	})
	if err != nil {
		return State{}, fmt.Errorf("read review state of %s/%s#%d: %w", owner, repo, number, err)
	}
	return last, nil
}

// statePending is the state of a review that is not submitted: only its
// author can see it.
const statePending = "PENDING"

// eachReview calls fn with every review of the pull request, oldest first,
// following pagination.
func eachReview(ctx context.Context, r retrier, gh *github.Client, owner, repo string, number int, fn func(*github.PullRequestReview)) error {
	opt := &github.ListOptions{PerPage: reviewsPerPage}
	for {
		type page struct {
			reviews []*github.PullRequestReview
			next    int
		}
		p, err := retry(ctx, r, func(ctx context.Context) (page, error) {
			rs, resp, err := gh.PullRequests.ListReviews(ctx, owner, repo, number, opt)
			if err != nil {
				return page{}, err
			}
			return page{reviews: rs, next: resp.NextPage}, nil
		}, nil)
		if err != nil {
			return fmt.Errorf("list reviews (page %d): %w", max(opt.Page, 1), err)
		}
		for _, rv := range p.reviews {
			if rv != nil {
				fn(rv)
			}
		}
		if p.next == 0 || p.next <= opt.Page {
			return nil
		}
		opt.Page = p.next
	}
}
