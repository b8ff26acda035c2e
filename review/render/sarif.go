package render

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// SARIF constants: the version this package writes and the schema it
// follows, and the base that makes artifact URIs repository-relative.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifSrcRoot = "%SRCROOT%"
	// sarifFingerprintKey versions the fingerprint, so a future change of
	// the fingerprint recipe can live beside this one.
	sarifFingerprintKey = "codexReview/v1"
	toolName            = "codex-review"
)

// SARIFOptions describes the tool in the SARIF log.
type SARIFOptions struct {
	// ToolVersion is the codex-review version; omitted when empty.
	ToolVersion string
	// InformationURI points at the project; omitted when empty.
	InformationURI string
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules,omitempty"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Properties          sarifProperties   `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine,omitempty"`
}

type sarifProperties struct {
	Priority   string  `json:"priority"`
	Confidence float64 `json:"confidence"`
	Area       string  `json:"area"`
}

// ruleDescriptions are the short descriptions of the known areas' rules.
var ruleDescriptions = map[finding.Area]string{
	finding.Security:     "Security issue introduced by the change",
	finding.Bugs:         "Bug introduced by the change",
	finding.Performance:  "Performance problem introduced by the change",
	finding.Dependencies: "Risky dependency change",
	finding.Tests:        "Test failure or gap caused by the change",
}

// SARIF writes the review as a SARIF 2.1.0 log with one run, suitable for
// GitHub code scanning: one rule per area that has findings, one result
// per finding in rank order, levels by priority (P0 and P1 error, P2
// warning, P3 note), the finding's fingerprint as a partial fingerprint,
// and failed passes as tool notifications. Results is [] when there are
// no findings, so an upload clears earlier alerts.
func SARIF(w io.Writer, r *review.Result, opt SARIFOptions) error {
	if r == nil {
		r = &review.Result{}
	}
	r = stripped(r)
	rs := r.Findings

	var areas []string
	index := map[string]int{}
	for _, f := range rs {
		a := areaOf(f)
		if _, ok := index[a]; !ok {
			index[a] = -1
			areas = append(areas, a)
		}
	}
	sortAreas(areas)
	rules := make([]sarifRule, len(areas))
	for i, a := range areas {
		index[a] = i
		desc, ok := ruleDescriptions[finding.Area(a)]
		if !ok {
			desc = "Finding in category " + a
		}
		rules[i] = sarifRule{ID: a, ShortDescription: sarifMessage{Text: desc}}
	}

	results := make([]sarifResult, len(rs))
	for i, f := range rs {
		a := areaOf(f)
		res := sarifResult{
			RuleID:    a,
			RuleIndex: index[a],
			Level:     sarifLevel(f.Priority),
			Message:   sarifMessage{Text: sarifText(f)},
			Properties: sarifProperties{
				Priority:   finding.Priority(f.Priority).String(),
				Confidence: f.ConfidenceScore,
				Area:       a,
			},
		}
		if loc, ok := sarifLocationOf(f); ok {
			res.Locations = []sarifLocation{loc}
		}
		if f.Fingerprint != "" {
			res.PartialFingerprints = map[string]string{sarifFingerprintKey: f.Fingerprint}
		}
		results[i] = res
	}

	inv := sarifInvocation{ExecutionSuccessful: len(r.Failures) == 0}
	for _, msg := range r.Failures {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
			sarifNotification{Level: "error", Message: sarifMessage{Text: "pass failed: " + msg}})
	}

	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           toolName,
				Version:        opt.ToolVersion,
				InformationURI: opt.InformationURI,
				Rules:          rules,
			}},
			Invocations: []sarifInvocation{inv},
			Results:     results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("write SARIF review: %w", err)
	}
	return nil
}

// sarifLevel maps priorities to SARIF levels: P0 and P1 fail a check, P2
// warns, P3 is a note.
func sarifLevel(p int) string {
	switch {
	case p <= int(finding.P1):
		return "error"
	case p == int(finding.P2):
		return "warning"
	default:
		return "note"
	}
}

// sarifText is the result message: the title, then the explanation.
func sarifText(f review.Reviewed) string {
	t := plainTitle(f.Title)
	if b := strings.TrimSpace(markdown.NormalizeNewlines(f.Body)); b != "" {
		t += "\n\n" + b
	}
	return t
}

// sarifLocationOf points at the file and lines of a finding. Lines are
// omitted when unknown, and for a comment on the base side of the diff,
// whose line numbers do not exist in the head that code scanning shows.
func sarifLocationOf(f review.Reviewed) (sarifLocation, bool) {
	path, start, end, side := location(f)
	path = strings.TrimLeft(strings.TrimPrefix(path, "./"), "/")
	if path == "" {
		return sarifLocation{}, false
	}
	// url.URL writes a relative reference: spaces and the like escaped, and
	// "./" added when the first segment holds a colon that would read as a
	// scheme.
	loc := sarifLocation{PhysicalLocation: sarifPhysical{
		ArtifactLocation: sarifArtifact{URI: (&url.URL{Path: path}).String(), URIBaseID: sarifSrcRoot},
	}}
	if start > 0 && side != diff.Left {
		reg := &sarifRegion{StartLine: start}
		if end > start {
			reg.EndLine = end
		}
		loc.PhysicalLocation.Region = reg
	}
	return loc, true
}
