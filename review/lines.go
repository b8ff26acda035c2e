package review

import "github.com/codex-review/codex-review/review/anchor"

// reasonLinesTaken is why a finding placed on lines another finding's
// inline comment already covers is shown in the summary instead.
const reasonLinesTaken = "another finding's comment is on these lines"

// lineClaims remembers the lines that inline comments of one review cover,
// so that a review never puts two comments on one line range: two problems
// that merging kept apart but that anchor on the same lines would read as
// one thread saying two things.
type lineClaims map[claimKey][][2]int

type claimKey struct {
	path string
	side string
}

// claim records the lines of inline placement p and reports true, or
// reports false when a comment already covers any of them.
func (c lineClaims) claim(p anchor.Placement) bool {
	start := p.StartLine
	if start == 0 {
		start = p.Line
	}
	k := claimKey{p.Path, string(p.Side)}
	for _, r := range c[k] {
		if start <= r[1] && r[0] <= p.Line {
			return false
		}
	}
	c[k] = append(c[k], [2]int{start, p.Line})
	return true
}
