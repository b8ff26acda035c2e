// Package humanize formats figures for people: counts with thousands
// separators and durations rounded to what a reader needs. Review bodies,
// check runs, the CLI and the eval report print them alike.
package humanize

import (
	"strconv"
	"strings"
	"time"
)

// Count formats n with thousands separators: 1234567 -> "1,234,567".
func Count[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Millis formats a wall time in milliseconds: "850ms", "12.3s", "1m2.5s".
func Millis(ms int64) string {
	if ms < 1000 {
		return strconv.FormatInt(ms, 10) + "ms"
	}
	return Round(time.Duration(ms) * time.Millisecond).String()
}

// Round rounds d to a tenth of a second from one second on, and to the
// millisecond below: "12.3s", "850ms".
func Round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
