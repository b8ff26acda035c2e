// Package settings reads the server's configuration from the environment
// (design §4.3) and refuses bad values with one line a person can act on.
package settings

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/review/model"
)

// Defaults of design §4.3.
const (
	DefaultAddr        = ":8080"
	DefaultDatabaseURL = "codex-review.db"
	DefaultAPIURL      = "https://api.github.com/"
	DefaultWebURL      = "https://github.com/"
	DefaultTrigger     = "@codex"
	DefaultWorkers     = 4
	maxWorkers         = 256
)

// Settings is everything `codex-review serve` needs.
type Settings struct {
	Addr          string
	DatabaseURL   string
	AppID         int64
	PrivateKey    []byte // PEM
	WebhookSecret string
	APIURL        string // REST base, with a trailing slash
	WebURL        string // web base, with a trailing slash
	Model         model.Config
	APIKeys       []string // bearer tokens of the REST API; empty = API off
	Trigger       string
	Workers       int
	LogLevel      zerolog.Level
}

// FromEnv reads and validates the settings. Every problem found is
// reported, one per line, so a user fixes them in one go.
func FromEnv(getenv func(string) string) (*Settings, error) {
	s := &Settings{
		Addr:          or(getenv("CODEX_ADDR"), DefaultAddr),
		DatabaseURL:   or(getenv("CODEX_DATABASE_URL"), DefaultDatabaseURL),
		WebhookSecret: getenv("GITHUB_WEBHOOK_SECRET"),
		Trigger:       or(strings.TrimSpace(getenv("CODEX_TRIGGER")), DefaultTrigger),
		Model:         model.ConfigFromEnv(getenv),
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch id := strings.TrimSpace(getenv("GITHUB_APP_ID")); {
	case id == "":
		add("GITHUB_APP_ID is not set: use the App ID shown on the GitHub App's settings page")
	default:
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			add("GITHUB_APP_ID must be a positive number, got %q", id)
		}
		s.AppID = n
	}

	key, err := privateKey(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	s.PrivateKey = key

	if strings.TrimSpace(s.WebhookSecret) == "" {
		add("GITHUB_WEBHOOK_SECRET is not set: the server refuses unsigned webhooks; set it to the secret configured on the GitHub App")
	}

	s.APIURL, err = baseURL("GITHUB_API_URL", or(getenv("GITHUB_API_URL"), DefaultAPIURL))
	if err != nil {
		errs = append(errs, err)
	}
	s.WebURL, err = baseURL("GITHUB_WEB_URL", or(getenv("GITHUB_WEB_URL"), DefaultWebURL))
	if err != nil {
		errs = append(errs, err)
	}

	if err := s.Model.Validate(); err != nil {
		errs = append(errs, err)
	}

	for _, k := range strings.Split(getenv("CODEX_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			if len(k) < 16 {
				add("CODEX_API_KEYS: every key must be at least 16 characters (a guessable key opens the API to anyone)")
				break
			}
			s.APIKeys = append(s.APIKeys, k)
		}
	}

	if !strings.HasPrefix(s.Trigger, "@") || strings.ContainsAny(s.Trigger, " \t\r\n") {
		add("CODEX_TRIGGER must be a mention like @codex, got %q", s.Trigger)
	}

	s.Workers = DefaultWorkers
	if w := strings.TrimSpace(getenv("CODEX_WORKERS")); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > maxWorkers {
			add("CODEX_WORKERS must be a number from 1 to %d, got %q", maxWorkers, w)
		}
		s.Workers = n
	}

	s.LogLevel = zerolog.InfoLevel
	if l := strings.TrimSpace(getenv("CODEX_LOG_LEVEL")); l != "" {
		lvl, err := zerolog.ParseLevel(strings.ToLower(l))
		if err != nil || l == "" {
			add("CODEX_LOG_LEVEL must be one of trace, debug, info, warn, error, got %q", l)
		}
		s.LogLevel = lvl
	}

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// privateKey reads the App key from GITHUB_PRIVATE_KEY (PEM text; "\n"
// escapes are accepted, as some secret stores flatten newlines) or from the
// file named by GITHUB_PRIVATE_KEY_PATH, and checks it parses as RSA.
func privateKey(getenv func(string) string) ([]byte, error) {
	text, path := getenv("GITHUB_PRIVATE_KEY"), strings.TrimSpace(getenv("GITHUB_PRIVATE_KEY_PATH"))
	var key []byte
	switch {
	case text != "" && path != "":
		return nil, errors.New("GITHUB_PRIVATE_KEY and GITHUB_PRIVATE_KEY_PATH are both set: keep one")
	case text != "":
		key = []byte(strings.ReplaceAll(strings.TrimSpace(text), `\n`, "\n"))
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("GITHUB_PRIVATE_KEY_PATH: %w", err)
		}
		key = b
	default:
		return nil, errors.New("GITHUB_PRIVATE_KEY_PATH (or GITHUB_PRIVATE_KEY) is not set: download a private key from the GitHub App's settings page")
	}
	block, _ := pem.Decode(key)
	if block == nil {
		return nil, errors.New("the GitHub App private key is not PEM: expected a file starting with -----BEGIN RSA PRIVATE KEY-----")
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		k, err8 := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err8 != nil {
			return nil, fmt.Errorf("the GitHub App private key does not parse as RSA: %w", err)
		}
		if _, ok := k.(*rsa.PrivateKey); !ok {
			return nil, errors.New("the GitHub App private key is not an RSA key")
		}
	}
	return key, nil
}

// baseURL checks an absolute http(s) URL and adds the trailing slash
// go-github requires of base URLs.
func baseURL(name, raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s must be an absolute http(s) URL, got %q", name, raw)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}
