package humanize

import (
	"testing"
	"time"
)

func TestCount(t *testing.T) {
	counts := map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200", -999: "-999"}
	for n, want := range counts {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Count(12345); got != "12,345" {
		t.Errorf("Count(int 12345) = %q", got)
	}
}

func TestMillis(t *testing.T) {
	durations := map[int64]string{0: "0ms", 850: "850ms", 999: "999ms", 1000: "1s", 12345: "12.3s", 62500: "1m2.5s"}
	for ms, want := range durations {
		if got := Millis(ms); got != want {
			t.Errorf("Millis(%d) = %q, want %q", ms, got, want)
		}
	}
}

func TestRound(t *testing.T) {
	rounds := map[time.Duration]string{
		1234567 * time.Nanosecond: "1ms",
		850400 * time.Microsecond: "850ms",
		12345 * time.Millisecond:  "12.3s",
	}
	for d, want := range rounds {
		if got := Round(d).String(); got != want {
			t.Errorf("Round(%v) = %q, want %q", d, got, want)
		}
	}
}
