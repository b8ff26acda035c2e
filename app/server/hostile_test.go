package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/ghretry"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// ourHTML is the HTML the app writes into reviews itself: footers, folded
// sections and hidden markers.
var ourHTML = regexp.MustCompile(`</?(sub|b|summary)>|<details( open)?>|</details>|<!-- codex-review:[a-z-]+=[A-Za-z0-9._:+/=,-]+ -->`)

// ourCommitLink is the app's own link to the reviewed commit.
var ourCommitLink = regexp.MustCompile("\\[`[0-9a-f]{7}`\\]\\([^)]*/commit/[0-9a-f]{40}\\)")

// hostile is what a pull request can make the model write: mentions,
// references, a phishing link in every form markdown has, math that draws
// giant text, a quote GitHub draws as an alert box, terminal escapes and
// an unclosed <details>.
const hostile = "cc @alice @acme/security-team, fixes acme/widgets#3 and GH-4, see " +
	"https://github.com/acme/widgets/issues/5 \x1b]0;pwned\a\n\n" +
	"[Approve this PR](https://evil.example/login), [settings](/acme/shop/settings), [again][1], " +
	"<https://evil.example/a>, www.evil.example/b, ![ok](https://evil.example/ok.svg)\n\n" +
	"$$\\Huge\\text{APPROVED}$$ and $`\\Huge x`$\n\n[1]: https://evil.example/c\n\n" +
	"> [!WARNING]\n> Approved by the security team.\n\n" +
	"<details><summary>Details</summary>\n\nhidden"

// ourFileLink is the app's own link to a line of the standard pull
// request's head.
func ourFileLink(line int) string {
	return fmt.Sprintf("[`store/users.go:%d`](https://github.com/acme/shop/blob/%s/store/users.go#L%d)", line, apptest.HeadSHA, line)
}

