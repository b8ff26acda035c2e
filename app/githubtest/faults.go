package githubtest

import (
	"net/http"
	"path"
	"strings"
)

// fault is a planned failure: the next n requests matching method and pattern get status.
type fault struct {
	method  string
	pattern string
	left    int
	status  int
	header  http.Header
}

// FailNext makes the next n requests whose method is method (any method when empty) and whose
// API path matches pathPattern fail with status and the extra headers. pathPattern is a
// path.Match pattern on the path without "/api/v3", e.g. "/repos/*/*/pulls/*/reviews".
//
// The body is what GitHub sends for that failure: a 403 or 429 without
// "X-RateLimit-Remaining: 0" is a secondary rate limit ("You have exceeded a secondary rate
// limit", which go-github reports as *github.AbuseRateLimitError, with Retry-After if given);
// with "X-RateLimit-Remaining: 0" it is the primary rate limit (*github.RateLimitError).
// Faults are consumed in the order they were added.
func (s *Server) FailNext(method, pathPattern string, n, status int, header http.Header) {
	s.t.Helper()
	if _, err := path.Match(pathPattern, "/"); err != nil {
		s.t.Fatalf("githubtest: FailNext pattern %q: %v", pathPattern, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, pattern: pathPattern, left: n, status: status, header: header.Clone()})
}

// FailSecondaryRateLimit makes the next n matching requests fail like GitHub's secondary rate
// limit: 403 with the given Retry-After (seconds, as text; none when empty).
func (s *Server) FailSecondaryRateLimit(method, pathPattern string, n int, retryAfter string) {
	s.t.Helper()
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	s.FailNext(method, pathPattern, n, http.StatusForbidden, h)
}

// injectFault answers the request with a planned failure, if one matches.
func (s *Server) injectFault(w http.ResponseWriter, method, apiPath string) bool {
	s.mu.Lock()
	var f *fault
	for i, cand := range s.faults {
		if cand.method != "" && !strings.EqualFold(cand.method, method) {
			continue
		}
		if ok, _ := path.Match(cand.pattern, apiPath); !ok {
			continue
		}
		f = cand
		f.left--
		if f.left <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		break
	}
	s.mu.Unlock()
	if f == nil {
		return false
	}
	for k, vs := range f.header {
		w.Header()[k] = vs
	}
	switch {
	case (f.status == http.StatusForbidden || f.status == http.StatusTooManyRequests) &&
		w.Header().Get("X-RateLimit-Remaining") == "0":
		writeError(w, f.status, "API rate limit exceeded for installation.", docsPrimaryRateLimits)
	case f.status == http.StatusForbidden || f.status == http.StatusTooManyRequests:
		writeError(w, f.status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			docsSecondaryRateLimits)
	case f.status >= 500:
		writeError(w, f.status, "Server Error", docsRoot)
	default:
		writeError(w, f.status, http.StatusText(f.status), docsRoot)
	}
	return true
}
