package render

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readmeGolden matches a golden file shown in the README: the name (and,
// for a file of several inline comments, "#n" for the n-th), then the
// file's text as a block quote, so that GitHub renders it as a review.
var readmeGolden = regexp.MustCompile(`(?s)<!-- golden:begin ([a-z_.]+)(?:#([0-9]+))? -->\n(.*?)<!-- golden:end -->`)

// TestReadmeShowsTheGoldens keeps the README's examples of review bodies
// equal to the golden files; run it with -update to rewrite them.
func TestReadmeShowsTheGoldens(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	out := readmeGolden.ReplaceAllStringFunc(string(readme), func(block string) string {
		m := readmeGolden.FindStringSubmatch(block)
		found++
		data, err := os.ReadFile(filepath.Join("testdata", m[1]))
		if err != nil {
			t.Errorf("README shows %s: %v", m[1], err)
			return block
		}
		text := strings.TrimSuffix(string(data), "\n")
		if m[2] != "" {
			n, _ := strconv.Atoi(m[2])
			parts := strings.Split(text, commentSeparator)
			if n < 1 || n > len(parts) {
				t.Errorf("README shows comment %d of %s, which has %d", n, m[1], len(parts))
				return block
			}
			text = parts[n-1]
		}
		want := quote(text)
		if m[3] != want && !*update {
			t.Errorf("README's copy of %s is out of date (run go test ./review/render -update)", m[0][len("<!-- golden:begin "):strings.Index(m[0], " -->")])
		}
		return block[:len(block)-len(m[3])-len("<!-- golden:end -->")] + want + "<!-- golden:end -->"
	})
	if found == 0 {
		t.Fatal("README shows no golden review bodies")
	}
	if *update && out != string(readme) {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// quote renders text as a markdown block quote.
func quote(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + line + "\n")
		}
	}
	return b.String()
}