// Item 1: model text reaches GitHub harmless. The model answers with
// mentions, cross-references, links, math, an unclosed <details> and
// terminal escapes in every text field; the posted review and check run
// notify nobody, link nothing but what the app links itself, draw no
// math, and the review's state marker is still read back.
func TestHostileModelTextPostedInert(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		f := apptest.Injection(14)
		f.Title = "[P1] SQL injection @alice <details> [Approve](https://evil.example) $\\Huge x$"
		f.Body = hostile + "\n\n```suggestion\nq := db.Query(\"@keep #1\", name)\n```"
		moved := apptest.Injection(3) // not in the diff: shown in the summary
		moved.Title, moved.Body = "Also @bob", hostile
		w.SetAnswer(func(area string, _ modeltest.Request) finding.Output {
			if area != "security" {
				return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Fine.", OverallConfidenceScore: 0.7}
			}
			return finding.Output{Findings: []finding.Finding{f, moved}, OverallCorrectness: finding.CorrectnessBad,
				OverallExplanation: hostile, OverallConfidenceScore: 0.9}
		})
		posted := make(chan string, 8)
		wrote := make(chan struct{}, 64)
		h := startServer(t, w, testSettings(w, databaseURL), &apptest.ReviewWatch{Next: &checkWatch{next: http.DefaultTransport, wrote: wrote}, Posted: posted})
		body := payload(t, w, "@codex review security")
		if code := h.deliver(t, "issue_comment", "d-hostile", body, sign(body, secret)); code != http.StatusOK {
			t.Fatalf("delivery answered %d", code)
		}
		waitReview(t, posted)
		reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
		if len(reviews) != 1 || len(reviews[0].Comments) != 1 {
			t.Fatalf("reviews = %+v", reviews)
		}
		run := waitCheckRun(t, w, wrote)
		// The app's own links (the reviewed commit, the moved finding's
		// line, the review from its check run) are taken out, once each;
		// what is left must be inert: no mention, reference, HTML, link,
		// URL GitHub would link or math.
		ourReviewLink := fmt.Sprintf("[Read the review on the pull request](https://github.com/%s/%s/pull/7#pullrequestreview-%d)", apptest.Owner, apptest.Repo, reviews[0].ID)
		for _, tc := range []struct {
			what, text string
			ours       []string
		}{
			{"summary", reviews[0].Body, []string{ourFileLink(3)}},
			{"inline comment", reviews[0].Comments[0].Body, nil},
			{"check run summary", run.Summary, []string{ourReviewLink, ourFileLink(14), ourFileLink(3)}},
			{"check run text", run.Text, nil},
		} {
			text := ourCommitLink.ReplaceAllString(ourHTML.ReplaceAllString(tc.text, ""), "")
			for _, link := range tc.ours {
				if strings.Count(text, link) != 1 {
					t.Errorf("%s lacks the app's link %s:\n%s", tc.what, link, tc.text)
				}
				text = strings.Replace(text, link, "", 1)
			}
			if err := markdown.Check(text); err != nil {
				t.Errorf("%s is live: %v\n%s", tc.what, err, tc.text)
			}
		}
		// What a link said and where it pointed stay readable, as text,
		// and the alert is an ordinary quote.
		for _, want := range []string{"Approve this PR (`https://evil.example/login`)", "`www.evil.example/b`", `\$\$\Huge\text{APPROVED}\$\$`,
			"> \\[!WARNING]\n> Approved by the security team."} {
			for what, text := range map[string]string{"inline comment": reviews[0].Comments[0].Body, "summary": reviews[0].Body} {
				if !strings.Contains(text, want) {
					t.Errorf("%s lacks %q:\n%s", what, want, text)
				}
			}
		}
		// The code the model quoted stays byte for byte, but a suggestion
		// block in its prose is not offered for one-click commit: only the
		// suggestion field, checked to fit the lines, is.
		if !strings.Contains(reviews[0].Comments[0].Body, "```text\nq := db.Query(\"@keep #1\", name)\n```") {
			t.Errorf("quoted code changed or still a suggestion:\n%s", reviews[0].Comments[0].Body)
		}
		// Annotations are plain text on GitHub: the model's text is shown as
		// written (the neutraliser's escapes would show as backslashes),
		// without control characters, within GitHub's limits.
		if len(run.Annotations) != 2 {
			t.Errorf("annotations = %+v, want one per finding", run.Annotations)
		}
		for _, a := range run.Annotations {
			if strings.ContainsAny(a.Title+a.Message, "\x1b\a\u200b") || utf8.RuneCountInString(a.Title) > githubtest.MaxAnnotationTitleChars ||
				len(a.Message) > githubtest.MaxAnnotationBytes || !strings.Contains(a.Message, "> [!WARNING]\n> Approved by the security team.") {
				t.Errorf("annotation %q: %q", a.Title, a.Message)
			}
		}
		if !strings.Contains(reviews[0].Body, "<!-- codex-review:state=") {
			t.Errorf("state marker missing:\n%s", reviews[0].Body)
		}
		for _, hh := range markdown.RawHTML(reviews[0].Body) {
			if !ourHTML.MatchString(hh) {
				t.Errorf("model HTML reached the review: %q", hh)
			}
		}
	})
}

// waitCheckRun waits for the check run of the standard pull request's
// head to complete, on each check run write, and returns it.
func waitCheckRun(t *testing.T, w *apptest.World, wrote chan struct{}) githubtest.CheckRun {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		for _, cr := range w.GitHub.CheckRuns(apptest.Owner, apptest.Repo) {
			if cr.HeadSHA == apptest.HeadSHA && cr.Status == "completed" {
				return cr
			}
		}
		select {
		case <-wrote:
		case <-deadline:
			t.Fatalf("the check run did not complete within a minute: %+v", w.GitHub.CheckRuns(apptest.Owner, apptest.Repo))
		}
	}
}

