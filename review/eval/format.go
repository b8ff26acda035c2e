package eval

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review/humanize"
	"github.com/codex-review/codex-review/review/markdown"
)

// na stands for a figure that is undefined (a precision with nothing
// found, a recall with nothing expected).
const na = "n/a"

// fig formats a ratio with two decimals, or na.
func fig(v *float64) string {
	if v == nil {
		return na
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

// delta formats the change from b to a with a sign, or "" when either is
// undefined.
func delta(a, b *float64) string {
	if a == nil || b == nil {
		return ""
	}
	return signed(*a - *b)
}

func signed(d float64) string {
	s := strconv.FormatFloat(d, 'f', 2, 64)
	switch {
	case s == "-0.00" || s == "0.00":
		return "0.00"
	case d > 0:
		return "+" + s
	default:
		return s
	}
}

// countDelta formats the change from b to a: "+3", "-120", "0".
func countDelta[T int | int64](a, b T) string {
	switch d := a - b; {
	case d > 0:
		return "+" + humanize.Count(d)
	default:
		return humanize.Count(d)
	}
}

// durationDelta formats the change from b to a milliseconds.
func durationDelta(a, b int64) string {
	switch d := a - b; {
	case d < 0:
		return "-" + humanize.Millis(-d)
	case d > 0:
		return "+" + humanize.Millis(d)
	default:
		return "0ms"
	}
}

// money formats a cost with four decimals: token prices are small.
func money(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

func moneyDelta(a, b float64) string {
	s := strconv.FormatFloat(a-b, 'f', 4, 64)
	if a-b > 0 {
		return "+" + s
	}
	if s == "-0.0000" {
		return "0.0000"
	}
	return s
}

// lines formats a line range: "17" or "17-19".
func lines(r [2]int) string {
	if r[0] == r[1] {
		return strconv.Itoa(r[0])
	}
	return fmt.Sprintf("%d-%d", r[0], r[1])
}

// oneLine makes untrusted text safe for a terminal and for one line:
// control characters (escape sequences above all), bidirectional controls
// and invalid bytes are dropped, and whitespace runs become one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(markdown.StripControl(s)), " ")
}

// clip shortens s to at most n runes, marking the cut with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
