package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/server"
	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/app/store/storetest"
)

// BenchmarkWebhookEnqueue measures what GitHub waits for: a signed
// issue_comment delivery through the real handler (signature check,
// parsing, command parsing, durable insert into the queue). Workers are
// not started, so nothing else competes. Reports p50/p99 latency and
// deliveries per second.
func BenchmarkWebhookEnqueue(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			url := be.URL(b)
			w := apptest.New(b)
			s := &settings.Settings{
				DatabaseURL: url, AppID: apptest.AppID, PrivateKey: w.Key, WebhookSecret: secret,
				APIURL: w.GitHub.URL(), WebURL: "https://github.com/", Model: w.ModelConfig(), Trigger: "@codex", Workers: 1,
			}
			srv, err := server.New(b.Context(), s, zerolog.Nop(), server.Options{Version: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Stop(b.Context())
			h := srv.Handler()
			lat := make([]time.Duration, 0, b.N)
			i := 0
			start := time.Now()
			for b.Loop() {
				i++
				body := prPayload(b, 7, int64(1_000_000+i))
				req := httptest.NewRequest(http.MethodPost, "/api/github/hook", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-GitHub-Event", "issue_comment")
				req.Header.Set("X-GitHub-Delivery", fmt.Sprint("bench-", i))
				req.Header.Set("X-Hub-Signature-256", sign(body, secret))
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				lat = append(lat, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("delivery answered %d: %s", rec.Code, rec.Body)
				}
			}
			elapsed := time.Since(start)
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "deliveries/s")
			}
		})
	}
}
