package render

import (
	"io"
	"testing"
)

func BenchmarkInlineBody(b *testing.B) {
	f := mixedResult().Findings[0]
	b.ReportAllocs()
	for b.Loop() {
		InlineBody(f)
	}
}

func BenchmarkSummary(b *testing.B) {
	r := mixedResult()
	opt := SummaryOptions{Link: testLink, State: testState}
	b.ReportAllocs()
	for b.Loop() {
		Summary(r, opt)
	}
}

// BenchmarkSummaryOverLimit measures the fitting work on a review far over
// GitHub's limit (500 findings of 5,000 characters each).
func BenchmarkSummaryOverLimit(b *testing.B) {
	r := hugeResult(500, 5000)
	opt := SummaryOptions{Link: testLink, State: testState}
	b.ReportAllocs()
	for b.Loop() {
		Summary(r, opt)
	}
}

func BenchmarkText(b *testing.B) {
	r := mixedResult()
	b.ReportAllocs()
	for b.Loop() {
		if err := Text(io.Discard, r, TextOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSON(b *testing.B) {
	r := mixedResult()
	b.ReportAllocs()
	for b.Loop() {
		if err := JSON(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSARIF(b *testing.B) {
	r := mixedResult()
	b.ReportAllocs()
	for b.Loop() {
		if err := SARIF(io.Discard, r, SARIFOptions{ToolVersion: "1.0.0"}); err != nil {
			b.Fatal(err)
		}
	}
}
