package githubtest

import (
	"fmt"
	"strconv"
	"strings"
)

// Sides of a diff, as the review API names them.
const (
	sideLeft  = "LEFT"
	sideRight = "RIGHT"
)

// lineKey names a commentable line: a line number on one side of the diff.
type lineKey struct {
	side string
	line int
}

// lineLoc is where a commentable line sits in the patch.
type lineLoc struct {
	hunk     int // index of the hunk, from 0
	position int // GitHub's "position": lines below the first @@ header, from 1
}

// patchIndex lists the lines of one file's patch that GitHub accepts review comments on: on the
// RIGHT side added and context lines by their new number, on the LEFT side deleted and context
// lines by their old number. It is written independently of the review engine's diff package
// so that the fake can catch that package's mistakes.
type patchIndex struct {
	lines     map[lineKey]lineLoc
	positions map[int]lineKey // position → the line it designates (RIGHT for context lines)
	hunkText  []string        // raw text of each hunk, header included
	hunkFirst []int           // position of the first line below each hunk's header
	// text is each commentable line's content, without its marker: what a review comment on it
	// is about, followed when later pushes move the line.
	text map[lineKey]string
}

// indexPatch parses a GitHub file patch: hunks of a unified diff without the file headers.
func indexPatch(patch string) (*patchIndex, error) {
	if patch == "" {
		return &patchIndex{lines: map[lineKey]lineLoc{}, positions: map[int]lineKey{}, text: map[lineKey]string{}}, nil
	}
	// Sized up front: a context line is indexed on both sides, so at most two entries a line.
	n := strings.Count(patch, "\n") + 1
	idx := &patchIndex{lines: make(map[lineKey]lineLoc, 2*n), positions: make(map[int]lineKey, n), text: make(map[lineKey]string, 2*n)}
	hunk, position := -1, 0
	var oldLine, newLine, oldLeft, newLeft int
	var text strings.Builder
	// Hunks must come in file order without overlapping, as git writes them.
	var oldEnd, newEnd int
	checkCounts := func() error {
		if hunk >= 0 && (oldLeft != 0 || newLeft != 0) {
			return fmt.Errorf("hunk %d has fewer lines than its header counts", hunk+1)
		}
		return nil
	}
	flush := func() {
		if hunk >= 0 {
			idx.hunkText = append(idx.hunkText, strings.TrimSuffix(text.String(), "\n"))
			text.Reset()
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(patch, "\n"), "\n") {
		if strings.HasPrefix(l, "@@") {
			if hunk >= 0 {
				position++ // later hunk headers count as positions, the first does not
			}
			if err := checkCounts(); err != nil {
				return nil, err
			}
			flush()
			hunk++
			var err error
			oldLine, oldLeft, newLine, newLeft, err = parseHunkHeader(l)
			if err != nil {
				return nil, fmt.Errorf("hunk %d: %w", hunk+1, err)
			}
			if oldLine < oldEnd || newLine < newEnd {
				return nil, fmt.Errorf("hunk %d overlaps the one before", hunk+1)
			}
			oldEnd, newEnd = oldLine+oldLeft, newLine+newLeft
			text.WriteString(l + "\n")
			idx.hunkFirst = append(idx.hunkFirst, position+1)
			continue
		}
		if hunk < 0 {
			return nil, fmt.Errorf("patch does not start with a hunk header: %q", l)
		}
		position++
		text.WriteString(l + "\n")
		loc := lineLoc{hunk: hunk, position: position}
		switch {
		case strings.HasPrefix(l, "+"):
			idx.lines[lineKey{sideRight, newLine}] = loc
			idx.text[lineKey{sideRight, newLine}] = l[1:]
			idx.positions[position] = lineKey{sideRight, newLine}
			newLine++
			newLeft--
		case strings.HasPrefix(l, "-"):
			idx.lines[lineKey{sideLeft, oldLine}] = loc
			idx.text[lineKey{sideLeft, oldLine}] = l[1:]
			idx.positions[position] = lineKey{sideLeft, oldLine}
			oldLine++
			oldLeft--
		case strings.HasPrefix(l, `\`):
			// "\ No newline at end of file" takes a position but is no line of either file.
		default:
			// Context; GitHub drops the leading space of an empty context line in some patches.
			idx.lines[lineKey{sideRight, newLine}] = loc
			idx.lines[lineKey{sideLeft, oldLine}] = loc
			ctxText := strings.TrimPrefix(l, " ")
			idx.text[lineKey{sideRight, newLine}] = ctxText
			idx.text[lineKey{sideLeft, oldLine}] = ctxText
			idx.positions[position] = lineKey{sideRight, newLine}
			oldLine++
			newLine++
			oldLeft--
			newLeft--
		}
		if oldLeft < 0 || newLeft < 0 {
			return nil, fmt.Errorf("hunk %d has more lines than its header counts", hunk+1)
		}
	}
	if err := checkCounts(); err != nil {
		return nil, err
	}
	flush()
	return idx, nil
}

// parseHunkHeader reads "@@ -a,b +c,d @@ section"; a missing count means 1.
func parseHunkHeader(h string) (oldStart, oldCount, newStart, newCount int, err error) {
	rest, ok := strings.CutPrefix(h, "@@ -")
	if !ok {
		return 0, 0, 0, 0, fmt.Errorf("malformed hunk header %q", h)
	}
	ranges, _, ok := strings.Cut(rest, " @@")
	if !ok {
		return 0, 0, 0, 0, fmt.Errorf("malformed hunk header %q", h)
	}
	oldPart, newPart, ok := strings.Cut(ranges, " +")
	if !ok {
		return 0, 0, 0, 0, fmt.Errorf("malformed hunk header %q", h)
	}
	if oldStart, oldCount, err = parseRange(oldPart); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("hunk header %q: %w", h, err)
	}
	if newStart, newCount, err = parseRange(newPart); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("hunk header %q: %w", h, err)
	}
	return oldStart, oldCount, newStart, newCount, nil
}

func parseRange(r string) (start, count int, err error) {
	startText, countText, hasCount := strings.Cut(r, ",")
	if start, err = strconv.Atoi(startText); err != nil || start < 0 {
		return 0, 0, fmt.Errorf("bad range start %q", startText)
	}
	count = 1
	if hasCount {
		if count, err = strconv.Atoi(countText); err != nil || count < 0 {
			return 0, 0, fmt.Errorf("bad range count %q", countText)
		}
	}
	return start, count, nil
}

// diffHunk is what GitHub shows as a comment's diff_hunk: the hunk up to the commented line.
func (idx *patchIndex) diffHunk(loc lineLoc) string {
	lines := strings.Split(idx.hunkText[loc.hunk], "\n")
	n := loc.position - idx.hunkFirst[loc.hunk] + 2 // the header plus lines up to the commented one
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
