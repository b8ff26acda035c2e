package jobs

import (
	"math/rand/v2"
	"time"
)

// Policy says how long a failed job waits before each new attempt.
type Policy struct {
	// Delays is the wait before attempt 2, 3, …; empty retries at once.
	Delays []time.Duration
	// Jitter is the fraction of a delay added or taken at random, so
	// that jobs failing together do not retry together.
	Jitter float64
}

// nextDelay returns how long to wait before retrying after failed attempt
// n (counted from 1).
func nextDelay(p Policy, attempt int, rnd *rand.Rand) time.Duration {
	if len(p.Delays) == 0 {
		return 0
	}
	if attempt < 1 {
		attempt = 1
	}
	jitter := func(d time.Duration) time.Duration {
		if p.Jitter <= 0 {
			return d
		}
		spread := float64(d) * p.Jitter
		return d + time.Duration((rnd.Float64()*2-1)*spread)
	}

	return jitter(p.Delays[attempt-1])
}
