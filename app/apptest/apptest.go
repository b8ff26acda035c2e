// Package apptest assembles the fakes the app's tests run against: a fake
// GitHub (githubtest) with an installed App, and a fake OpenAI-compatible
// model (modeltest) whose answers a test scripts per focus area.
package apptest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// Identities of the fake world.
const (
	AppID        = 4242
	Slug         = "codex-review-test"
	Owner        = "acme"
	Repo         = "shop"
	Installation = githubtest.DefaultInstallationID
	ModelName    = "gpt-5-codex"
)

// Answer scripts the model: it gets the pass's focus area ("security",
// "bugs", …; "" for a request that is no review pass, such as an answer in
// a review thread) and the request, and returns the §4.1 answer.
type Answer func(area string, req modeltest.Request) finding.Output

// World is a fake GitHub and a fake model, wired like production.
type World struct {
	GitHub  *githubtest.Server
	Model   *modeltest.Server
	Key     []byte // the App's private key (PEM)
	Clients githubapp.ClientCreator

	mu     sync.Mutex
	answer Answer
}

var (
	keyOnce sync.Once
	keyPEM  []byte
)

// key generates one RSA key per test binary: generation is slow and the
// key's value does not matter to any test.
func key(t testing.TB) []byte {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	})
	return keyPEM
}

// New builds the world with the repository acme/shop installed and a
// model that finds nothing until SetAnswer says otherwise.
func New(t testing.TB) *World {
	t.Helper()
	w := &World{GitHub: githubtest.New(t), Key: key(t)}
	w.GitHub.SetApp(AppID, Slug, w.Key)
	w.GitHub.AddRepo(Owner, Repo, githubtest.RepoOptions{})
	// The people of the fake world with write access: the author of the
	// standard pull request and a reviewer. Anyone else (mallory) has what
	// GitHub gives everybody on a public repository: read.
	w.GitHub.SetPermission(Owner, Repo, "alice", "write")
	w.GitHub.SetPermission(Owner, Repo, "bob", "write")
	w.Clients = githubapp.NewClientCreator(w.GitHub.URL(), w.GitHub.URL()+"api/graphql", AppID, w.Key)
	w.Model = modeltest.NewServer(t, func(req modeltest.Request) modeltest.Reply {
		w.mu.Lock()
		answer := w.answer
		w.mu.Unlock()
		out := finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Nothing to report.", OverallConfidenceScore: 0.6}
		switch {
		case answer != nil && len(modeltest.PassAreas(req)) == 0:
			// Not a review pass (an answer in a review thread): the
			// script answers it whole, with area "".
			out = answer("", req)
		case answer != nil:
			// A combined pass gets every area's answer at once.
			out = modeltest.AnswerByArea(req, func(a finding.Area, req modeltest.Request) finding.Output {
				return answer(string(a), req)
			})
		}
		if out.Findings == nil {
			out.Findings = []finding.Finding{}
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Errorf("apptest: marshal answer: %v", err)
		}
		return modeltest.Reply{Text: string(b), Usage: modeltest.Usage{PromptTokens: 1200, CachedTokens: 900, CompletionTokens: 80}}
	})
	return w
}

// SetAnswer replaces the model's script.
func (w *World) SetAnswer(a Answer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answer = a
}

// ModelConfig points the model client at the fake model.
func (w *World) ModelConfig() model.Config {
	return model.Config{BaseURL: w.Model.BaseURL(), Model: ModelName, API: model.APIChat, HTTPClient: w.Model.Client(), MaxRetries: 1}
}

// Area names the focus areas a request asks for, from its focus part:
// "bugs" for a separate pass, "security,bugs" for a combined one.
func Area(req modeltest.Request) string {
	var names []string
	for _, a := range modeltest.PassAreas(req) {
		names = append(names, string(a))
	}
	return strings.Join(names, ",")
}

// UsersPatch is GitHub's patch (hunks only) of a change adding an
// injectable query; its added lines are 13-19 of store/users.go.
const UsersPatch = `@@ -10,6 +10,14 @@ func (s *Store) Get(ctx context.Context, id int) (*User, error) {
 	return u, nil
 }
 
+func (s *Store) Find(ctx context.Context, name string) (*User, error) {
+	q := "SELECT id, name FROM users WHERE name = '" + name + "'"
+	row := s.db.QueryRowContext(ctx, q)
+	var u User
+	err := row.Scan(&u.ID, &u.Name)
+	return &u, nil
+}
+
 func (s *Store) Delete(ctx context.Context, id int) error {
 	_, err := s.db.ExecContext(ctx, "DELETE FROM users WHERE id = $1", id)
 	return err`

// Head SHAs used by the standard pull request.
const (
	HeadSHA = "1111111111111111111111111111111111111111"
	BaseSHA = "0000000000000000000000000000000000000000"
)

// AddStandardPR adds pull request #7 changing store/users.go.
func (w *World) AddStandardPR(mod func(pr *githubtest.PR)) githubtest.PR {
	pr := githubtest.PR{
		Number: 7, Title: "Find users by name", Body: "Adds Store.Find.", User: "alice",
		HeadSHA: HeadSHA, BaseSHA: BaseSHA, BaseRef: "main", HeadRef: "find",
		Files: []githubtest.File{{Filename: "store/users.go", Status: "modified", Patch: UsersPatch, Additions: 8, Changes: 8}},
	}
	if mod != nil {
		mod(&pr)
	}
	w.GitHub.AddPR(Owner, Repo, pr)
	return pr
}

// Injection is the finding the security pass reports on the standard PR.
func Injection(line int) finding.Finding {
	return finding.Finding{
		Title: "[P1] SQL injection in Find", Body: "`name` is concatenated into the query `q`.", Priority: 1,
		ConfidenceScore: 0.9, Category: "security",
		CodeLocation: finding.CodeLocation{AbsoluteFilePath: "store/users.go", LineRange: finding.LineRange{Start: line, End: line}},
	}
}

// SecurityFinds answers the security pass with fs and the others with
// nothing.
func SecurityFinds(fs ...finding.Finding) Answer {
	return func(area string, _ modeltest.Request) finding.Output {
		if area != "security" {
			return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Fine.", OverallConfidenceScore: 0.7}
		}
		return finding.Output{Findings: fs, OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "Injectable query.", OverallConfidenceScore: 0.9}
	}
}

// ReviewWatch is a transport for the app's GitHub client that signals, on
// Posted, the path of every review GitHub accepted, so tests wait on that
// event instead of sleeping.
type ReviewWatch struct {
	Next   http.RoundTripper
	Posted chan string
}

// RoundTrip implements http.RoundTripper.
func (rw *ReviewWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rw.Next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/reviews") && resp.StatusCode == http.StatusOK {
		rw.Posted <- r.URL.Path
	}
	return resp, err
}
