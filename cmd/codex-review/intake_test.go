package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
)

var (
	intakeSenders = flag.Int("intake.senders", 16, "concurrent senders in BenchmarkIntake")
	intakeRate    = flag.Float64("intake.rate", 0, "deliveries per second BenchmarkIntake offers (open loop); 0 sends each delivery as soon as the sender's previous one was answered")
)

// BenchmarkIntake is the intake load generator: it runs the real server
// process (built from this package) on SQLite and on PostgreSQL and sends
// it b.N signed `@codex review` deliveries from -intake.senders concurrent
// senders over keep-alive connections, as GitHub does. It reports
// deliveries per second, the p50/p99/max time to the answer, and the
// server's CPU time per delivery; then it checks that every delivery
// answered 200 is a job in the database.
//
// By default each sender sends its next delivery when the last one was
// answered (closed loop: the figure is the most the server takes, and the
// latency follows from it, senders ÷ rate). With -intake.rate the senders
// offer that many deliveries per second, each due at its slot; its
// latency counts from the slot, so a sender held up by a slow answer
// counts the wait of the deliveries behind it too.
//
// The review workers run, but the fake GitHub holds every call they make
// (as a slow model or GitHub would keep them busy), so what is measured is
// intake: signature check, parsing, and the durable enqueue.
//
//	go test -run XXX -bench Intake -benchtime 20000x ./cmd/codex-review
func BenchmarkIntake(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			databaseURL := be.URL(b)
			w := apptest.New(b)
			p := startProc(b, "intake", serverEnv(w, holdingGitHub(b, w), databaseURL))
			tmpl := newCommentTemplate(b, 7, "OWNER")

			senders := *intakeSenders
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}}
			var (
				next      atomic.Int64
				failures  atomic.Int64
				firstFail atomic.Value
				wg        sync.WaitGroup
			)
			lat := make([][]time.Duration, senders)
			n := int64(b.N)
			rate := *intakeRate
			// Every delivery is built and signed before the clock starts:
			// GitHub does that work on its own machines, and here it would
			// take CPU from the server that is being measured.
			reqs := make([]*http.Request, n+1)
			for i := int64(1); i <= n; i++ {
				reqs[i] = signedDelivery(p.URL, "issue_comment", fmt.Sprint("intake-", i), tmpl.body(5_000_000+i, "@codex review"))
			}
			cpu0 := p.cpuTime()
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			start := time.Now()
			for s := range senders {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > n {
							return
						}
						req := reqs[i]
						reqs[i] = nil
						t0 := time.Now()
						if rate > 0 {
							t0 = start.Add(time.Duration(float64(i-1) / rate * float64(time.Second)))
							time.Sleep(time.Until(t0)) // the delivery's slot in the offered load
						}
						resp, err := client.Do(req)
						if err == nil {
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
						}
						lat[s] = append(lat[s], time.Since(t0))
						if err != nil || resp.StatusCode != http.StatusOK {
							failures.Add(1)
							if err == nil {
								err = fmt.Errorf("answered %d", resp.StatusCode)
							}
							firstFail.CompareAndSwap(nil, err.Error())
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			cpu := p.cpuTime() - cpu0
			// The senders' own CPU (with the fake GitHub, which holds calls
			// and does next to nothing), for the split of the two cores.
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			senderCPU := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			if f := failures.Load(); f > 0 {
				b.Fatalf("%d of %d deliveries failed; the first: %v", f, n, firstFail.Load())
			}
			all := slices.Concat(lat...)
			slices.Sort(all)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(float64(n)/elapsed.Seconds(), "deliveries/s")
			b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
			b.ReportMetric(ms(all[(len(all)*99)/100]), "p99-ms")
			b.ReportMetric(ms(all[len(all)-1]), "max-ms")
			b.ReportMetric(float64(cpu.Microseconds())/float64(n), "server-cpu-µs/delivery")
			b.ReportMetric(float64(senderCPU.Microseconds())/float64(n), "sender-cpu-µs/delivery")

			if got := countJobs(b, databaseURL); got != n {
				b.Fatalf("%d deliveries answered 200, but %d jobs are in the database", n, got)
			}
		})
	}
}

// holdingGitHub fronts w's fake GitHub: the App's own endpoint answers (the
// server needs it to start), every other call is held until the benchmark
// ends, so that review workers stay busy without using the CPU.
func holdingGitHub(tb testing.TB, w *apptest.World) string {
	tb.Helper()
	target, err := url.Parse(w.GitHub.URL())
	if err != nil {
		tb.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	release := make(chan struct{})
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.TrimPrefix(r.URL.Path, "/api/v3") == "/app" {
			proxy.ServeHTTP(rw, r)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(rw, `{"message":"Service Unavailable"}`, http.StatusServiceUnavailable)
	}))
	tb.Cleanup(front.Close)
	tb.Cleanup(func() { close(release) })
	return front.URL + "/"
}

// countJobs counts the review jobs in the database.
func countJobs(tb testing.TB, databaseURL string) int64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, databaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE kind = 'codex_review'").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
