package server_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// Attacks by a hostile model answer (steered by the pull request) on what
// the app posts, end to end through the server, the fake GitHub and a
// scripted model.

// suggestionBlocks are the blocks of a posted body GitHub would offer for
// one-click commit. GitHub reads an info string with its character
// references decoded ("sugg&#101;stion" is "suggestion").
func suggestionBlocks(body string) []string {
	var out []string
	for _, s := range markdown.Snippets(body) {
		info := html.UnescapeString(s.Info)
		if f := strings.Fields(strings.ToLower(info)); s.Block && len(f) > 0 && strings.HasPrefix(f[0], "suggestion") {
			out = append(out, s.Code)
		}
	}
	return out
}

// A "@codex suggest" answer whose fix hides its meaning with a
// right-to-left override, and whose prose smuggles a suggestion block of
// its own: the reply offers neither for one-click commit, and says why
// there is no suggestion.
func TestThreadSuggestionCannotSmuggleCode(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		trojan := "\tq := \"SELECT id FROM users WHERE name = $1\" // \u202e } if isAdmin(name) { return all \u2066"
		body := suggestReply(t, databaseURL, "Bind the name.\n\n```suggestion\nfunc Find() { backdoor() }\n```", trojan)
		if got := suggestionBlocks(body); len(got) != 0 {
			t.Errorf("the reply offers %q for one-click commit:\n%s", got, body)
		}
		if strings.ContainsAny(body, "\u202e\u2066") {
			t.Errorf("the reply holds bidirectional controls:\n%s", body)
		}
		if !strings.Contains(body, "No committable suggestion: the model's fix holds control or invisible characters") {
			t.Errorf("the reply does not say why there is no suggestion:\n%s", body)
		}
		if !strings.Contains(body, "func Find() { backdoor() }") {
			t.Errorf("the code the model quoted is not shown:\n%s", body)
		}
	})
}

// suggestReply runs a review whose one finding is on store/users.go:14,
// then bob's "@codex suggest" in its thread, which the model answers with
// explanation and a fix of suggestion for that line; it returns the
// app's one reply.
func suggestReply(t *testing.T, databaseURL, explanation, suggestion string) string {
	t.Helper()
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetPermission(apptest.Owner, apptest.Repo, bob, "write")
	review := apptest.SecurityFinds(apptest.Injection(14))
	w.SetAnswer(func(area string, req modeltest.Request) finding.Output {
		if !isThread(req) {
			return review(area, req)
		}
		return finding.Output{OverallCorrectness: finding.CorrectnessBad, OverallConfidenceScore: 0.8,
			OverallExplanation: explanation,
			Findings: []finding.Finding{{Title: "Use a placeholder", Body: "Bind it.", Priority: 1, ConfidenceScore: 0.9, Category: "security",
				CodeLocation: finding.CodeLocation{AbsoluteFilePath: "store/users.go", LineRange: finding.LineRange{Start: 14, End: 14}},
				Suggestion:   suggestion}}}
	})
	c := startConvo(t, w, databaseURL)
	root := c.reviewed(t).ID
	c.ask(t, bob, root, "@codex suggest")
	c.waitWrite(t, "/pulls/7/comments")
	rs := replies(w, root)
	if len(rs) != 1 {
		t.Fatalf("%d replies, want 1", len(rs))
	}
	return rs[0].Body
}

// edit decodes a webhook body, lets f change it, and encodes it again.
func edit(t *testing.T, body []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The two review-thread events get what the other events get: a signed
// delivery that cannot be used (JSON that does not decode, a repository
// name GitHub would not allow, no comment or pull request) is answered 400
// and counted as malformed, never 500 ("redeliver it"), and is never
// turned into a job that calls GitHub with a crafted path.
func TestMalformedThreadDeliveriesAre400(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		c := startConvo(t, w, databaseURL)
		root := w.GitHub.AddReviewComment(apptest.Owner, apptest.Repo, 7, githubtest.ReviewComment{User: w.GitHub.BotLogin(),
			Path: "store/users.go", Line: 14, Body: "**[P1] x**\n\n<sub>security</sub>\n<!-- codex-review:fingerprint=0123456789abcdef -->"})
		q := w.GitHub.AddReviewComment(apptest.Owner, apptest.Repo, 7, githubtest.ReviewComment{User: "alice", InReplyTo: root.ID, Body: "@codex why?"})
		comment := w.GitHub.ReviewCommentEvent(apptest.Owner, apptest.Repo, q.ID, "created")
		resolved := w.GitHub.ResolveThread(apptest.Owner, apptest.Repo, root.ID, "alice", true)
		repoName := func(name string) func(m map[string]any) {
			return func(m map[string]any) { m["repository"].(map[string]any)["full_name"] = name }
		}
		cases := []struct {
			event string
			body  []byte
		}{
			{"pull_request_review_comment", []byte("{not json")},
			{"pull_request_review_comment", edit(t, comment, repoName("../shop"))},
			{"pull_request_review_comment", edit(t, comment, repoName("acme/shop?x=1"))},
			{"pull_request_review_comment", edit(t, comment, func(m map[string]any) { delete(m["comment"].(map[string]any), "id") })},
			{"pull_request_review_comment", edit(t, comment, func(m map[string]any) { m["pull_request"].(map[string]any)["number"] = "seven" })},
			{"pull_request_review_comment", edit(t, comment, func(m map[string]any) { delete(m, "pull_request") })},
			{"pull_request_review_thread", []byte("{not json")},
			{"pull_request_review_thread", edit(t, resolved, repoName("acme/.."))},
			{"pull_request_review_thread", edit(t, resolved, func(m map[string]any) { delete(m, "pull_request") })},
		}
		for i, tc := range cases {
			if code := c.deliver(t, tc.event, fmt.Sprintf("bad-%d", i), tc.body, sign(tc.body, secret)); code != http.StatusBadRequest {
				t.Errorf("case %d: %s %.120s answered %d, want 400", i, tc.event, tc.body, code)
			}
		}
		_, metrics := c.get(t, "/metrics")
		for _, want := range []string{
			`codex_webhooks_total{event="pull_request_review_comment",outcome="malformed"} 6`,
			`codex_webhooks_total{event="pull_request_review_thread",outcome="malformed"} 3`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q:\n%s", want, grepLines(metrics, "codex_webhooks_total"))
			}
		}
		if strings.Contains(metrics, `outcome="enqueued"`) || strings.Contains(metrics, `outcome="recorded"`) {
			t.Errorf("a malformed delivery was acted on:\n%s", grepLines(metrics, "codex_webhooks_total"))
		}
		// The well-formed deliveries still work.
		c.deliverRaw(t, "pull_request_review_comment", comment)
		c.deliverRaw(t, "pull_request_review_thread", resolved)
	})
}

