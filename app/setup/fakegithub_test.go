package setup_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/setup"
)

// fakeGitHub plays GitHub's side of the manifest flow: the web form that
// creates an App and sends the browser back with a code, and the API that
// trades the code for the App's credentials. Every other API request goes to
// app/githubtest, which learns the new App, so the App server can start.
type fakeGitHub struct {
	t   *testing.T
	srv *httptest.Server
	api *githubtest.Server
	key []byte

	mu        sync.Mutex
	codes     map[string]int64 // one-time code → App id
	manifests []received
	nextID    int64
	// status, when set, is what the conversion endpoint answers instead.
	status int
}

// received is one form GitHub got.
type received struct {
	Path, State string
	Manifest    setup.Manifest
}

// Credentials the fake hands out; tests look for them in logs.
const (
	fakeWebhookSecret = "whsec-7f3a9c-never-log-me"
	fakeClientSecret  = "client-secret-d41d8c-never-log-me"
)

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeGitHub{
		t: t, api: githubtest.New(t), codes: map[string]int64{}, nextID: 4100,
		key: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}),
	}
	apiURL, _ := url.Parse(f.api.URL())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /settings/apps/new", f.createApp)
	mux.HandleFunc("POST /organizations/{org}/settings/apps/new", f.createApp)
	mux.HandleFunc("POST /app-manifests/{code}/conversions", f.convert)
	mux.Handle("/", httputil.NewSingleHostReverseProxy(apiURL))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is both the web and the API base of the fake, with a trailing slash.
func (f *fakeGitHub) URL() string { return f.srv.URL + "/" }

// createApp is GitHub's "Create GitHub App from manifest" page, confirmed at
// once: it validates the manifest like GitHub does and redirects to the
// manifest's redirect_url with a code and the state it was given.
func (f *fakeGitHub) createApp(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	dec := json.NewDecoder(strings.NewReader(r.PostForm.Get("manifest")))
	dec.DisallowUnknownFields()
	var m setup.Manifest
	if err := dec.Decode(&m); err != nil {
		http.Error(w, "Invalid GitHub App manifest: "+err.Error(), http.StatusUnprocessableEntity)
		return
	}
	redirect, err := url.Parse(m.RedirectURL)
	if err != nil || m.Name == "" || m.HookAttributes.URL == "" || redirect.Scheme == "" {
		http.Error(w, "Invalid GitHub App manifest: name, hook_attributes.url and redirect_url are required", http.StatusUnprocessableEntity)
		return
	}
	state := r.URL.Query().Get("state")
	f.mu.Lock()
	f.nextID++
	id := f.nextID
	code := fmt.Sprintf("code%d", id)
	f.codes[code] = id
	f.manifests = append(f.manifests, received{Path: r.URL.Path, State: state, Manifest: m})
	f.mu.Unlock()
	q := url.Values{"code": {code}, "state": {state}}
	http.Redirect(w, r, m.RedirectURL+"?"+q.Encode(), http.StatusFound)
}

// issueCode makes a valid code without going through the form.
func (f *fakeGitHub) issueCode() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	code := fmt.Sprintf("code%d", f.nextID)
	f.codes[code] = f.nextID
	return code
}

// convert is POST /app-manifests/{code}/conversions: 201 with the App's
// credentials for a code it issued, once; 404 otherwise.
func (f *fakeGitHub) convert(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		http.Error(w, `{"message":"this endpoint takes no credentials"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	status := f.status
	id, ok := f.codes[r.PathValue("code")]
	delete(f.codes, r.PathValue("code"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case status != 0:
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":"%s","documentation_url":"https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"}`, http.StatusText(status))
		return
	case !ok:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"}`))
		return
	}
	slug := fmt.Sprintf("codex-review-%d", id)
	f.api.SetApp(id, slug, f.key)
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(map[string]any{
		"id": id, "slug": slug, "node_id": "A_kw", "name": slug,
		"owner":          map[string]any{"login": "octo", "id": 1, "type": "User"},
		"html_url":       "https://github.example/apps/" + slug,
		"client_id":      "Iv1.0123456789abcdef",
		"client_secret":  fakeClientSecret,
		"webhook_secret": fakeWebhookSecret,
		"pem":            string(f.key),
	})
	w.WriteHeader(http.StatusCreated)
	w.Write(b.Bytes())
}

// lastManifest is the last form GitHub received.
func (f *fakeGitHub) lastManifest() received {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.manifests) == 0 {
		f.t.Fatal("GitHub received no manifest")
	}
	return f.manifests[len(f.manifests)-1]
}

func (f *fakeGitHub) fail(status int) {
	f.mu.Lock()
	f.status = status
	f.mu.Unlock()
}
