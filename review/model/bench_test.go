package model_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// typicalAnswer is an answer with ten findings, larger than most.
func typicalAnswer(b *testing.B) string {
	b.Helper()
	out := sampleOutput()
	for len(out.Findings) < 10 {
		out.Findings = append(out.Findings, out.Findings[0])
	}
	text, err := json.Marshal(out)
	if err != nil {
		b.Fatal(err)
	}
	return string(text)
}

func BenchmarkParseOutput(b *testing.B) {
	text := "```json\n" + typicalAnswer(b) + "\n```"
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := model.ParseOutput(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReview measures the client's own overhead per call (building the
// request, the SDK, the loopback round trip, parsing) against modeltest.
func BenchmarkReview(b *testing.B) {
	for _, api := range apis {
		b.Run(api, func(b *testing.B) {
			srv := modeltest.NewServer(b, modeltest.Always(modeltest.Text(typicalAnswer(b))))
			c, err := model.New(model.Config{APIKey: "k", BaseURL: srv.BaseURL(), API: api, HTTPClient: srv.Client()})
			if err != nil {
				b.Fatal(err)
			}
			req := model.Request{Instructions: "You review pull requests.", Input: []string{strings.Repeat("diff line\n", 3<<10), "Focus: bugs."}}
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.Review(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Output.Findings) != 10 {
					b.Fatalf("got %d findings", len(res.Output.Findings))
				}
			}
		})
	}
}
