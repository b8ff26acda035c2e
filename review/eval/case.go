package eval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/codex-review/codex-review/review/deps/osv"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/gitdiff"
)

// The files of a case directory.
const (
	ExpectFile = "expect.yaml" // what a good review reports
	DiffFile   = "change.diff" // the change, as a unified diff
	BaseDir    = "base"        // or: the tree before the change...
	HeadDir    = "head"        // ...and after it
	ConfigFile = ".codex.yml"  // optional repository settings
	AgentsFile = "AGENTS.md"   // optional review guidelines
	OSVDir     = "osv"         // optional advisories, for a tree case
)

// Limits on what a case may hold. Cases are meant to be small changes;
// the limits keep a mistaken directory (a whole repository, a build
// output) from exhausting memory.
const (
	MaxExpectSize = 64 << 10 // expect.yaml
	MaxDiffSize   = 16 << 20 // change.diff, or the diff of the trees
	MaxConfigSize = 64 << 10 // .codex.yml and AGENTS.md, each
	MaxTreeSize   = 64 << 20 // base/ and head/ together
)

// Case is one change with the findings a good review reports on it.
type Case struct {
	// Name identifies the case: its directory, relative to the corpus.
	Name string
	// Dir is the case directory as shown in messages.
	Dir string
	// Description says what the change does; Why, when given, why it is
	// correct or not. Both are for people reading the corpus and the
	// report: the model never sees them.
	Description, Why string
	// Title and Body are what the change's author wrote about it
	// (expect.yaml's pull_request), given to the model as a pull
	// request's title and description; empty when the case has none.
	Title, Body string
	// Expected lists what a good review reports; empty for a clean change.
	Expected []Expected
	// Patch is the change as a unified diff, and Diff its parsed form.
	Patch []byte
	Diff  *diff.Diff
	// Config and Agents are the case's .codex.yml and AGENTS.md, nil when
	// absent; the caller applies them as the repository's rules.
	Config, Agents []byte
	// FromTrees is set when the diff was made from base/ and head/.
	FromTrees bool

	// fsys and dir locate the case, for reading its head tree.
	fsys fs.FS
	dir  string
	// advisories is the case's osv/, nil when it has none.
	advisories *osv.Dir
}

// Problem is one thing wrong with a corpus, at a 1-based line and column
// of a file when it has one.
type Problem struct {
	File    string
	Line    int
	Column  int
	Message string
}

// String renders the problem as "file:line:col: message", or
// "file: message" without a position.
func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
}

// LoadError lists every problem found while loading a corpus.
type LoadError struct {
	Problems []Problem
}

// Error renders one problem per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads the cases under root in fsys: every directory holding an
// expect.yaml is a case (root itself may be one). display names root in
// messages and case directories. Cases come back sorted by name. Every
// case is checked before any is returned: its expect.yaml, its change, and
// that each expected location lies in the change; all problems are
// reported together in a *LoadError. Diffing base/ and head/ trees needs
// git.
func Load(ctx context.Context, fsys fs.FS, root, display string) ([]*Case, error) {
	var dirs []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir // .git and friends
		}
		if st, err := fs.Stat(fsys, path.Join(p, ExpectFile)); err == nil && st.Mode().IsRegular() {
			dirs = append(dirs, p)
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the corpus %s: %w", display, err)
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no cases in %s: a case is a directory with %s and %s (or %s/ and %s/)", display, ExpectFile, DiffFile, BaseDir, HeadDir)
	}
	var (
		cases []*Case
		probs []Problem
	)
	for _, dir := range dirs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(strings.TrimPrefix(dir, root), "/")
		shown := path.Join(display, name)
		if name == "" {
			name = path.Base(display)
		}
		c, ps := loadCase(ctx, fsys, dir, shown)
		probs = append(probs, ps...)
		if c != nil {
			c.Name = name
			cases = append(cases, c)
		}
	}
	if len(probs) > 0 {
		slices.SortStableFunc(probs, func(a, b Problem) int {
			return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		})
		return nil, &LoadError{Problems: probs}
	}
	slices.SortFunc(cases, func(a, b *Case) int { return strings.Compare(a.Name, b.Name) })
	return cases, nil
}

