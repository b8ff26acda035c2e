package review

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/merge"
)

// OutsideDiff says what happens to a finding whose location is outside the
// file it names or outside the change (.codex.yml review.outside_diff).
type OutsideDiff string

// Values of OutsideDiff.
const (
	// OutsideNote lists the finding below the inline findings, under
	// "outside this change", at P2 at most. It is the default.
	OutsideNote OutsideDiff = "note"
	// OutsideDrop leaves the finding out; the summary counts it.
	OutsideDrop OutsideDiff = "drop"
)

// DefaultMinConfidence is the confidence below which a finding gets no
// inline comment unless .codex.yml says otherwise (review.min_confidence).
// A model that rates its own finding under 0.3 thinks it more likely wrong
// than right by a wide margin: such findings are listed in the summary,
// where they cost the author a glance rather than a thread to resolve.
const DefaultMinConfidence = 0.3

// outsidePriority is the most urgent priority a finding outside the change
// is shown at: it may be real, but nothing in this change is known to cause
// it, so it cannot block the change.
const outsidePriority = finding.P2

// Gate names the precision gate that held a finding back from the inline
// comments.
type Gate string

// The precision gates.
const (
	// GateOutside: the finding's location is outside the file it names or
	// outside the change; it is shown under "outside this change" at P2
	// at most, or dropped.
	GateOutside Gate = "outside_change"
	// GateLowConfidence: the model's confidence is below MinConfidence;
	// the finding is listed in the summary instead of inline, and does
	// not count towards the verdict.
	GateLowConfidence Gate = "low_confidence"
)

// Gated counts what the precision gates did, for the summary.
type Gated struct {
	// OutsideNoted counts findings outside the change shown under
	// "outside this change" (review.outside_diff: note).
	OutsideNoted int
	// OutsideDropped counts findings outside the change left out
	// (review.outside_diff: drop).
	OutsideDropped int
	// LowConfidence counts findings in the change kept out of inline
	// comments and the verdict for a confidence below
	// review.min_confidence.
	LowConfidence int
	// MinConfidence is the threshold that applied (0: none).
	MinConfidence float64
}

// outsideChange reports why a finding's location lies outside the file it
// names or outside the change, or "" when it does not (or when the finding
// names no location, or a file whose changed lines cannot be seen: binary,
// or too large for the diff). p is the finding's placement on d; lengths
// are line counts of head files the diff does not show the end of.
func outsideChange(d *diff.Diff, f finding.Finding, p anchor.Placement, lengths map[string]int) string {
	path := f.CodeLocation.AbsoluteFilePath
	if path == "" || p.Inline {
		return ""
	}
	var file *diff.File
	if d != nil {
		file = d.File(path)
	}
	if file == nil {
		return path + " is not part of this change"
	}
	if file.Binary || len(file.Hunks) == 0 {
		return ""
	}
	r := f.CodeLocation.LineRange
	n, ok := fileLength(file)
	if !ok {
		n, ok = lengths[file.Path()]
	}
	if ok && r.Start > n {
		return fmt.Sprintf("%s is past the end of %s (%s)", lineWord(r.Start), file.Path(), lineCount(n))
	}
	side := diff.Right
	if file.NewPath == "" {
		side = diff.Left
	}
	for i := range file.Hunks {
		h := &file.Hunks[i]
		start, end := h.NewStart, h.NewEnd()
		if side == diff.Left {
			start, end = h.OldStart, h.OldEnd()
		}
		if r.Start <= end && start <= r.End {
			// On changed lines yet not placed: the diff itself is
			// inconsistent, not the finding.
			return ""
		}
	}
	if r.Start == r.End {
		return lineWord(r.Start) + " is outside the changed lines of " + file.Path()
	}
	return fmt.Sprintf("lines %d-%d are outside the changed lines of %s", r.Start, r.End, file.Path())
}

// fileLength returns the number of lines of the file's reviewed version
// when the diff shows where it ends: a new or deleted file is all one
// hunk, and a "\ No newline at end of file" marker ends any file.
func fileLength(f *diff.File) (int, bool) {
	if len(f.Hunks) == 0 {
		return 0, false
	}
	last := &f.Hunks[len(f.Hunks)-1]
	switch {
	case f.OldPath == "" || f.Status == diff.StatusAdded:
		return last.NewEnd(), true
	case f.NewPath == "" || f.Status == diff.StatusRemoved:
		return last.OldEnd(), true
	}
	for i := len(last.Lines) - 1; i >= 0; i-- {
		l := last.Lines[i]
		if l.Kind == diff.Deleted {
			continue
		}
		if l.NoNewline {
			return l.NewLine, true
		}
		break
	}
	return 0, false
}

// demote shows a finding outside the change at outsidePriority at most.
func demote(f finding.Finding) finding.Finding {
	if finding.Priority(f.Priority) >= outsidePriority {
		return f
	}
	f.Priority = int(outsidePriority)
	f.Title = "[" + outsidePriority.String() + "] " + plainTitle(f.Title)
	return f
}

// plainTitle drops the "[Pn] " prefix Normalize gave the title.
func plainTitle(t string) string {
	if len(t) >= 5 && t[0] == '[' && t[3] == ']' && t[4] == ' ' {
		return t[5:]
	}
	return t
}

// lowConfidence reports why a finding is too unsure for an inline comment,
// or "".
func lowConfidence(f finding.Finding, min float64) string {
	if min <= 0 || f.ConfidenceScore >= min {
		return ""
	}
	return "confidence " + strconv.FormatFloat(f.ConfidenceScore, 'f', 2, 64) +
		" is below review.min_confidence " + strconv.FormatFloat(min, 'f', 2, 64)
}

func lineWord(n int) string { return "line " + strconv.Itoa(n) }

func lineCount(n int) string {
	if n == 1 {
		return "1 line"
	}
	return strconv.Itoa(n) + " lines"
}

// headLengths counts the lines of the head version of the files that
// findings placed outside their changed lines point into, when the diff
// does not show where those files end: then "line 999 is past the end of
// calc.js (42 lines)" can be said instead of "outside the changed lines".
// It reads the files once, through head (nil: no lengths); a failed read
// only costs that precision.
func headLengths(ctx context.Context, d *diff.Diff, fs []merge.Merged, placed []anchor.Placement, head HeadFiles) map[string]int {
	if head == nil || d == nil {
		return nil
	}
	var paths []string
	seen := map[string]bool{}
	for i, m := range fs {
		if placed[i].Inline {
			continue
		}
		file := d.File(m.CodeLocation.AbsoluteFilePath)
		if file == nil || file.NewPath == "" || file.Binary || len(file.Hunks) == 0 || seen[file.NewPath] {
			continue
		}
		if _, known := fileLength(file); known {
			continue
		}
		seen[file.NewPath] = true
		paths = append(paths, file.NewPath)
	}
	if len(paths) == 0 {
		return nil
	}
	contents, err := head.HeadFiles(ctx, paths)
	if err != nil {
		return nil
	}
	out := make(map[string]int, len(contents))
	for p, c := range contents {
		n := strings.Count(string(c), "\n")
		if len(c) > 0 && c[len(c)-1] != '\n' {
			n++
		}
		out[p] = n
	}
	return out
}
