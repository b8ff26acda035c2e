package osv

import "testing"

func TestCVSS3BaseScore(t *testing.T) {
	// Scores as the specification's calculator gives them.
	tests := []struct {
		vector string
		score  float64
		ok     bool
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, true},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, true},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3, true},
		{"CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, true},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, true},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4, true},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, true},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, true},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 0, false},
		{"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 0, false},
		{"CVSS:3.1/AV:N", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := cvss3BaseScore(tc.vector)
		if got != tc.score || ok != tc.ok {
			t.Errorf("cvss3BaseScore(%q) = %v, %v; want %v, %v", tc.vector, got, ok, tc.score, tc.ok)
		}
	}
}

func TestSeverityOfRecord(t *testing.T) {
	tests := []struct {
		rec  Record
		want string
	}{
		{Record{DatabaseSpecific: map[string]any{"severity": "CRITICAL"}}, "critical"},
		{Record{Affected: []Affected{{EcosystemSpecific: map[string]any{"severity": "medium"}}}}, "moderate"},
		{Record{Severity: []Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}}}, "high"},
		{Record{Severity: []Severity{{Type: "CVSS_V4", Score: "CVSS:4.0/AV:N"}}}, "unknown"},
		{Record{}, "unknown"},
	}
	for _, tc := range tests {
		if got := tc.rec.severity(); got != tc.want {
			t.Errorf("severity of %+v = %q, want %q", tc.rec, got, tc.want)
		}
	}
}
