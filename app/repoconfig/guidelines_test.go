package repoconfig

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReviewGuidelines(t *testing.T) {
	tests := []struct {
		name string
		md   string
		want string
	}{
		{"empty", "", ""},
		{"no section", "# Agents\n\n## Build\n\nmake\n", ""},
		{"basic", "# Agents\n\n## Review guidelines\n\nFlag SQL built with fmt.Sprintf.\n\n## Build\nmake\n", "Flag SQL built with fmt.Sprintf."},
		{"last section runs to the end", "## Review guidelines\n- no panics\n- wrap errors\n", "- no panics\n- wrap errors"},
		{"any case", "## REVIEW GUIDELINES\nstrict\n", "strict"},
		{"closing hashes", "## Review guidelines ##\nstrict\n", "strict"},
		{"hashes without a space", "## Review guidelines##  \nstrict\n", "strict"},
		{"spaces around the title", "##   Review   guidelines   \nstrict\n", "strict"},
		{"indented up to three spaces", "   ## Review guidelines\nstrict\n", "strict"},
		{"setext heading", "Intro.\n\nReview guidelines\n-----------------\nstrict\n\nBuild\n-----\nmake\n", "strict"},
		{"setext underline with trailing spaces", "Review guidelines\n---   \nstrict\n", "strict"},
		{"level 1 setext is not it", "Review guidelines\n=================\nstrict\n", ""},
		{"level 1 is not it", "# Review guidelines\nstrict\n", ""},
		{"level 3 is not it", "### Review guidelines\nstrict\n", ""},
		{"no space after the hashes", "##Review guidelines\nstrict\n", ""},
		{"indented code is not a heading", "    ## Review guidelines\nstrict\n", ""},
		{"other title", "## Review guidelines for humans\nstrict\n", ""},
		{"subsections are kept", "## Review guidelines\n### Security\nno secrets\n#### Deep\nx\n## Next\ny\n", "### Security\nno secrets\n#### Deep\nx"},
		{"level 1 ends it", "## Review guidelines\nstrict\n# Appendix\nx\n", "strict"},
		{"setext heading ends it without its title", "## Review guidelines\nstrict\n\nAppendix\n========\nx\n", "strict"},
		{"thematic break does not end it", "## Review guidelines\nA\n\n---\n\nB\n## End\n", "A\n\n---\n\nB"},
		{"dashes under a list item are a break", "## Review guidelines\n- one\n---\n- two\n## End\n", "- one\n---\n- two"},
		{"heading in a fence is text", "## Review guidelines\nLike this:\n```markdown\n## Not a heading\n```\nend\n## Next\n", "Like this:\n```markdown\n## Not a heading\n```\nend"},
		{"tilde fence", "## Review guidelines\n~~~\n# not a heading\n~~~\nend\n", "~~~\n# not a heading\n~~~\nend"},
		{"longer fence needs a longer close", "## Review guidelines\n````\n```\n## still code\n```\n````\nend\n## Next\n", "````\n```\n## still code\n```\n````\nend"},
		{"section named in a fence is skipped", "```\n## Review guidelines\nfake\n```\n## Review guidelines\nreal\n", "real"},
		{"unclosed fence hides the rest", "```\n## Review guidelines\nfake\n", ""},
		{"inline backticks are not a fence", "## Review guidelines\n```go``` is fine\n## Next\n", "```go``` is fine"},
		{"first section wins", "## Review guidelines\nfirst\n## Review guidelines\nsecond\n", "first"},
		{"empty section", "## Review guidelines\n\n## Next\nx\n", ""},
		{"crlf", "## Review guidelines\r\nline one\r\nline two\r\n## Next\r\n", "line one\nline two"},
		{"lone cr and mixed ends", "# Doc\r## Review guidelines\rline one\r\n\rline two\n## Next\rafter\r", "line one\n\nline two"},
		{"hashtag line is text", "## Review guidelines\n#tag is text\nend\n", "#tag is text\nend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReviewGuidelines(tt.md); got != tt.want {
				t.Fatalf("ReviewGuidelines =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestReviewGuidelinesCap(t *testing.T) {
	line := "- Check that every query is parameterised; never build SQL with string concatenation.\n"
	body := strings.Repeat(line, 2*MaxGuidelinesSize/len(line))
	got := ReviewGuidelines("## Review guidelines\n" + body)
	if len(got) > MaxGuidelinesSize {
		t.Fatalf("len = %d, over %d", len(got), MaxGuidelinesSize)
	}
	if len(got) < MaxGuidelinesSize-len(line) {
		t.Fatalf("len = %d, cut more than one line short of %d", len(got), MaxGuidelinesSize)
	}
	if !strings.HasPrefix(body, got+"\n") {
		t.Fatal("the cut is not at the end of a line")
	}

	// One long line has no line boundary to cut at: it is cut between
	// characters instead.
	long := strings.Repeat("é", MaxGuidelinesSize)
	got = ReviewGuidelines("## Review guidelines\n" + long + "\n")
	if len(got) > MaxGuidelinesSize || len(got) < MaxGuidelinesSize-1 || !utf8.ValidString(got) {
		t.Fatalf("long line cut to %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}

	exact := strings.Repeat("x", MaxGuidelinesSize)
	if got := ReviewGuidelines("## Review guidelines\n" + exact + "\n## Next\n"); got != exact {
		t.Fatalf("a body of exactly the limit was cut to %d bytes", len(got))
	}
}