// Item 4: invisible text never triggers. A command in an indented code
// block, or inside an HTML comment opened mid-line, is ignored as GitHub
// renders it: no reaction, no model call.
func TestInvisibleCommandsIgnored(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		h := start(t, w, databaseURL, make(chan string, 8))
		for i, text := range []string{
			"Try this:\n\n    @codex review\n",
			"Thanks <!--\n@codex review\n-->",
			"> quoted\n@codex review",
			// A link reference definition, whose title may span lines,
			// renders as nothing.
			"Thanks!\n\n[1]: https://example.com \"\n@codex review\n\"",
			// A comment opened in an HTML block hides what follows in the
			// page, past the block's end; a code span may span lines.
			"<details> <!--\n\n@codex review\n",
			"Type ``\n@codex review\n`` to ask for one.",
		} {
			body := payload(t, w, text)
			if code := h.deliver(t, "issue_comment", fmt.Sprintf("inv-%d", i), body, sign(body, secret)); code != http.StatusOK {
				t.Fatalf("delivery answered %d", code)
			}
		}
		// The handler decides before it answers, so the metrics already
		// say what happened.
		_, metrics := h.get(t, "/metrics")
		if !strings.Contains(metrics, `codex_webhooks_total{event="issue_comment",outcome="ignored"} 6`) {
			t.Errorf("invisible commands were not ignored:\n%s", grepLines(metrics, "codex_webhooks_total"))
		}
		if strings.Contains(metrics, `outcome="enqueued"`) {
			t.Errorf("an invisible command was enqueued")
		}
		for _, c := range w.GitHub.Comments(apptest.Owner, apptest.Repo, 7) {
			if rs := w.GitHub.Reactions(apptest.Owner, apptest.Repo, c.ID); len(rs) != 0 {
				t.Errorf("reaction on %q: %+v", c.Body, rs)
			}
		}
		if n := len(w.Model.Requests()); n != 0 {
			t.Errorf("%d model calls", n)
		}
	})
}

// Item 2: unverified requests cost nothing. Unsigned deliveries with
// random event names add no metric series, and a header with bytes that
// are not UTF-8 gets 400 instead of crashing the handler.
func TestUnverifiedRequestsCostNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		h := start(t, w, databaseURL, make(chan string, 1))
		body := []byte(`{"action":"created"}`)
		for i := 0; i < 300; i++ {
			if code := h.deliver(t, fmt.Sprintf("event_%d", i), fmt.Sprintf("u-%d", i), body, ""); code != http.StatusBadRequest {
				t.Fatalf("unsigned delivery answered %d", code)
			}
		}
		for _, ev := range []string{"\xff\xfe", "Issue-Comment", strings.Repeat("a", 100)} {
			if code := h.deliver(t, ev, "bad-bytes", body, sign(body, secret)); code != http.StatusBadRequest {
				t.Errorf("event %q answered %d", ev, code)
			}
		}
		if code := h.deliver(t, "issue_comment", "\xff\xfe", body, sign(body, secret)); code != http.StatusBadRequest {
			t.Errorf("delivery id with bad bytes answered %d", code)
		}
		_, metrics := h.get(t, "/metrics")
		series := grepLines(metrics, "codex_webhooks_total{")
		if len(series) != 1 || !strings.Contains(series[0], `event="other",outcome="rejected"} 304`) {
			t.Errorf("webhook series = %q", series)
		}
	})
}

// Item 8: a validly signed but malformed payload is the sender's fault:
// 400, logged once, counted as malformed, nothing enqueued.
func TestMalformedSignedPayloadIs400(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		h := start(t, w, databaseURL, make(chan string, 1))
		for _, tc := range []struct{ event, body string }{
			{"issue_comment", "{not json"},
			{"pull_request", `{"action":"opened","number":"seven"}`},
			{"pull_request", `{"action":"opened","number":7,"installation":{"id":1},"repository":{"full_name":"acme/shop"},"pull_request":{"number":7,"state":"open","head":{}}}`},
		} {
			b := []byte(tc.body)
			if code := h.deliver(t, tc.event, "m", b, sign(b, secret)); code != http.StatusBadRequest {
				t.Errorf("%s %s answered %d, want 400", tc.event, tc.body, code)
			}
		}
		_, metrics := h.get(t, "/metrics")
		for _, want := range []string{
			`codex_webhooks_total{event="issue_comment",outcome="malformed"} 1`,
			`codex_webhooks_total{event="pull_request",outcome="malformed"} 2`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q:\n%s", want, grepLines(metrics, "codex_webhooks_total"))
			}
		}
	})
}

func grepLines(s, prefix string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// api posts a review request to the REST API and returns the status and
// the error object, if any.
func (h *harness) api(t *testing.T, body string) (int, apiError) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/v1/codex/reviews", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error apiError `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error
}

type apiError struct {
	Message, Type, Param, Code string
}

