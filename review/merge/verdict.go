package merge

import (
	"math"
	"strings"

	"github.com/codex-review/codex-review/review/finding"
)

// maxExplanation bounds the combined explanation (in bytes, cut at a
// sentence boundary): it heads the review summary and should read as a
// short paragraph, however many passes ran.
const maxExplanation = 800

// neutralConfidence is reported when no pass backs the final verdict.
const neutralConfidence = 0.5

// Verdict combines the passes' overall answers into one.
//
// The patch is incorrect when a kept finding is P0 or P1, or when a pass
// said so and one of the findings it gave for that was kept (the same
// issue by Merge's rules). A pass that called the patch incorrect only
// for reasons the threshold dropped does not make it so. Otherwise the
// patch is correct.
//
// The explanation joins the explanations of the passes that agree with
// the verdict, without repeating a sentence; when none agrees it is
// written from the kept findings. The confidence is the lowest of the
// agreeing passes' (a chain is as sure as its least sure link), or 0.5
// when no pass agrees. The outputs' findings should be normalised, as the
// kept ones are.
func Verdict(outputs []finding.Output, kept []finding.Finding) (correctness, explanation string, confidence float64) {
	keptCands := make([]candidate, len(kept))
	blocking := 0
	for i, f := range kept {
		keptCands[i] = newCandidate(f)
		if finding.Priority(f.Priority) <= finding.P1 {
			blocking++
		}
	}

	bad := blocking > 0
	if !bad {
		for _, o := range outputs {
			if saysIncorrect(o.OverallCorrectness) == yes && supported(o.Findings, keptCands) {
				bad = true
				break
			}
		}
	}
	correctness = finding.CorrectnessOK
	want := no
	if bad {
		correctness = finding.CorrectnessBad
		want = yes
	}

	var texts []string
	confidence = math.Inf(1)
	for _, o := range outputs {
		if saysIncorrect(o.OverallCorrectness) != want {
			continue
		}
		texts = append(texts, o.OverallExplanation)
		confidence = math.Min(confidence, clampConfidence(o.OverallConfidenceScore))
	}
	if math.IsInf(confidence, 1) {
		confidence = neutralConfidence
	}
	explanation = joinSentences(texts)
	if explanation == "" {
		explanation = fallbackExplanation(bad, kept, blocking)
	}
	return correctness, explanation, confidence
}

// tristate is a pass's verdict as far as it could be read.
type tristate int

const (
	unknown tristate = iota
	yes
	no
)

// saysIncorrect reads an overall_correctness value leniently: models vary
// case and punctuation, and an unreadable value agrees with neither
// verdict.
func saysIncorrect(s string) tristate {
	t := strings.ToLower(s)
	switch {
	case strings.Contains(t, "incorrect"):
		return yes
	case strings.Contains(t, "correct"):
		return no
	default:
		return unknown
	}
}

// supported reports whether one of a pass's findings survived merging.
func supported(own []finding.Finding, kept []candidate) bool {
	for _, f := range own {
		c := newCandidate(f)
		for i := range kept {
			if sameIssue(&kept[i], &c) {
				return true
			}
		}
	}
	return false
}

// joinSentences concatenates texts, dropping sentences already said (by
// case- and space-insensitive comparison) and stopping at maxExplanation.
func joinSentences(texts []string) string {
	var b strings.Builder
	seen := make(map[string]bool)
	for _, t := range texts {
		for _, s := range sentences(t) {
			key := strings.ToLower(strings.Join(strings.Fields(s), " "))
			if seen[key] {
				continue
			}
			seen[key] = true
			s = strings.Join(strings.Fields(s), " ")
			if b.Len() > 0 && b.Len()+1+len(s) > maxExplanation {
				return b.String()
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// sentences splits text after '.', '!' or '?' followed by white space, and
// at blank lines.
func sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		end := (c == '.' || c == '!' || c == '?') && (i+1 == len(text) || isSpace(text[i+1]))
		blank := c == '\n' && i+1 < len(text) && text[i+1] == '\n'
		if !end && !blank {
			continue
		}
		if s := strings.TrimSpace(text[start : i+1]); s != "" {
			out = append(out, s)
		}
		start = i + 1
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// fallbackExplanation speaks for the verdict when no pass's explanation
// does, for example when every pass called the patch correct yet one
// reported a P1 finding.
func fallbackExplanation(bad bool, kept []finding.Finding, blocking int) string {
	if !bad {
		return "No blocking issues were found in the reviewed changes."
	}
	for _, f := range kept {
		if finding.Priority(f.Priority) <= finding.P1 {
			if blocking == 1 {
				return "One blocking issue was found: " + f.Title + "."
			}
			return "Blocking issues were found, the first being: " + f.Title + "."
		}
	}
	return "The reported issues make the patch incorrect."
}
