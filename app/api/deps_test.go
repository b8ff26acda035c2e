package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/codex-review/codex-review/app/api"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/finding"
)

func TestCompletedReviewCarriesDependencyChanges(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL)
		ctx := t.Context()
		tr := api.Tracker{Reviews: e.reviews}
		withDeps, without := e.create(t, prURL), e.create(t, prURL)
		rep := &deps.Report{
			Changes: []deps.Change{{
				Ecosystem: deps.NPM, Name: "lodash", From: "4.17.21", To: "4.17.19", Change: deps.Downgraded, Direct: true,
				Path: "package-lock.json", Line: 6011, Flags: []string{deps.FlagSource},
				Vulnerabilities: []deps.Vulnerability{{ID: "GHSA-p6mc-m468-83gw", Aliases: []string{"CVE-2020-8203"}, Severity: deps.SeverityHigh, Fixed: "4.17.20"}},
			}},
			Notes:      []string{"package-lock.json changed without a change to package.json."},
			NotChecked: "",
			Checked:    true,
		}
		for id, r := range map[string]*deps.Report{withDeps: rep, without: nil} {
			if err := tr.Start(ctx, id); err != nil {
				t.Fatal(err)
			}
			res := &review.Result{Verdict: review.Verdict{Correctness: finding.CorrectnessOK}, Dependencies: r}
			if err := tr.Complete(ctx, id, reviewer.Report{Result: res, HeadSHA: head}); err != nil {
				t.Fatal(err)
			}
		}
		// do checks the answers against docs/openapi.yaml.
		a := e.do(t, http.MethodGet, "/v1/codex/reviews/"+withDeps, keyOne, nil)
		var got struct {
			DependencyChanges []map[string]any `json:"dependency_changes"`
			DependencyNotes   []string         `json:"dependency_notes"`
		}
		if err := json.Unmarshal(a.body, &got); err != nil {
			t.Fatal(err)
		}
		if a.status != http.StatusOK || len(got.DependencyChanges) != 1 || got.DependencyChanges[0]["name"] != "lodash" ||
			got.DependencyChanges[0]["change"] != "downgraded" || len(got.DependencyNotes) != 1 {
			t.Fatalf("answer %d %s", a.status, a.body)
		}
		v := got.DependencyChanges[0]["vulnerabilities"].([]any)[0].(map[string]any)
		if v["id"] != "GHSA-p6mc-m468-83gw" || v["fixed"] != "4.17.20" || v["severity"] != "high" {
			t.Errorf("vulnerability %v", v)
		}
		b := e.do(t, http.MethodGet, "/v1/codex/reviews/"+without, keyOne, nil)
		var raw map[string]any
		if err := json.Unmarshal(b.body, &raw); err != nil {
			t.Fatal(err)
		}
		if _, ok := raw["dependency_changes"]; ok {
			t.Errorf("a review whose change touched no dependency file has dependency_changes: %s", b.body)
		}
	})
}