// Item 5: REST input cannot steer GitHub calls. Owner and repository
// names GitHub would not allow are refused with 400 on pull_request_url
// before any GitHub call; a GitHub failure is a 502 that does not show the
// internal API URL.
func TestRESTInputCannotSteerGitHub(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		h := start(t, w, databaseURL, make(chan string, 1))
		before := len(w.GitHub.Requests())
		for _, u := range []string{
			"https://github.com/../installation/pull/1",
			"https://github.com/app%3F/installation/pull/1",
			"https://github.com/acme/shop%3Fx=1/pull/7",
			"https://github.com/acme%23x/shop/pull/7",
			"https://github.com/acme%0D%0AX-Injected:%201/shop/pull/7",
			"https://github.com/acme/..%2F..%2Finstallation/pull/7",
			"https://github.com/acme/shop/pull/07",
		} {
			body, _ := json.Marshal(map[string]string{"pull_request_url": u})
			code, e := h.api(t, string(body))
			if code != http.StatusBadRequest || e.Param != "pull_request_url" {
				t.Errorf("%s: %d %+v, want 400 on pull_request_url", u, code, e)
			}
		}
		if got := w.GitHub.Requests()[before:]; len(got) != 0 {
			t.Errorf("refused requests reached GitHub: %+v", got[0])
		}

		// Reads are retried (app/ghretry): GitHub fails every attempt.
		w.GitHub.FailNext(http.MethodGet, "/repos/*/*/installation", ghretry.MaxAttempts, http.StatusInternalServerError, nil)
		code, e := h.api(t, `{"pull_request_url": "https://github.com/acme/shop/pull/7"}`)
		host := strings.TrimPrefix(strings.TrimSuffix(w.GitHub.URL(), "/"), "http://")
		if code != http.StatusBadGateway || strings.Contains(e.Message, host) || strings.Contains(e.Message, "/repos/") {
			t.Errorf("GitHub failure: %d %+v (must not show %s)", code, e, host)
		}
	})
}

// Item 10: error details point at the field.
func TestRESTErrorsNameTheField(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		h := start(t, w, databaseURL, make(chan string, 1))
		const u = `"pull_request_url": "https://github.com/acme/shop/pull/7"`
		code, e := h.api(t, `{`+u+`, "sandbox_config": {"image": "alpine"}}`)
		if code != http.StatusBadRequest || e.Param != "sandbox_config.image" || e.Code != "unknown_parameter" {
			t.Errorf("unknown sandbox key: %d %+v", code, e)
		}
		code, e = h.api(t, `{`+u+`, "sandbox_config": {"timeout_seconds": 1.5}}`)
		if code != http.StatusBadRequest || e.Param != "sandbox_config.timeout_seconds" || !strings.Contains(e.Message, "must be an integer") {
			t.Errorf("fractional timeout: %d %+v", code, e)
		}
	})
}

// Item 7: one bad finding is not a bad answer. The model answers with a
// good finding, one with a negative line range and one with priority 9:
// one model call, no retry, the good finding posted, the priority clamped
// to P3 (below the threshold, listed as such) and the broken one counted.
func TestBrokenFindingsDoNotSpoilTheAnswer(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		negative := apptest.Injection(14)
		negative.Title, negative.CodeLocation.LineRange = "[P1] Negative range", finding.LineRange{Start: -5, End: -3}
		nine := apptest.Injection(15)
		nine.Title, nine.Priority = "Priority nine", 9
		w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14), negative, nine))
		posted := make(chan string, 8)
		h := start(t, w, databaseURL, posted)
		body := payload(t, w, "@codex review security")
		if code := h.deliver(t, "issue_comment", "d-broken", body, sign(body, secret)); code != http.StatusOK {
			t.Fatalf("delivery answered %d", code)
		}
		waitReview(t, posted)
		if n := len(w.Model.Requests()); n != 1 {
			t.Errorf("%d model calls, want 1 (no retry, no repair)", n)
		}
		reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
		if len(reviews) != 1 || len(reviews[0].Comments) != 1 || !strings.Contains(reviews[0].Comments[0].Body, "SQL injection in Find") {
			t.Fatalf("reviews = %+v", reviews)
		}
		sum := reviews[0].Body
		for _, want := range []string{"1 finding from the model too malformed to use", "[P3] Priority nine"} {
			if !strings.Contains(sum, want) {
				t.Errorf("summary lacks %q:\n%s", want, sum)
			}
		}
	})
}

