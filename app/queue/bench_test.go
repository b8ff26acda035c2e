package queue

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
)

// BenchmarkEnqueue measures what a webhook handler waits for: one durable,
// unique insert plus the look-up of older heads to supersede (design §8 asks
// for p99 under 10 ms). Each enqueue is for a new pull request, so nothing
// is cancelled; workers are not started.
func BenchmarkEnqueue(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			ctx := context.Background()
			db, err := store.Open(ctx, backend.URL(b))
			if err != nil {
				b.Fatalf("store.Open: %v", err)
			}
			defer db.Close()
			q, err := New(db, Config{}, &fakeHandler{})
			if err != nil {
				b.Fatalf("New: %v", err)
			}
			a := job.Job{Repo: "octo/widgets", Installation: 42, HeadSHA: "c0ffee", RequestKey: "auto", Source: job.Automatic, Action: job.Review, Event: job.Opened, Post: true}
			var latencies []time.Duration
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				a.PR = i + 1
				a.BaseSHA = strconv.Itoa(i)
				began := time.Now()
				if _, dup, err := q.Enqueue(ctx, a); err != nil || dup {
					b.Fatalf("Enqueue: duplicate %v, %v", dup, err)
				}
				latencies = append(latencies, time.Since(began))
			}
			b.StopTimer()
			slices.Sort(latencies)
			b.ReportMetric(float64(percentile(latencies, 50).Microseconds()), "p50-µs")
			b.ReportMetric(float64(percentile(latencies, 99).Microseconds()), "p99-µs")
		})
	}
}

// percentile returns the p-th percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}
