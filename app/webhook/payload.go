package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// The parts of the two deliveries that start reviews which the handlers
// read. They are the bulk of the traffic, and decoding a 15-30 KB payload
// into go-github's whole event types was a quarter of the server's CPU per
// delivery; encoding/json into small structs still spent a fifth of it
// validating and skipping what is not read. gjson (already in the binary
// through River) validates the payload in one pass, then finds the fields
// in a second one, skipping without decoding what is not read (pick),
// several times faster (BenchmarkHandle, BenchmarkPick). Types are checked
// as strictly as encoding/json would: a wrong type for a field read here,
// or a payload that is not a JSON object, is an error.

// commentPayload is an issue_comment delivery.
type commentPayload struct {
	Action string
	Issue  struct {
		Number int
		// PullRequest is true on pull requests' comments, which GitHub
		// marks with issue.pull_request.
		PullRequest bool
	}
	Comment struct {
		ID                int64
		Body              string
		HTMLURL           string
		AuthorAssociation string
		User              user
	}
	Repo         repository
	Installation installation
}

// pullRequestPayload is a pull_request delivery.
type pullRequestPayload struct {
	Action      string
	Number      int
	Before      string
	PullRequest struct {
		Number int
		State  string
		Head   struct{ SHA string }
		User   user
	}
	Repo         repository
	Installation installation
}

type user struct{ Login, Type string }

type repository struct{ FullName string }

type installation struct{ ID int64 }

// fields reads paths from payload, which must be a JSON object.
func fields(payload []byte, paths ...string) ([]gjson.Result, error) {
	if !gjson.ValidBytes(payload) {
		return nil, errors.New("invalid JSON")
	}
	// Valid JSON whose first byte past the white space is '{' is an
	// object (gjson.ParseBytes would copy the payload to ask).
	if t := bytes.TrimLeft(payload, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	return pick(payload, paths), nil
}

// pick reads paths of the form "key" or "key.rest" from a valid JSON
// object in one pass over its top level: each path is looked up inside the
// top-level values named by its first key. gjson.GetManyBytes scans from
// the start of the payload for every path, and the fields read here sit
// near the end of a 15-30 KB delivery (repository, installation), so that
// was many scans of the whole payload; this is one. The answers are
// gjson's (FuzzPick), duplicate keys included: a path takes the first
// value where it resolves.
func pick(payload []byte, paths []string) []gjson.Result {
	heads := make([]string, len(paths))
	rests := make([]string, len(paths))
	for i, p := range paths {
		heads[i], rests[i], _ = strings.Cut(p, ".")
	}
	res := make([]gjson.Result, len(paths))
	done := make([]bool, len(paths))
	left := len(paths)
	// Read in place, without copying the payload; what is returned is
	// copied below, so nothing returned points into payload.
	gjson.Parse(unsafe.String(unsafe.SliceData(payload), len(payload))).ForEach(func(k, v gjson.Result) bool {
		for i := range paths {
			if done[i] || heads[i] != k.Str {
				continue
			}
			r := v
			if rests[i] != "" {
				if r = v.Get(rests[i]); !r.Exists() {
					continue
				}
			}
			res[i], done[i] = r, true
			left--
		}
		return left > 0
	})
	for i := range res {
		res[i].Raw, res[i].Str = strings.Clone(res[i].Raw), strings.Clone(res[i].Str)
	}
	return res
}

// reader collects the first type error of the fields it reads.
type reader struct {
	paths []string
	res   []gjson.Result
	err   error
}

func (r *reader) str(i int) string {
	v := r.res[i]
	switch v.Type {
	case gjson.Null:
		return ""
	case gjson.String:
		return validUTF8(v.String())
	}
	r.fail(i, "a string")
	return ""
}

func (r *reader) int(i int) int64 {
	v := r.res[i]
	if v.Type == gjson.Null {
		return 0
	}
	if v.Type == gjson.Number {
		if n, err := strconv.ParseInt(v.Raw, 10, 64); err == nil {
			return n
		}
	}
	r.fail(i, "an integer")
	return 0
}

// validUTF8 replaces each byte of s that is not UTF-8 with U+FFFD, as
// encoding/json does: gjson returns a string's bytes as they are, and a
// login or body goes on into jobs, logs and comments.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(r) // an invalid byte ranges as utf8.RuneError
	}
	return b.String()
}

// present reports whether the field is there and not null.
func (r *reader) present(i int) bool { return r.res[i].Exists() && r.res[i].Type != gjson.Null }

func (r *reader) fail(i int, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s is not %s", r.paths[i], want)
	}
}

var commentPaths = []string{
	"action", "issue.number", "issue.pull_request", "comment.id", "comment.body", "comment.html_url",
	"comment.author_association", "comment.user.login", "comment.user.type", "repository.full_name", "installation.id",
}

func decodeComment(payload []byte) (commentPayload, error) {
	var p commentPayload
	res, err := fields(payload, commentPaths...)
	if err != nil {
		return p, err
	}
	r := reader{paths: commentPaths, res: res}
	p.Action = r.str(0)
	p.Issue.Number = int(r.int(1))
	p.Issue.PullRequest = r.present(2)
	p.Comment.ID = r.int(3)
	p.Comment.Body = r.str(4)
	p.Comment.HTMLURL = r.str(5)
	p.Comment.AuthorAssociation = r.str(6)
	p.Comment.User = user{Login: r.str(7), Type: r.str(8)}
	p.Repo.FullName = r.str(9)
	p.Installation.ID = r.int(10)
	return p, r.err
}

var pullRequestPaths = []string{
	"action", "number", "before", "pull_request.number", "pull_request.state", "pull_request.head.sha",
	"pull_request.user.login", "pull_request.user.type", "repository.full_name", "installation.id",
}

func decodePullRequest(payload []byte) (pullRequestPayload, error) {
	var p pullRequestPayload
	res, err := fields(payload, pullRequestPaths...)
	if err != nil {
		return p, err
	}
	r := reader{paths: pullRequestPaths, res: res}
	p.Action = r.str(0)
	p.Number = int(r.int(1))
	p.Before = r.str(2)
	p.PullRequest.Number = int(r.int(3))
	p.PullRequest.State = r.str(4)
	p.PullRequest.Head.SHA = r.str(5)
	p.PullRequest.User = user{Login: r.str(6), Type: r.str(7)}
	p.Repo.FullName = r.str(8)
	p.Installation.ID = r.int(9)
	return p, r.err
}
