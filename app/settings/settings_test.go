package settings

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testKey(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func TestFromEnv(t *testing.T) {
	key := testKey(t)
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	good := map[string]string{
		"GITHUB_APP_ID": "12345", "GITHUB_PRIVATE_KEY_PATH": keyFile, "GITHUB_WEBHOOK_SECRET": "s3cret",
		"OPENAI_API_KEY": "sk-test",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
		check   func(t *testing.T, s *Settings)
	}{
		{name: "defaults", env: good, check: func(t *testing.T, s *Settings) {
			if s.Addr != ":8080" || s.DatabaseURL != "codex-review.db" || s.APIURL != "https://api.github.com/" ||
				s.WebURL != "https://github.com/" || s.Trigger != "@codex" || s.Workers != 4 || s.AppID != 12345 || len(s.APIKeys) != 0 {
				t.Errorf("defaults: %+v", s)
			}
		}},
		{name: "GHES and inline key with escaped newlines", env: with("GITHUB_PRIVATE_KEY_PATH", "", "GITHUB_PRIVATE_KEY", strings.ReplaceAll(key, "\n", `\n`),
			"GITHUB_API_URL", "https://ghe.example.com/api/v3", "GITHUB_WEB_URL", "https://ghe.example.com", "CODEX_API_KEYS", " abcdefghijklmnop , qrstuvwxyz012345 ",
			"CODEX_WORKERS", "8", "CODEX_TRIGGER", "@review-bot"),
			check: func(t *testing.T, s *Settings) {
				if s.APIURL != "https://ghe.example.com/api/v3/" || s.WebURL != "https://ghe.example.com/" || len(s.APIKeys) != 2 || s.Workers != 8 || s.Trigger != "@review-bot" {
					t.Errorf("settings: %+v", s)
				}
				if !strings.HasPrefix(string(s.PrivateKey), "-----BEGIN RSA PRIVATE KEY-----\n") {
					t.Error("escaped newlines were not restored")
				}
			}},
		{name: "nothing set", env: map[string]string{}, wantErr: []string{"GITHUB_APP_ID is not set", "GITHUB_PRIVATE_KEY_PATH (or GITHUB_PRIVATE_KEY) is not set", "GITHUB_WEBHOOK_SECRET is not set", "OPENAI_API_KEY is not set"}},
		{name: "bad values", env: with("GITHUB_APP_ID", "abc", "GITHUB_API_URL", "ftp://x", "CODEX_WORKERS", "0", "CODEX_LOG_LEVEL", "loud", "CODEX_TRIGGER", "codex", "CODEX_API_KEYS", "short"),
			wantErr: []string{"GITHUB_APP_ID must be a positive number", "GITHUB_API_URL must be an absolute", "CODEX_WORKERS must be", "CODEX_LOG_LEVEL must be", "CODEX_TRIGGER must be", "at least 16 characters"}},
		{name: "key not PEM", env: with("GITHUB_PRIVATE_KEY_PATH", "", "GITHUB_PRIVATE_KEY", "not a key"), wantErr: []string{"not PEM"}},
		{name: "key file missing", env: with("GITHUB_PRIVATE_KEY_PATH", "/nonexistent/app.pem"), wantErr: []string{"GITHUB_PRIVATE_KEY_PATH:"}},
		{name: "both keys", env: with("GITHUB_PRIVATE_KEY", key), wantErr: []string{"both set"}},
		{name: "blank secret", env: with("GITHUB_WEBHOOK_SECRET", "   "), wantErr: []string{"GITHUB_WEBHOOK_SECRET is not set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := FromEnv(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, s)
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if strings.Contains(line, "sk-test") || strings.Contains(line, "s3cret") {
					t.Errorf("secret in error: %q", line)
				}
			}
		})
	}
}

func TestPKCS8Keys(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	rsaPKCS8 := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	env := map[string]string{"GITHUB_PRIVATE_KEY": rsaPKCS8}
	if _, err := privateKey(func(s string) string { return env[s] }); err != nil {
		t.Errorf("PKCS#8 RSA key refused: %v", err)
	}
}