// A writer dismissed a P3 remark by resolving its thread. The pull
// request's author then puts a real P0 next to it, in the same area: the
// next review posts the P0. Being near a dismissed finding is not proof
// enough of being the same problem to hide something more urgent.
func TestDismissedNitDoesNotHideWorseFindingBesideIt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		w.GitHub.SetPermission(apptest.Owner, apptest.Repo, bob, "write")
		w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nreview:\n  min_priority: P3\n")
		model := &scripted{}
		w.SetAnswer(model.answer)
		c := startConvo(t, w, databaseURL)

		nit := at("[P3] Prefer a prepared statement", "security", 14)
		nit.Priority = 3
		model.set(nit)
		c.deliverRaw(t, "pull_request_review_thread", w.GitHub.ResolveThread(apptest.Owner, apptest.Repo, c.reviewed(t).ID, bob, true))

		worse := at("[P0] Any name returns every user's row", "security", 15)
		worse.Priority = 0
		nit2 := at("[P3] A prepared statement would be better", "security", 14)
		nit2.Priority = 3
		model.set(worse, nit2)
		c.issueComment(t, "alice", "OWNER", "@codex review again")
		c.waitWrite(t, "/pulls/7/reviews")
		reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
		second := reviews[len(reviews)-1]
		// The reworded remark stays dismissed; the P0 beside it is posted.
		if got := inlineTitles(second); !slices.Equal(got, []string{"**[P0] Any name returns every user's row**"}) {
			t.Errorf("review again posted %q, want the P0 only", got)
		}
		if !strings.Contains(second.Body, "1 finding dismissed on this pull request") {
			t.Errorf("the summary does not count the dismissed remark:\n%s", second.Body)
		}
	})
}

// A "@codex suggest" answer whose fix is longer than a comment may be:
// the reply must not offer a suggestion cut at GitHub's size limit (it
// would commit half a fix, and the cut note would be part of the code);
// it leaves the suggestion out and says why.
func TestThreadSuggestionTooLongIsNotCut(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		huge := injectionFix + strings.Repeat("\n\t// "+strings.Repeat("pad ", 20), 1000)
		body := suggestReply(t, databaseURL, "Bind the name.", huge)
		for _, s := range suggestionBlocks(body) {
			if strings.TrimSuffix(s, "\n") != huge {
				t.Errorf("the reply offers a cut suggestion (%d of %d bytes) for one-click commit:\n%.300s…%s", len(s), len(huge), s, s[max(0, len(s)-200):])
			}
		}
		if !strings.Contains(body, "Bind the name.") || !strings.Contains(body, "No committable suggestion: the model's fix is longer than a GitHub comment may be.") {
			t.Errorf("the reply does not answer and say why there is no suggestion:\n%.2000s", body)
		}
	})
}

// A suggestion block in the model's prose with its info word spelled
// with character references ("sugg&#101;stion"): GitHub decodes them and
// renders the same <pre lang="suggestion"> as for "```suggestion", so it
// must be shown as plain code like any other suggestion block in prose,
// as must a "m&#101;rmaid" diagram.
func TestEncodedSuggestionInfoIsNotOffered(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		f := apptest.Injection(14)
		f.Body = "Fix it.\n\n```sugg&#101;stion\nfunc Find() { backdoor() }\n```\n\n~~~&#x53;UGGESTION extra\nx\n~~~\n\n```sugg&#101;stion&#32;y\ny\n```\n\n```m&#101;rmaid\ngraph TD; A-->B\n```"
		w.SetAnswer(apptest.SecurityFinds(f))
		c := startConvo(t, w, databaseURL)
		body := c.reviewed(t).Body
		if got := suggestionBlocks(body); len(got) != 0 {
			t.Errorf("the comment offers %q for one-click commit:\n%s", got, body)
		}
		for _, sn := range markdown.Snippets(body) {
			if strings.Contains(strings.ToLower(html.UnescapeString(sn.Info)), "mermaid") {
				t.Errorf("a diagram GitHub draws: %q\n%s", sn.Info, body)
			}
		}
		if !strings.Contains(body, "func Find() { backdoor() }") {
			t.Errorf("the code the model quoted is not shown:\n%s", body)
		}
	})
}