// loadCase reads one case directory; shown is its name in messages.
func loadCase(ctx context.Context, fsys fs.FS, dir, shown string) (*Case, []Problem) {
	at := func(name string) string { return path.Join(shown, name) }
	fail := func(name, format string, args ...any) []Problem {
		return []Problem{{File: at(name), Message: fmt.Sprintf(format, args...)}}
	}
	data, err := readLimited(fsys, path.Join(dir, ExpectFile), MaxExpectSize)
	if err != nil {
		return nil, fail(ExpectFile, "%v", err)
	}
	exp, probs := parseExpect(at(ExpectFile), data)
	c := &Case{Dir: shown, Description: exp.Description, Why: exp.Why, Title: exp.Title, Body: exp.Body, Expected: exp.Findings, fsys: fsys, dir: dir}

	for _, opt := range []struct {
		name string
		dst  *[]byte
	}{{ConfigFile, &c.Config}, {AgentsFile, &c.Agents}} {
		b, err := readLimited(fsys, path.Join(dir, opt.name), MaxConfigSize)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			probs = append(probs, fail(opt.name, "%v", err)...)
		default:
			*opt.dst = b
		}
	}

	hasDiff := exists(fsys, path.Join(dir, DiffFile))
	hasBase, hasHead := isDir(fsys, path.Join(dir, BaseDir)), isDir(fsys, path.Join(dir, HeadDir))
	switch {
	case hasDiff && (hasBase || hasHead):
		return nil, append(probs, fail(DiffFile, "a case has either %s or %s/ and %s/, not both", DiffFile, BaseDir, HeadDir)...)
	case hasDiff:
		c.Patch, err = readLimited(fsys, path.Join(dir, DiffFile), MaxDiffSize)
		if err != nil {
			return nil, append(probs, fail(DiffFile, "%v", err)...)
		}
	case hasBase && hasHead:
		c.FromTrees = true
		c.Patch, err = gitdiff.Trees(ctx, fsys, path.Join(dir, BaseDir), path.Join(dir, HeadDir), gitdiff.TreeLimits{MaxBytes: MaxTreeSize})
		if err != nil {
			return nil, append(probs, Problem{File: shown, Message: fmt.Sprintf("diff %s/ against %s/: %v", BaseDir, HeadDir, err)})
		}
	default:
		return nil, append(probs, Problem{File: shown, Message: fmt.Sprintf("no change: add %s, or %s/ and %s/ trees", DiffFile, BaseDir, HeadDir)})
	}
	if isDir(fsys, path.Join(dir, OSVDir)) {
		if !c.FromTrees {
			probs = append(probs, Problem{File: at(OSVDir), Message: fmt.Sprintf("only a case with %s/ and %s/ trees has a dependency analysis to give advisories to", BaseDir, HeadDir)})
		} else {
			c.advisories = osv.NewDirFS(fsys, path.Join(dir, OSVDir), at(OSVDir))
			if err := c.advisories.Check(ctx); err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					probs = append(probs, Problem{File: at(OSVDir), Message: strings.TrimPrefix(line, at(OSVDir)+": ")})
				}
			}
		}
	}
	patchName := at(DiffFile)
	if c.FromTrees {
		patchName = shown + " (" + BaseDir + "/ → " + HeadDir + "/)"
	}
	c.Diff, err = diff.Parse(c.Patch)
	if err != nil {
		return nil, append(probs, Problem{File: patchName, Message: err.Error()})
	}
	if len(c.Diff.Files) == 0 {
		return nil, append(probs, Problem{File: patchName, Message: "the change is empty"})
	}
	for _, e := range c.Expected {
		if msg := locate(c.Diff, e); msg != "" {
			probs = append(probs, Problem{File: at(ExpectFile), Line: e.line, Column: e.col, Message: msg})
		}
	}
	return c, probs
}

// locate checks that an expected finding points into the change: a file of
// the diff and lines that overlap one of its hunks. It returns "" when it
// does, and otherwise what is wrong.
func locate(d *diff.Diff, e Expected) string {
	if e.Path == "" || e.Start == 0 {
		return "" // already reported by the parser
	}
	f := d.File(e.Path)
	if f == nil {
		names := make([]string, 0, len(d.Files))
		for _, f := range d.Files {
			names = append(names, f.Path())
		}
		return fmt.Sprintf("%s is not in the change (it changes %s)", e.Path, strings.Join(names, ", "))
	}
	if HunkOverlapping(f, e.Start, e.End) < 0 {
		var spans []string
		for _, h := range f.Hunks {
			first, last := h.NewStart, h.NewEnd()
			if f.NewPath == "" {
				first, last = h.OldStart, h.OldEnd()
			}
			spans = append(spans, fmt.Sprintf("%d-%d", first, last))
		}
		return fmt.Sprintf("lines %d-%d of %s are not in the change (its hunks cover %s)", e.Start, e.End, e.Path, strings.Join(spans, ", "))
	}
	return ""
}

// HunkOverlapping returns the index of the first hunk of f whose lines
// overlap start..end, or -1. Lines are head lines, or base lines for a
// deleted file.
func HunkOverlapping(f *diff.File, start, end int) int {
	for i, h := range f.Hunks {
		first, last := h.NewStart, h.NewEnd()
		if f.NewPath == "" {
			first, last = h.OldStart, h.OldEnd()
		}
		if first <= end && last >= start {
			return i
		}
	}
	return -1
}

func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path.Base(name))
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than the limit of %d KiB", limit>>10)
	}
	return b, nil
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

func isDir(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return err == nil && st.IsDir()
}
