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
	"time"
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
	if _, err := privateKey(func(s string) string { return env[s] }, "", ""); err != nil {
		t.Errorf("PKCS#8 RSA key refused: %v", err)
	}
}

func TestLoadAppFromEnvOrFile(t *testing.T) {
	key := testKey(t)
	otherKey := testKey(t)
	saved := AppCredentials{ID: 77, Slug: "codex-review-test", PEM: key, WebhookSecret: "file-secret", ClientID: "Iv1.x", ClientSecret: "cs"}
	tests := []struct {
		name       string
		env        map[string]string
		file       *AppCredentials
		strict     bool
		configured bool
		wantErr    []string
		check      func(t *testing.T, s *Settings)
	}{
		{name: "nothing set: setup mode", env: map[string]string{}},
		{name: "nothing set, strict", env: map[string]string{}, strict: true,
			wantErr: []string{"GITHUB_APP_ID is not set", "GITHUB_PRIVATE_KEY_PATH (or GITHUB_PRIVATE_KEY) is not set", "GITHUB_WEBHOOK_SECRET is not set"}},
		{name: "only the id: half configured", env: map[string]string{"GITHUB_APP_ID": "5"},
			wantErr: []string{"GITHUB_PRIVATE_KEY_PATH (or GITHUB_PRIVATE_KEY) is not set", "GITHUB_WEBHOOK_SECRET is not set"}},
		{name: "only the secret: half configured", env: map[string]string{"GITHUB_WEBHOOK_SECRET": "s3cret"},
			wantErr: []string{"GITHUB_APP_ID is not set", "GITHUB_PRIVATE_KEY_PATH (or GITHUB_PRIVATE_KEY) is not set"}},
		{name: "only a key: half configured", env: map[string]string{"GITHUB_PRIVATE_KEY": key},
			wantErr: []string{"GITHUB_APP_ID is not set", "GITHUB_WEBHOOK_SECRET is not set"}},
		{name: "from the setup file", env: map[string]string{}, file: &saved, configured: true, check: func(t *testing.T, s *Settings) {
			if s.AppID != 77 || string(s.PrivateKey) != key || s.WebhookSecret != "file-secret" {
				t.Errorf("app from file: id %d secret %q", s.AppID, s.WebhookSecret)
			}
		}},
		{name: "environment wins over the file", env: map[string]string{"GITHUB_APP_ID": "78", "GITHUB_PRIVATE_KEY": otherKey, "GITHUB_WEBHOOK_SECRET": "env-secret"},
			file: &saved, configured: true, check: func(t *testing.T, s *Settings) {
				if s.AppID != 78 || string(s.PrivateKey) != strings.TrimSpace(otherKey) || s.WebhookSecret != "env-secret" {
					t.Errorf("env did not win: id %d secret %q", s.AppID, s.WebhookSecret)
				}
			}},
		{name: "file completes the environment", env: map[string]string{"GITHUB_WEBHOOK_SECRET": "env-secret"}, file: &saved, configured: true,
			check: func(t *testing.T, s *Settings) {
				if s.AppID != 77 || s.WebhookSecret != "env-secret" {
					t.Errorf("id %d secret %q", s.AppID, s.WebhookSecret)
				}
			}},
		{name: "bad key in the file names the file", env: map[string]string{}, file: &AppCredentials{ID: 1, PEM: "junk", WebhookSecret: "x"},
			wantErr: []string{AppFileName + ": the GitHub App private key is not PEM"}},
		{name: "public URL", env: map[string]string{"CODEX_PUBLIC_URL": "https://codex.example.com"}, check: func(t *testing.T, s *Settings) {
			if s.PublicURL != "https://codex.example.com/" {
				t.Errorf("PublicURL = %q", s.PublicURL)
			}
		}},
		{name: "bad public URL", env: map[string]string{"CODEX_PUBLIC_URL": "codex.example.com"}, wantErr: []string{"CODEX_PUBLIC_URL must be an absolute"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != nil {
				if err := WriteAppFile(dir, *tt.file); err != nil {
					t.Fatal(err)
				}
			}
			env := map[string]string{"OPENAI_API_KEY": "sk-test", "CODEX_DATA_DIR": dir}
			for k, v := range tt.env {
				env[k] = v
			}
			get := func(k string) string { return env[k] }
			load := Load
			if tt.strict {
				load = FromEnv
			}
			s, err := load(get)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
				if strings.Contains(err.Error(), key[40:80]) || strings.Contains(err.Error(), "file-secret") {
					t.Errorf("secret in error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.AppConfigured() != tt.configured {
				t.Errorf("AppConfigured() = %v, want %v", s.AppConfigured(), tt.configured)
			}
			if s.DataDir != dir {
				t.Errorf("DataDir = %q, want %q", s.DataDir, dir)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestLoadValidatesTheRestInSetupMode(t *testing.T) {
	_, err := Load(func(k string) string {
		return map[string]string{"CODEX_DATA_DIR": t.TempDir(), "CODEX_WORKERS": "0"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "OPENAI_API_KEY is not set") || !strings.Contains(err.Error(), "CODEX_WORKERS must be") {
		t.Fatalf("Load without the App must still check the other settings, got %v", err)
	}
}

func TestDataDir(t *testing.T) {
	tests := []struct{ env, db, want string }{
		{db: "codex-review.db", want: "."},
		{db: "/data/codex-review.db", want: "/data"},
		{db: "data/x.db?_pragma=synchronous(FULL)", want: "data"},
		{db: "sqlite:///var/lib/codex/x.db", want: "/var/lib/codex"},
		{db: "file:/srv/x.db?mode=rwc", want: "/srv"},
		{db: "file:///srv/codex/x.db", want: "/srv/codex"},
		{db: "file://localhost/srv/x.db", want: "/srv"},
		{db: "file:rel.db", want: "."},
		{db: "postgres://u@db/codex", want: "."},
		{env: "/custom", db: "/data/codex-review.db", want: "/custom"},
	}
	for _, tt := range tests {
		got := dataDir(func(string) string { return tt.env }, tt.db)
		if got != tt.want {
			t.Errorf("dataDir(%q, %q) = %q, want %q", tt.env, tt.db, got, tt.want)
		}
	}
}

func TestAppFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if c, err := ReadAppFile(dir); c != nil || err != nil {
		t.Fatalf("no file: got %v, %v", c, err)
	}
	want := AppCredentials{ID: 9, Slug: "s", PEM: "pem", WebhookSecret: "w", ClientID: "ci", ClientSecret: "cs", HTMLURL: "https://github.com/apps/s"}
	if err := WriteAppFile(dir, want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(AppFilePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	got, err := ReadAppFile(dir)
	if err != nil || got == nil || *got != want {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if err := WriteAppFile(dir, AppCredentials{ID: 10}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second write: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := os.WriteFile(AppFilePath(dir), []byte(`{"pem": "-----BEGIN`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAppFile(dir); err == nil || strings.Contains(err.Error(), "BEGIN") {
		t.Errorf("malformed file: %v", err)
	}
}

func TestParseRetention(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"1h", time.Hour, true},
		{"59m", 0, false},
		{"0d", 0, false},
		{"-3d", 0, false},
		{"d", 0, false},
		{"a week", 0, false},
	}
	for _, tt := range tests {
		got, err := parseRetention(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseRetention(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "CODEX_API_RETENTION") {
			t.Errorf("error %q does not name the setting", err)
		}
	}
}
