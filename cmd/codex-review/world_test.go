package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
)

// e2eSecret is the webhook secret of the server processes the tests run.
const e2eSecret = "e2e-webhook-secret"

// serverEnv is the environment of a server process reviewing for w's fake
// GitHub (reached at githubURL, which may be a proxy in front of it) with
// w's fake model, on databaseURL.
func serverEnv(w *apptest.World, githubURL, databaseURL string) map[string]string {
	return map[string]string{
		"GITHUB_APP_ID":         strconv.Itoa(apptest.AppID),
		"GITHUB_PRIVATE_KEY":    string(w.Key),
		"GITHUB_WEBHOOK_SECRET": e2eSecret,
		"GITHUB_API_URL":        githubURL,
		"GITHUB_WEB_URL":        "https://github.com/",
		"OPENAI_BASE_URL":       w.Model.BaseURL(),
		"OPENAI_API_KEY":        "sk-test",
		"CODEX_MODEL_API":       "chat",
		"CODEX_DATABASE_URL":    databaseURL,
		"CODEX_ADDR":            "127.0.0.1:0",
		"CODEX_SANDBOXES":       "0",
		"CODEX_LOG_LEVEL":       "info",
	}
}

// commentTemplate is a real issue_comment delivery moved onto a pull
// request of acme/shop, with placeholders for the comment's id and body so
// that many distinct deliveries can be made cheaply.
type commentTemplate []byte

var (
	idPlaceholder   = []byte(`"@@ID@@"`)
	bodyPlaceholder = []byte(`"@@BODY@@"`)
)

func newCommentTemplate(tb testing.TB, pr int, association string) commentTemplate {
	tb.Helper()
	raw, err := os.ReadFile("testdata/issue_comment.created.json")
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	issue := m["issue"].(map[string]any)
	issue["number"] = pr
	issue["pull_request"] = map[string]any{"url": fmt.Sprintf("https://api.github.com/repos/%s/%s/pulls/%d", apptest.Owner, apptest.Repo, pr)}
	comment := m["comment"].(map[string]any)
	comment["id"], comment["body"] = "@@ID@@", "@@BODY@@"
	comment["author_association"] = association
	comment["user"].(map[string]any)["login"] = "alice"
	repo := m["repository"].(map[string]any)
	repo["full_name"], repo["name"] = apptest.Owner+"/"+apptest.Repo, apptest.Repo
	repo["owner"].(map[string]any)["login"] = apptest.Owner
	m["installation"] = map[string]any{"id": apptest.Installation}
	out, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	if bytes.Count(out, idPlaceholder) != 1 || bytes.Count(out, bodyPlaceholder) != 1 {
		tb.Fatal("comment template: placeholders not found once each")
	}
	return out
}

// body is the delivery of comment id saying text.
func (c commentTemplate) body(id int64, text string) []byte {
	quoted, _ := json.Marshal(text)
	b := bytes.Replace(c, idPlaceholder, strconv.AppendInt(nil, id, 10), 1)
	return bytes.Replace(b, bodyPlaceholder, quoted, 1)
}

// signedDelivery is a webhook request as GitHub sends it.
func signedDelivery(url, event, delivery string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url+"/api/github/hook", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	mac := hmac.New(sha256.New, []byte(e2eSecret))
	mac.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/e2e")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return req
}
