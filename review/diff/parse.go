package diff

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	godiff "github.com/sourcegraph/go-diff/diff"
)

// ParseError is a malformed diff: the file it concerns and the 1-based
// line of the input where parsing went wrong.
type ParseError struct {
	File string // the file's path, "" when no file header was read yet
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("diff: parse at line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("diff: parse %q at line %d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// keepCR makes go-diff leave the "\r" of CRLF lines in hunk bodies, so
// File.CRLF can be told; Content never keeps it.
var keepCR = godiff.ParseOptions{KeepCR: true}

// Parse parses a multi-file unified diff: git's output (extended headers,
// renames, copies, mode changes, binary files, C-quoted paths, the a/ b/
// or mnemonic prefixes or none) or plain "diff -u" output. Empty input
// gives an empty Diff. Malformed input gives a *ParseError.
//
// Plain diffs have no rename information: a file whose two names differ
// is reported as modified with both paths.
func Parse(data []byte) (*Diff, error) {
	frames, err := frameDiff(data)
	if err != nil {
		return nil, err
	}
	if len(frames) == 0 {
		if len(bytes.TrimSpace(data)) > 0 {
			return nil, &ParseError{Line: 1, Err: ErrNoDiff}
		}
		return New(nil), nil
	}
	files := make([]*File, 0, len(frames))
	src := newSource(data)
	for i := range frames {
		f, err := buildFile(src, &frames[i])
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return New(files), nil
}

// ParseFilePatch builds a File from GitHub's files API, whose patch field
// holds one file's hunks without headers. oldPath may be empty when the
// file was not renamed or copied. An empty patch is valid: GitHub leaves
// it out for binary files and very large diffs, which this cannot tell
// apart, so Binary stays false.
func ParseFilePatch(oldPath, newPath string, status Status, patch string) (*File, error) {
	f := &File{OldPath: oldPath, NewPath: newPath, Status: status}
	switch status {
	case StatusAdded:
		f.OldPath = ""
	case StatusRemoved:
		if f.OldPath == "" {
			f.OldPath = newPath
		}
		f.NewPath = ""
	case StatusModified, StatusRenamed, StatusCopied:
		if f.OldPath == "" {
			f.OldPath = newPath
		}
	default:
		return nil, fmt.Errorf("diff: patch of %q: unknown status %q", newPath, status)
	}
	if f.Path() == "" {
		return nil, fmt.Errorf("diff: patch with status %q has no path", status)
	}
	if patch == "" {
		return f, nil
	}
	data := []byte(patch)
	frame, err := framePatch(data, f.Path())
	if err != nil {
		return nil, err
	}
	if len(frame.hunks) == 0 {
		return f, nil
	}
	if err := readHunks(newSource(data), frame, f, f.Path()); err != nil {
		return nil, err
	}
	if err := checkSides(f, frame); err != nil {
		return nil, err
	}
	return f, nil
}

// buildFile turns one framed file into a File: headers through go-diff
// and the git extended headers, then the hunks.
func buildFile(src *source, fr *fileFrame) (*File, error) {
	f := &File{}
	if len(fr.binaryLine) > 0 {
		old, new, ok := splitBinaryNames(binaryNames(fr.binaryLine))
		if !ok {
			return nil, &ParseError{Line: fr.line, Err: fmt.Errorf("cannot read the names in %q", clip(fr.binaryLine))}
		}
		f.Binary = true
		if err := setPlainPaths(f, old, new); err != nil {
			return nil, &ParseError{Line: fr.line, Err: err}
		}
		return f, nil
	}

	fd, err := godiff.NewFileDiffReaderOptions(src.at(fr.start, fr.headerEnd), keepCR).ReadAllHeaders()
	var pe *godiff.ParseError
	if err != nil && !(errors.As(err, &pe) && pe.Err == godiff.ErrExtendedHeadersEOF && fr.namesLine == 0) {
		// ErrExtendedHeadersEOF only says a git file has no "---"/"+++",
		// which the framer already knows; anything else is a bad header.
		line := fr.namesLine
		if line == 0 {
			line = fr.line
		}
		return nil, &ParseError{File: fr.name(), Line: line, Err: fmt.Errorf("bad file header: %w", err)}
	}

	if fr.git {
		if err := gitHeaders(f, fd, fr); err != nil {
			return nil, err
		}
	} else {
		if err := setPlainPaths(f, fd.OrigName, fd.NewName); err != nil {
			return nil, &ParseError{Line: fr.namesLine, Err: err}
		}
		if f.Status == StatusModified && len(fr.hunks) == 1 {
			// diff -N shows a missing file as an empty one dated at the
			// Unix epoch.
			h := &fr.hunks[0]
			switch {
			case fd.OrigTime != nil && fd.OrigTime.Unix() == 0 && h.oldLines == 0:
				f.Status, f.OldPath = StatusAdded, ""
			case fd.NewTime != nil && fd.NewTime.Unix() == 0 && h.newLines == 0:
				f.Status, f.NewPath = StatusRemoved, ""
			}
		}
	}
	if len(fr.hunks) > 0 {
		if err := readHunks(src, fr, f, f.Path()); err != nil {
			return nil, err
		}
	}
	if err := checkSides(f, fr); err != nil {
		return nil, err
	}
	return f, nil
}

// checkSides rejects hunks that contradict the file's status: an added
// file has no base lines and a removed one no head lines.
func checkSides(f *File, fr *fileFrame) error {
	for i := range f.Hunks {
		h := &f.Hunks[i]
		switch {
		case f.Status == StatusAdded && h.OldLines > 0:
			return &ParseError{File: f.Path(), Line: fr.hunks[i].line, Err: errors.New("hunk of an added file has base lines")}
		case f.Status == StatusRemoved && h.NewLines > 0:
			return &ParseError{File: f.Path(), Line: fr.hunks[i].line, Err: errors.New("hunk of a removed file has head lines")}
		}
	}
	return nil
}

// setPlainPaths fills paths and status from the two names of a non-git
// diff. The a/ b/ pair is stripped when both sides carry it (or one side
// is /dev/null), as "diff -ruN a b" writes it for patch -p1.
func setPlainPaths(f *File, old, new string) error {
	if old == "" || new == "" || old == devNull && new == devNull {
		return fmt.Errorf("file header names %q and %q: want two paths, or a path and %s", old, new, devNull)
	}
	strip := knownPair(old, new) && old[0] == 'a' ||
		old == devNull && prefixOf(new) == 'b' ||
		new == devNull && prefixOf(old) == 'a'
	f.OldPath, f.NewPath = stripPrefix(old, strip), stripPrefix(new, strip)
	switch {
	case f.OldPath == "":
		f.Status = StatusAdded
	case f.NewPath == "":
		f.Status = StatusRemoved
	default:
		f.Status = StatusModified
	}
	return nil
}

// gitHeaders reads git's extended headers into f and settles its paths
// and status.
func gitHeaders(f *File, fd *godiff.FileDiff, fr *fileFrame) error {
	var (
		args, indexMode                 string
		from, to                        string // rename or copy paths
		renamed, copied, added, deleted bool
		hasFrom, hasTo                  bool
	)
	for i, raw := range fd.Extended {
		line := strings.TrimSuffix(raw, "\r")
		var err error
		name := func(prefix string) string {
			n, e := decodeName(line[len(prefix):])
			if e == nil && n == "" {
				e = errors.New("empty path")
			}
			if e != nil {
				err = fmt.Errorf("bad path in %q: %w", line, e)
			}
			return n
		}
		switch {
		case strings.HasPrefix(line, "diff --git "):
			args = line[len("diff --git "):]
		case strings.HasPrefix(line, "old mode "):
			f.OldMode = line[len("old mode "):]
		case strings.HasPrefix(line, "new mode "):
			f.NewMode = line[len("new mode "):]
		case strings.HasPrefix(line, "new file mode "):
			f.NewMode, added = line[len("new file mode "):], true
		case strings.HasPrefix(line, "deleted file mode "):
			f.OldMode, deleted = line[len("deleted file mode "):], true
		case strings.HasPrefix(line, "similarity index "):
			if f.Similarity, err = atoiPercent(line[len("similarity index "):]); err != nil {
				err = fmt.Errorf("bad similarity index: %w", err)
			}
		case strings.HasPrefix(line, "rename from "):
			from, renamed, hasFrom = name("rename from "), true, true
		case strings.HasPrefix(line, "rename to "):
			to, renamed, hasTo = name("rename to "), true, true
		case strings.HasPrefix(line, "copy from "):
			from, copied, hasFrom = name("copy from "), true, true
		case strings.HasPrefix(line, "copy to "):
			to, copied, hasTo = name("copy to "), true, true
		case strings.HasPrefix(line, "index "):
			// "index 1a2b3c4..5d6e7f8 100644": the mode is unchanged.
			if _, mode, ok := strings.Cut(line[len("index "):], " "); ok {
				indexMode = mode
			}
		case strings.HasPrefix(line, "Binary files "), line == "GIT binary patch":
			f.Binary = true
		}
		if err != nil {
			return &ParseError{File: fr.name(), Line: fr.line + i, Err: err}
		}
	}
	if f.OldMode == "" && f.NewMode == "" && indexMode != "" {
		f.OldMode, f.NewMode = indexMode, indexMode
	}
	fail := func(err error) error { return &ParseError{File: fr.name(), Line: fr.line, Err: err} }
	if renamed && copied || hasFrom != hasTo {
		return fail(errors.New("rename or copy headers are incomplete"))
	}
	if fr.namesLine != 0 {
		// go-diff's "---"/"+++" names say /dev/null for a missing side.
		added = added || fd.OrigName == devNull
		deleted = deleted || fd.NewName == devNull
	}

	// Paths: rename and copy headers are exact and unprefixed; the
	// "diff --git" line tells the prefixes in use and is exact unless
	// names with spaces make it ambiguous; then the "---"/"+++" names.
	old, new, ok := splitGitArgs(args)
	strip := ok && knownPair(old, new)
	switch {
	case hasFrom:
		old, new, strip = from, to, false
	case !ok && fr.namesLine != 0:
		old, new, ok = fd.OrigName, fd.NewName, true
		strip = knownPair(old, new) ||
			old == devNull && prefixOf(new) == 'b' ||
			new == devNull && prefixOf(old) == 'a'
	case !ok:
		return fail(fmt.Errorf("cannot tell the two paths apart in %q", clip(fr.gitArgs)))
	}
	f.OldPath, f.NewPath = stripPrefix(old, strip), stripPrefix(new, strip)

	switch {
	case renamed:
		f.Status = StatusRenamed
	case copied:
		f.Status = StatusCopied
	case added && deleted:
		return fail(errors.New("file is both new and deleted"))
	case added:
		f.Status, f.OldPath = StatusAdded, ""
	case deleted:
		f.Status, f.NewPath = StatusRemoved, ""
	default:
		f.Status = StatusModified
	}
	if f.Path() == "" {
		return fail(fmt.Errorf("no path in %q", clip(fr.gitArgs)))
	}
	return nil
}
