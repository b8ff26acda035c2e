package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EnvRetention names the setting that says how long finished API reviews
// are kept.
const EnvRetention = "CODEX_API_RETENTION"

// ParseRetention reads CODEX_API_RETENTION: a number of days ("30d") or a
// Go duration ("720h"); empty means DefaultRetention. Less than an hour is
// refused: callers need time to read their results.
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultRetention, nil
	}
	var d time.Duration
	if digits, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(digits)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("%s must be a number of days like 30d or a duration like 720h, got %q", EnvRetention, s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%s must be a number of days like 30d or a duration like 720h, got %q", EnvRetention, s)
		}
	}
	if d < time.Hour {
		return 0, fmt.Errorf("%s must be at least 1h, so callers have time to read their results; got %q", EnvRetention, s)
	}
	return d, nil
}
