package githubtest_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/codex-review/codex-review/app/githubtest"
)

const appID = 4321

// appKey is generated once: RSA key generation is slow under the race detector.
var appKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func testKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := appKey()
	if err != nil {
		t.Fatalf("generate RSA key: %v", err)
	}
	return k
}

func keyPEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// signJWT builds an App JWT by hand so the tests can also build bad ones.
func signJWT(t *testing.T, k *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]string{"alg": alg, "typ": "JWT"}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestGoGitHubAppClientCreator(t *testing.T) {
	for _, path := range []string{"", "api/v3/"} {
		t.Run("base /"+path, func(t *testing.T) {
			srv, _ := newServer(t)
			srv.SetApp(appID, "codex-review", keyPEM(testKey(t)))
			cc := githubapp.NewClientCreator(srv.URL()+path, srv.URL()+"api/graphql", appID, keyPEM(testKey(t)))
			ctx := context.Background()

			appClient, err := cc.NewAppClient()
			if err != nil {
				t.Fatalf("NewAppClient: %v", err)
			}
			app, _, err := appClient.Apps.Get(ctx, "")
			if err != nil || app.GetSlug() != "codex-review" || app.GetID() != appID {
				t.Fatalf("Apps.Get = %+v, %v", app, err)
			}
			inst, _, err := appClient.Apps.FindRepositoryInstallation(ctx, owner, repo)
			if err != nil || inst.GetID() != githubtest.DefaultInstallationID {
				t.Fatalf("FindRepositoryInstallation = %+v, %v", inst, err)
			}

			gh, err := cc.NewInstallationClient(inst.GetID())
			if err != nil {
				t.Fatalf("NewInstallationClient: %v", err)
			}
			pr, _, err := gh.PullRequests.Get(ctx, owner, repo, 7)
			if err != nil || pr.GetNumber() != 7 {
				t.Fatalf("PullRequests.Get with an installation token: %+v, %v", pr, err)
			}

			var sawToken bool
			for _, r := range srv.Requests() {
				if r.Method == http.MethodPost && r.Path == "/app/installations/1/access_tokens" {
					sawToken = r.Status == http.StatusCreated
				}
			}
			if !sawToken {
				t.Errorf("no successful token exchange in %+v", srv.Requests())
			}
		})
	}
}

func TestJWTRejected(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	valid := map[string]any{"iss": "4321", "iat": now - 30, "exp": now + 120}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range valid {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name   string
		auth   func(t *testing.T) string
		status int
	}{
		{"valid", func(t *testing.T) string { return "Bearer " + signJWT(t, testKey(t), "RS256", valid) }, 200},
		{"numeric issuer", func(t *testing.T) string { return "Bearer " + signJWT(t, testKey(t), "RS256", with("iss", appID)) }, 200},
		{"other key", func(t *testing.T) string { return "Bearer " + signJWT(t, other, "RS256", valid) }, 401},
		{"other app", func(t *testing.T) string { return "Bearer " + signJWT(t, testKey(t), "RS256", with("iss", "1")) }, 401},
		{"expired", func(t *testing.T) string { return "Bearer " + signJWT(t, testKey(t), "RS256", with("exp", now-5)) }, 401},
		{"exp too far ahead", func(t *testing.T) string { return "Bearer " + signJWT(t, testKey(t), "RS256", with("exp", now+3600)) }, 401},
		{"issued in the future", func(t *testing.T) string { return "Bearer " + signJWT(t, testKey(t), "RS256", with("iat", now+600)) }, 401},
		{"no exp", func(t *testing.T) string { return "Bearer " + signJWT(t, testKey(t), "RS256", with("exp", nil)) }, 401},
		{"fractional exp", func(t *testing.T) string {
			return "Bearer " + signJWT(t, testKey(t), "RS256", with("exp", float64(now)+60.5))
		}, 401},
		{"alg none", func(t *testing.T) string {
			parts := strings.Split(signJWT(t, testKey(t), "none", valid), ".")
			return "Bearer " + parts[0] + "." + parts[1] + "."
		}, 401},
		{"tampered claims", func(t *testing.T) string {
			parts := strings.Split(signJWT(t, testKey(t), "RS256", valid), ".")
			forged := strings.Split(signJWT(t, testKey(t), "RS256", with("exp", now+300)), ".")
			return "Bearer " + parts[0] + "." + forged[1] + "." + parts[2]
		}, 401},
		{"garbage", func(*testing.T) string { return "Bearer not.a.jwt" }, 401},
		{"installation token", func(*testing.T) string { return "" }, 401},
		{"none", func(*testing.T) string { return "-" }, 401},
	}
	srv, _ := newServer(t)
	srv.SetApp(appID, "codex-review", keyPEM(testKey(t)))
	installationToken := srv.IssueToken(githubtest.DefaultInstallationID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL()+"app", nil)
			if err != nil {
				t.Fatal(err)
			}
			switch auth := tt.auth(t); auth {
			case "":
				req.Header.Set("Authorization", "token "+installationToken)
			case "-":
			default:
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

func TestJWTWithoutApp(t *testing.T) {
	srv, _ := newServer(t)
	gh := newClient(t, srv, &http.Client{Transport: bearerTransport("Bearer " + signJWT(t, testKey(t), "RS256",
		map[string]any{"iss": "4321", "iat": time.Now().Unix(), "exp": time.Now().Unix() + 60}))})
	if _, _, err := gh.Apps.Get(context.Background(), ""); statusOf(t, err) != http.StatusUnauthorized {
		t.Errorf("GET /app before SetApp: %v, want 401", err)
	}
}

type bearerTransport string

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b != "" {
		r.Header.Set("Authorization", string(b))
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestTokenRequired(t *testing.T) {
	srv, _ := newServer(t)
	srv.AddRepo("other", "repo", githubtest.RepoOptions{InstallationID: 2})
	srv.AddPR("other", "repo", githubtest.PR{Number: 1, HeadSHA: head})
	tests := []struct {
		name        string
		client      *http.Client
		owner, repo string
		number      int
		status      int
	}{
		{"installation token", srv.Client(), owner, repo, 7, 200},
		{"Bearer scheme", &http.Client{Transport: bearerTransport("Bearer " + srv.IssueToken(1))}, owner, repo, 7, 200},
		{"no credentials", &http.Client{Transport: bearerTransport("")}, owner, repo, 7, 401},
		{"unknown token", &http.Client{Transport: bearerTransport("token ghs_madeup")}, owner, repo, 7, 401},
		{"token of another installation", srv.Client(), "other", "repo", 1, 404},
		{"token of the right installation", srv.ClientFor(2), "other", "repo", 1, 200},
		{"unknown repository", srv.Client(), owner, "nope", 1, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := newClient(t, srv, tt.client)
			_, resp, err := gh.PullRequests.Get(context.Background(), tt.owner, tt.repo, tt.number)
			if resp == nil || resp.StatusCode != tt.status {
				t.Errorf("err %v, want status %d", err, tt.status)
			}
		})
	}
}
