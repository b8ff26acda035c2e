// Package ghname checks names the way GitHub allows them: account logins,
// repository names and commit ids. Names that come from outside (a REST
// request's pull_request_url, a webhook payload) become path segments of
// GitHub API calls made with the app's token, so anything GitHub would not
// accept as a name ("..", "%3F", "?", "#", CR, LF, "/") is refused before
// any call is made.
package ghname

import "strings"

// MaxOwner is GitHub's limit on a user or organisation login.
const MaxOwner = 39

// MaxRepo is GitHub's limit on a repository name.
const MaxRepo = 100

// Owner reports whether s can be a GitHub login: 1 to 39 letters, digits
// and hyphens, not starting with a hyphen. Underscores are accepted too,
// as managed (EMU) and GitHub Enterprise Server accounts use them.
func Owner(s string) bool {
	if s == "" || len(s) > MaxOwner || s[0] == '-' || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// Repo reports whether s can be a repository name: 1 to 100 letters,
// digits, '.', '-' and '_', other than "." and "..".
func Repo(s string) bool {
	if s == "" || len(s) > MaxRepo || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// FullName reports whether s is "owner/repo" with both parts valid.
func FullName(s string) bool {
	owner, repo, ok := strings.Cut(s, "/")
	return ok && Owner(owner) && Repo(repo)
}

// SHA reports whether s is a full commit id: 40 (SHA-1) or 64 (SHA-256)
// hexadecimal digits.
func SHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
