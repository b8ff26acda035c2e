package publish_test

import (
	"fmt"
	"testing"

	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/diff"
)

// BenchmarkPublish measures one review with six inline comments against
// the fake GitHub, request round trips included.
func BenchmarkPublish(b *testing.B) {
	e := newEnv(b)
	res := result(good()...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.publish(b, res, publish.State{}, publish.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishRefused measures the recovery: twenty comments, two of
// them outside the diff, found with pending reviews.
func BenchmarkPublishRefused(b *testing.B) {
	e := newEnv(b)
	var fs []review.Reviewed
	for i := range 20 {
		switch i {
		case 4, 9:
			fs = append(fs, outside(i))
		default:
			fs = append(fs, inline(i, "main.go", diff.Right, 0, 10+i%7))
		}
	}
	res := result(fs...)
	b.ReportAllocs()
	for b.Loop() {
		p, err := e.publish(b, res, publish.State{}, publish.Options{})
		if err != nil || p.MovedToSummary != 2 {
			b.Fatalf("Posted = %+v, err = %v", p, err)
		}
	}
}

// BenchmarkStateMarker measures encoding a long history, which has to be
// cut to the most recent fingerprints.
func BenchmarkStateMarker(b *testing.B) {
	s := publish.State{Head: head}
	for i := range 5000 {
		s.Fingerprints = append(s.Fingerprints, fmt.Sprintf("%016x", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if s.Marker() == "" {
			b.Fatal("empty marker")
		}
	}
}
