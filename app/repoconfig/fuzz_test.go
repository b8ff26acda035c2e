package repoconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review/pathglob"
)

// FuzzParse feeds arbitrary bytes to Parse: it must not panic, an error
// must be an *Error whose problems have sane positions and one-line
// messages, and an accepted file must satisfy every rule.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "version: 1\n", "version: 1\nx: &a [*a]\n", "version: 1\nreview: {focus: !!seq [bugs]}\n",
		"version: 1\n? [a]\n: 1\n", "a: *b\n", "version: 1\n<<: *x\n", "version: !!str\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(".codex.yml", data)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || len(perr.Problems) == 0 {
				t.Fatalf("error %T %v is not an *Error with problems", err, err)
			}
			// YAML breaks lines at "\r\n", "\n" and a lone "\r".
			lines := strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") + strings.Count(string(data), "\r") -
				strings.Count(string(data), "\r\n") + 1
			for _, p := range perr.Problems {
				if p.Line < 1 || p.Column < 1 || p.Line > lines+1 {
					t.Fatalf("problem at %d:%d in a file of %d lines: %s", p.Line, p.Column, lines, p.Message)
				}
				if p.Message == "" || strings.Contains(p.Message, "\n") {
					t.Fatalf("message %q is empty or spans lines", p.Message)
				}
			}
			return
		}
		if cfg.Version != Version {
			t.Fatalf("accepted version %d", cfg.Version)
		}
		r := cfg.Review
		if len(r.Focus) == 0 || !r.MinPriority.Valid() || r.MaxComments < 1 || r.MaxComments > MaxComments {
			t.Fatalf("accepted review settings %+v", r)
		}
		if s := cfg.Sandbox; s.Timeout < MinTimeout || s.Timeout > MaxTimeout || (s.Enabled && strings.TrimSpace(s.Command) == "") {
			t.Fatalf("accepted sandbox settings %+v", s)
		}
		if cfg.Model.MaxInputTokens < 0 {
			t.Fatalf("accepted max_input_tokens %d", cfg.Model.MaxInputTokens)
		}
		patterns := append(append([]string{}, cfg.Paths.Exclude...), cfg.Paths.Include...)
		for _, pi := range r.PathInstructions {
			patterns = append(patterns, pi.Path)
		}
		for _, p := range patterns {
			if _, err := pathglob.Compile(p); err != nil || strings.HasPrefix(p, "!") {
				t.Fatalf("accepted pattern %q (%v)", p, err)
			}
		}
	})
}

// FuzzReviewGuidelines checks that any AGENTS.md gives a capped section
// that is valid UTF-8 whenever the file is.
func FuzzReviewGuidelines(f *testing.F) {
	f.Add("## Review guidelines\nstrict\n## Next\n")
	f.Add("Review guidelines\n---\n```\n## x\n```\n")
	f.Add("## Review guidelines\n" + strings.Repeat("é", MaxGuidelinesSize))
	f.Add("## Review guidelines\r0\r0")
	f.Fuzz(func(t *testing.T, md string) {
		got := ReviewGuidelines(md)
		if len(got) > MaxGuidelinesSize {
			t.Fatalf("%d bytes, over the cap", len(got))
		}
		if utf8.ValidString(md) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q from valid input", got)
		}
		// Like Markdown, the section reads a lone CR as a line ending.
		lf := strings.ReplaceAll(strings.ReplaceAll(md, "\r\n", "\n"), "\r", "\n")
		if !strings.Contains(lf, got) {
			t.Fatalf("%q is not part of the input", got)
		}
	})
}