// Item 9: an oversized .codex.yml on the base branch is an invalid
// configuration with the documented limit and what to do, not a review
// failure with another number; no model call is made.
func TestOversizedConfigIsInvalid(t *testing.T) {
	// 100 KiB is read and refused by the parser; 2 MiB is more than
	// GitHub's contents API returns (and the app reads) at all.
	for _, size := range []int{100 << 10, 2 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, databaseURL string) {
				w := apptest.New(t)
				w.AddStandardPR(nil)
				w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\n# "+strings.Repeat("x", size))
				c := startConvo(t, w, databaseURL)
				c.issueComment(t, "alice", "OWNER", "@codex review")
				c.waitWrite(t, "/issues/7/comments")
				var body string
				for _, ic := range w.GitHub.Comments(apptest.Owner, apptest.Repo, 7) {
					body = ic.Body
				}
				want := fmt.Sprintf("the file is %d bytes; the limit is 65536 bytes (64 KiB): keep only the settings that differ from the defaults", size+13)
				if !strings.Contains(body, "is invalid") || !strings.Contains(body, want) {
					t.Errorf("comment =\n%s\nwant it to say %q", body, want)
				}
				if n := len(w.Model.Requests()); n != 0 {
					t.Errorf("%d model calls", n)
				}
			})
		})
	}
}

// Item 3: write access means write access. MEMBER and COLLABORATOR do not
// imply it: a collaborator with read access is asked about through the
// permission API and refused (😕, no model call, no review).
func TestReadOnlyCollaboratorCannotTrigger(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		w.GitHub.SetPermission(apptest.Owner, apptest.Repo, "mallory", "read")
		c := startConvo(t, w, databaseURL)
		ic := c.issueComment(t, "mallory", "COLLABORATOR", "@codex review")
		c.waitWrite(t, "/reactions")
		rs := w.GitHub.Reactions(apptest.Owner, apptest.Repo, ic.ID)
		if len(rs) != 1 || rs[0].Content != "confused" {
			t.Errorf("reactions = %+v, want confused", rs)
		}
		if n := len(w.Model.Requests()); n != 0 {
			t.Errorf("%d model calls", n)
		}
		if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 0 {
			t.Errorf("%d reviews", n)
		}
	})
}

// Item 6: cancel means cancelled. A review cancelled through the REST API
// while its model call runs answers "cancelled", its job stops, the check
// run says cancelled, and no review is ever posted.
func TestCancelledRunningReviewNeverPosts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		called := make(chan struct{}, 8)
		release := make(chan struct{})
		defer close(release)
		w.SetAnswer(func(area string, req modeltest.Request) finding.Output {
			called <- struct{}{}
			<-release // the model thinks until the test is done
			return apptest.SecurityFinds(apptest.Injection(14))(area, req)
		})
		c := startConvo(t, w, databaseURL)
		var created struct{ ID, Status string }
		if code := c.api(t, http.MethodPost, "/v1/codex/reviews", `{"pull_request_url": "https://github.com/acme/shop/pull/7"}`, &created); code != http.StatusAccepted {
			t.Fatalf("create answered %d", code)
		}
		<-called // the review is running: its model call has started
		var got struct{ Status string }
		if code := c.api(t, http.MethodPost, "/v1/codex/reviews/"+created.ID+"/cancel", "", &got); code != http.StatusOK || got.Status != "cancelled" {
			t.Fatalf("cancel answered %d %+v", code, got)
		}
		// The job ends by completing its check run as cancelled.
		deadline := time.After(60 * time.Second)
		for done := false; !done; {
			select {
			case wr := <-c.writes:
				if strings.HasPrefix(wr, "PATCH ") && strings.Contains(wr, "/check-runs/") {
					for _, run := range w.GitHub.CheckRuns(apptest.Owner, apptest.Repo) {
						done = done || run.Conclusion == "cancelled"
					}
				}
			case <-deadline:
				t.Fatal("the cancelled review's job did not end within a minute")
			}
		}
		if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 0 {
			t.Errorf("a cancelled review was posted (%d reviews)", n)
		}
		if code := c.api(t, http.MethodGet, "/v1/codex/reviews/"+created.ID, "", &got); code != http.StatusOK || got.Status != "cancelled" {
			t.Errorf("status after the job ended: %d %+v", code, got)
		}
	})
}
