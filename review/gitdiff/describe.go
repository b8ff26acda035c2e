package gitdiff

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
)

// maxDescribedCommits bounds the commit subjects listed for a change of
// several commits.
const maxDescribedCommits = 50

// Description is what a local change says of itself, in the place of a
// pull request's title and description: the commit message of a single
// commit, or the subjects of several.
type Description struct {
	Title, Body string
}

// DescribeCommit describes the change of one commit: its message's first
// line and the rest.
func (r *Repo) DescribeCommit(ctx context.Context, rev string) (Description, error) {
	if err := checkRef(rev); err != nil {
		return Description{}, err
	}
	out, err := run(ctx, r.Dir, nil, "log", "-1", "--format=%B", rev, "--")
	if err != nil {
		return Description{}, fmt.Errorf("read the message of %s: %w", rev, err)
	}
	return message(string(out)), nil
}

// DescribeBase describes what a pull request from HEAD into ref would
// hold: one commit's message, as GitHub titles such a pull request, or the
// subjects of several commits, one per line.
func (r *Repo) DescribeBase(ctx context.Context, ref string) (Description, error) {
	if err := checkRef(ref); err != nil {
		return Description{}, err
	}
	base, err := run(ctx, r.Dir, nil, "merge-base", ref, "HEAD")
	if err != nil {
		return Description{}, fmt.Errorf("find the merge base of %s and HEAD: %w", ref, err)
	}
	span := strings.TrimSpace(string(base)) + "..HEAD"
	out, err := run(ctx, r.Dir, nil, "log", "--reverse", fmt.Sprintf("--max-count=%d", maxDescribedCommits+1), "--format=%H", span, "--")
	if err != nil {
		return Description{}, fmt.Errorf("list the commits since %s: %w", ref, err)
	}
	commits := strings.Fields(string(out))
	switch len(commits) {
	case 0:
		return Description{}, nil
	case 1:
		return r.DescribeCommit(ctx, commits[0])
	}
	subjects, err := run(ctx, r.Dir, nil, "log", "--reverse", fmt.Sprintf("--max-count=%d", maxDescribedCommits), "--format=- %s", span, "--")
	if err != nil {
		return Description{}, fmt.Errorf("list the commits since %s: %w", ref, err)
	}
	return Description{Body: "Commits:\n" + strings.TrimSpace(string(subjects))}, nil
}

func message(m string) Description {
	m = strings.TrimSpace(m)
	title, body, _ := strings.Cut(m, "\n")
	return Description{Title: strings.TrimSpace(title), Body: strings.TrimSpace(body)}
}

// Repository is "owner/name" of the origin remote, as a pull request's
// repository is named, or "" when there is no origin or its URL names no
// such path (https://host/owner/name.git, git@host:owner/name.git,
// ssh://git@host/owner/name).
func (r *Repo) Repository(ctx context.Context) string {
	out, err := run(ctx, r.Dir, nil, "config", "--get", "remote.origin.url")
	if err != nil {
		return ""
	}
	return repositoryName(strings.TrimSpace(string(out)))
}

func repositoryName(remote string) string {
	var p string
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.Host != "" {
		p = u.Path
	} else if host, rest, ok := strings.Cut(remote, ":"); ok && !strings.Contains(remote, "://") && !strings.Contains(host, "/") {
		p = rest // scp-like: user@host:owner/name.git
	} else {
		return "" // a local path names no hosted repository
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	owner, name := path.Split(p)
	owner = path.Base(strings.TrimSuffix(owner, "/"))
	if owner == "" || owner == "." || owner == "/" || name == "" {
		return ""
	}
	for _, part := range []string{owner, name} {
		for _, c := range part {
			if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return ""
			}
		}
	}
	return owner + "/" + name
}
