// Package diff is the engine's model of a change: files, hunks and lines
// parsed from a unified diff, and the index of lines a review comment may
// land on. GitHub accepts an inline comment only on a line that appears in
// a hunk: on the RIGHT side an added or context line (by new line number),
// on the LEFT side a deleted or context line (by old line number); a
// multi-line comment must stay inside one hunk.
//
// Parse reads the output of git diff and of plain diff -u; ParseFilePatch
// reads the per-file patches of GitHub's files API. Both read the diff's
// structure with github.com/sourcegraph/go-diff, after a first pass of
// their own that checks every hunk against its header's counts and keeps
// line numbers for errors.
package diff

import "sort"

// Side is the side of the diff a comment is attached to, as GitHub names it.
type Side string

// The two sides of a diff.
const (
	Left  Side = "LEFT"  // the base version: deleted and context lines
	Right Side = "RIGHT" // the head version: added and context lines
)

// LineKind says whether a hunk line was kept, added or deleted.
type LineKind uint8

// The kinds of hunk lines.
const (
	Context LineKind = iota
	Added
	Deleted
)

// Line is one line of a hunk.
type Line struct {
	Kind    LineKind
	OldLine int    // line number in the base version; 0 for added lines
	NewLine int    // line number in the head version; 0 for deleted lines
	Content string // the text without the leading '+', '-' or ' ' and without the line ending
	// NoNewline is set when the line is followed by "\ No newline at end of file".
	NoNewline bool
}

// Hunk is one "@@ -a,b +c,d @@" section.
type Hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	Section            string // the text after the closing "@@", often a function name
	Lines              []Line
}

// OldEnd is the last base line the hunk covers (OldStart-1 when it covers none).
func (h *Hunk) OldEnd() int { return h.OldStart + h.OldLines - 1 }

// NewEnd is the last head line the hunk covers (NewStart-1 when it covers none).
func (h *Hunk) NewEnd() int { return h.NewStart + h.NewLines - 1 }

// Covers reports whether line is commentable on side within this hunk.
// Added and context lines have contiguous new numbers, deleted and context
// lines contiguous old numbers, so the hunk header's ranges are exact.
func (h *Hunk) Covers(side Side, line int) bool {
	if side == Left {
		return h.OldLines > 0 && line >= h.OldStart && line <= h.OldEnd()
	}
	return h.NewLines > 0 && line >= h.NewStart && line <= h.NewEnd()
}

// Status is what happened to a file.
type Status string

// File statuses, named as GitHub's files API names them.
const (
	StatusAdded    Status = "added"
	StatusRemoved  Status = "removed"
	StatusModified Status = "modified"
	StatusRenamed  Status = "renamed"
	StatusCopied   Status = "copied"
)

// File is the change to one file.
type File struct {
	OldPath string // "" when the file is new
	NewPath string // "" when the file is deleted
	Status  Status
	Binary  bool
	// OldMode and NewMode are git's octal modes ("100644"); both empty when
	// the diff does not say.
	OldMode, NewMode string
	Similarity       int // rename or copy similarity in percent, when given
	// CRLF is set when the file's lines end in "\r\n" (judged by the head
	// version's lines, or the base version's for a deletion). Line.Content
	// never holds the "\r"; renderers use CRLF to write suggestions back
	// with the file's own line endings.
	CRLF  bool
	Hunks []Hunk
}

// Path is the path a reviewer would name: the new path, or the old one for
// a deleted file.
func (f *File) Path() string {
	if f.NewPath != "" {
		return f.NewPath
	}
	return f.OldPath
}

// Stats counts added and deleted lines.
func (f *File) Stats() (added, deleted int) {
	for i := range f.Hunks {
		for _, l := range f.Hunks[i].Lines {
			switch l.Kind {
			case Added:
				added++
			case Deleted:
				deleted++
			}
		}
	}
	return added, deleted
}

// HunkAt returns the index of the hunk in which line is commentable on
// side, or -1 (also for a side other than Left and Right). Hunks are
// ordered by position, so this is a binary search.
func (f *File) HunkAt(side Side, line int) int {
	if side != Left && side != Right {
		return -1
	}
	i := sort.Search(len(f.Hunks), func(i int) bool {
		h := &f.Hunks[i]
		if side == Left {
			return h.OldEnd() >= line
		}
		return h.NewEnd() >= line
	})
	for ; i < len(f.Hunks); i++ {
		if f.Hunks[i].Covers(side, line) {
			return i
		}
		// A hunk with no lines on this side (a pure addition seen from the
		// LEFT) can sit between covering hunks; skip over it.
		h := &f.Hunks[i]
		if (side == Left && h.OldLines > 0) || (side == Right && h.NewLines > 0) {
			break
		}
	}
	return -1
}

// Commentable reports whether a comment on lines start..end (inclusive) of
// side is accepted by GitHub: both ends inside the same hunk.
func (f *File) Commentable(side Side, start, end int) bool {
	if start <= 0 || end < start {
		return false
	}
	h := f.HunkAt(side, end)
	return h >= 0 && f.Hunks[h].Covers(side, start)
}

// Diff is a parsed multi-file diff.
type Diff struct {
	Files  []*File
	byPath map[string]*File
}

// File finds a file by its new path, or by its old path for deleted and
// renamed files. It returns nil when the diff does not touch that path.
// The lookup map is built by New, so File is safe for concurrent use.
func (d *Diff) File(path string) *File {
	if path == "" {
		return nil
	}
	if d.byPath == nil {
		// A Diff assembled without New: same answers as the index, found
		// the slow way (new paths first, as in New).
		for _, f := range d.Files {
			if f.NewPath == path {
				return f
			}
		}
		for _, f := range d.Files {
			if f.OldPath == path && knownByOldPath(f) {
				return f
			}
		}
		return nil
	}
	return d.byPath[path]
}

// knownByOldPath reports whether f may be found by its old path: only when
// that path is gone from the head. The source of a copy is still there,
// unchanged, and is not part of the diff.
func knownByOldPath(f *File) bool {
	return f.NewPath == "" || f.Status == StatusRemoved || f.Status == StatusRenamed
}

// New builds a Diff from files. Every constructor (Parse, and callers that
// assemble GitHub's per-file patches) goes through it so the path index
// exists before the Diff is shared between goroutines.
func New(files []*File) *Diff {
	d := &Diff{Files: files, byPath: make(map[string]*File, 2*len(files))}
	for _, f := range files {
		if f.OldPath != "" && knownByOldPath(f) {
			d.byPath[f.OldPath] = f
		}
	}
	// New paths win over old ones: a path renamed away and re-added
	// belongs to the file that now lives there.
	for _, f := range files {
		if f.NewPath != "" {
			d.byPath[f.NewPath] = f
		}
	}
	return d
}
