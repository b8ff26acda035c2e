// Package eval measures the review engine against a corpus of cases: small
// changes whose real problems are written down in advance. It loads the
// cases (a unified diff, or base and head trees with, optionally, the
// case's own OSV advisories; plus expect.yaml), runs a caller-supplied
// review over each with bounded concurrency, matches what was reported
// against what was expected, and reports precision, recall and F1
// overall, per focus area and per priority, with tokens, cost and time,
// optionally against an earlier run (the baseline), as text, markdown with
// an SVG chart, or JSON.
//
// The package knows nothing of repository configuration: the caller turns
// a case's .codex.yml and AGENTS.md into engine options, exactly as the
// review command does, so that an evaluation measures what users get.
//
// # Matching
//
// A reported finding counts only at or above the evaluation's threshold
// (Options.MinPriority). It matches an expected finding when it names the
// same file, its line range overlaps the expected range widened by
// LineSlack lines on each side, its area equals the expected area (when
// one is given) and its priority is at least the expected min_priority
// (when one is given).
//
// Matching is one to one: an expected finding is satisfied by at most one
// report and a report satisfies at most one expectation. Of all such
// pairings the largest is taken (a maximum bipartite matching), so the
// score does not depend on the order in which the model listed its
// findings; ties are broken towards the nearest report, then the earliest.
// A second report of an already matched problem is a false positive: a
// reviewer that says the same thing twice is noisier than one that says it
// once.
//
// An expected finding whose min_priority is below the threshold (P2 when
// only P0 and P1 count) is out of scope: it is not counted as expected, and
// a report that matches it is counted neither way, since reporting a real
// problem more urgently than required is not an invention.
package eval
