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
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/deps/osv"
	"github.com/codex-review/codex-review/review/model"
)

// Defaults of design §4.3.
const (
	DefaultAddr        = ":8080"
	DefaultDatabaseURL = "codex-review.db"
	DefaultAPIURL      = "https://api.github.com/"
	DefaultWebURL      = "https://github.com/"
	DefaultTrigger     = command.DefaultTrigger
	DefaultWorkers     = 4
	// DefaultSandboxes keeps test runs, which are heavy, to one at a time
	// unless the operator gives the machine more.
	DefaultSandboxes = 1
	// DefaultAPIRetention is how long finished REST API reviews stay
	// readable.
	DefaultAPIRetention = 30 * 24 * time.Hour
	maxWorkers          = 256
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
	// DataDir holds files the server writes itself, such as the App
	// credentials of the setup flow (AppFileName): CODEX_DATA_DIR, else the
	// directory of the SQLite file, else (on Postgres) the working directory.
	DataDir string
	// PublicURL is where GitHub and browsers reach this server
	// (CODEX_PUBLIC_URL, with a trailing slash); empty means the setup page
	// derives it from each request's Host and X-Forwarded-Proto.
	PublicURL string
	// APIRetention is how long finished REST API reviews are kept
	// (CODEX_API_RETENTION: "30d" or a duration such as "720h"; at least 1h).
	APIRetention time.Duration
	// Sandboxes is how many test sandboxes may run at once, apart from
	// the review workers (CODEX_SANDBOXES; 0 turns test runs off).
	Sandboxes int
	// Advisories is where known vulnerabilities of dependency changes are
	// looked up: the offline export in CODEX_OSV_DIR, else the OSV API at
	// OSV_API_URL.
	Advisories deps.Advisories
}

// AppConfigured reports whether the GitHub App's id, key and webhook secret
// are all known. Load returns settings without them when none is set, and
// the server then runs the setup flow instead of the App.
func (s *Settings) AppConfigured() bool {
	return s.AppID > 0 && len(s.PrivateKey) > 0 && s.WebhookSecret != ""
}

// FromEnv reads and validates the settings, the GitHub App's credentials
// included: from the environment, or from the setup flow's file in the data
// directory for any the environment leaves unset. Every problem found is
// reported, one per line, so a user fixes them in one go.
func FromEnv(getenv func(string) string) (*Settings, error) { return load(getenv, true) }

// Load is FromEnv for a server that can create its GitHub App itself: when
// neither the environment nor the setup file names any of the App id, private
// key and webhook secret, that is not an error and the returned settings
// report AppConfigured() false. Some but not all of them is still an error:
// a half-configured App is a mistake, not a fresh install.
func Load(getenv func(string) string) (*Settings, error) { return load(getenv, false) }

func load(getenv func(string) string, requireApp bool) (*Settings, error) {
	s := &Settings{
		Addr:        or(getenv("CODEX_ADDR"), DefaultAddr),
		DatabaseURL: or(getenv("CODEX_DATABASE_URL"), DefaultDatabaseURL),
		Trigger:     or(strings.TrimSpace(getenv("CODEX_TRIGGER")), DefaultTrigger),
		Model:       model.ConfigFromEnv(getenv),
	}
	s.DataDir = dataDir(getenv, s.DatabaseURL)
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	// The environment wins over the setup file, field by field, so an
	// operator can rotate the key or secret without editing the file.
	file, err := ReadAppFile(s.DataDir)
	if err != nil {
		errs = append(errs, err)
	}
	if file == nil {
		file = &AppCredentials{}
	}
	id := or(getenv("GITHUB_APP_ID"), "")
	if id == "" && file.ID != 0 {
		id = strconv.FormatInt(file.ID, 10)
	}
	s.WebhookSecret = getenv("GITHUB_WEBHOOK_SECRET")
	if strings.TrimSpace(s.WebhookSecret) == "" {
		s.WebhookSecret = file.WebhookSecret
	}
	noApp := id == "" && strings.TrimSpace(s.WebhookSecret) == "" && file.PEM == "" &&
		getenv("GITHUB_PRIVATE_KEY") == "" && strings.TrimSpace(getenv("GITHUB_PRIVATE_KEY_PATH")) == ""

	if !noApp || requireApp {
		switch {
		case id == "":
			add("GITHUB_APP_ID is not set: use the App ID shown on the GitHub App's settings page")
		default:
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n <= 0 {
				add("GITHUB_APP_ID must be a positive number, got %q", id)
			}
			s.AppID = n
		}

		key, err := privateKey(getenv, file.PEM, AppFilePath(s.DataDir))
		if err != nil {
			errs = append(errs, err)
		}
		s.PrivateKey = key

		if strings.TrimSpace(s.WebhookSecret) == "" {
			add("GITHUB_WEBHOOK_SECRET is not set: the server refuses unsigned webhooks; set it to the secret configured on the GitHub App")
		}
	} else {
		s.WebhookSecret = ""
	}

	if p := strings.TrimSpace(getenv("CODEX_PUBLIC_URL")); p != "" {
		s.PublicURL, err = baseURL("CODEX_PUBLIC_URL", p)
		if err != nil {
			errs = append(errs, err)
		}
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

	s.APIRetention = DefaultAPIRetention
	if r := strings.TrimSpace(getenv("CODEX_API_RETENTION")); r != "" {
		d, err := parseRetention(r)
		if err != nil {
			errs = append(errs, err)
		}
		s.APIRetention = d
	}

	s.Sandboxes = DefaultSandboxes
	if v := strings.TrimSpace(getenv("CODEX_SANDBOXES")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxWorkers {
			add("CODEX_SANDBOXES must be a number from 0 (tests off) to %d, got %q", maxWorkers, v)
		}
		s.Sandboxes = n
	}

	if adv, err := osv.FromEnv(getenv); err != nil {
		add("%v", err)
	} else {
		s.Advisories = adv
	}

	if s.LogLevel, err = LogLevel(getenv("CODEX_LOG_LEVEL"), zerolog.InfoLevel); err != nil {
		add("%v", err)
	}

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// privateKey reads the App key from GITHUB_PRIVATE_KEY (PEM text; "\n"
// escapes are accepted, as some secret stores flatten newlines), from the
// file named by GITHUB_PRIVATE_KEY_PATH, or else from the setup file
// (fileKey, read from filePath), and checks it parses as RSA.
func privateKey(getenv func(string) string, fileKey, filePath string) ([]byte, error) {
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
	case fileKey != "":
		key = []byte(fileKey)
		if err := CheckPrivateKey(key); err != nil {
			return nil, fmt.Errorf("%s: %w", filePath, err)
		}
		return key, nil
	default:
		return nil, errors.New("GITHUB_PRIVATE_KEY_PATH (or GITHUB_PRIVATE_KEY) is not set: download a private key from the GitHub App's settings page")
	}
	if err := CheckPrivateKey(key); err != nil {
		return nil, err
	}
	return key, nil
}

// CheckPrivateKey reports whether key is a PEM-encoded RSA private key
// (PKCS#1, as GitHub issues them, or PKCS#8).
func CheckPrivateKey(key []byte) error {
	block, _ := pem.Decode(key)
	if block == nil {
		return errors.New("the GitHub App private key is not PEM: expected a file starting with -----BEGIN RSA PRIVATE KEY-----")
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		k, err8 := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err8 != nil {
			return fmt.Errorf("the GitHub App private key does not parse as RSA: %w", err)
		}
		if _, ok := k.(*rsa.PrivateKey); !ok {
			return errors.New("the GitHub App private key is not an RSA key")
		}
	}
	return nil
}

// dataDir is CODEX_DATA_DIR, else the directory of the SQLite database
// (the volume that must persist anyway), else the working directory.
func dataDir(getenv func(string) string, databaseURL string) string {
	if d := strings.TrimSpace(getenv("CODEX_DATA_DIR")); d != "" {
		return d
	}
	lower := strings.ToLower(databaseURL)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return "."
	}
	// The SQLite forms the store accepts: a path, sqlite://path, or a file:
	// URI (file:rel.db, file:/abs.db, file:///abs.db, file://host/abs.db).
	path, _, _ := strings.Cut(strings.TrimPrefix(databaseURL, "sqlite://"), "?")
	if rest, ok := strings.CutPrefix(path, "file:"); ok {
		path = rest
		if auth, ok := strings.CutPrefix(rest, "//"); ok {
			i := strings.IndexByte(auth, '/')
			if i < 0 {
				return "."
			}
			path = auth[i:]
		}
	}
	return filepath.Dir(path)
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

// parseRetention reads CODEX_API_RETENTION: a number of days ("30d") or a
// Go duration ("720h"). Less than an hour is refused: callers need time to
// read their results.
func parseRetention(v string) (time.Duration, error) {
	bad := fmt.Errorf("CODEX_API_RETENTION must be a number of days like 30d or a duration like 720h, got %q", v)
	var d time.Duration
	if digits, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(digits)
		if err != nil || n < 0 || n > 100*365 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, bad
		}
	}
	if d < time.Hour {
		return 0, fmt.Errorf("CODEX_API_RETENTION must be at least 1h, so callers have time to read their results; got %q", v)
	}
	return d, nil
}

// LogLevel reads CODEX_LOG_LEVEL's value: def when it is empty, an error
// naming the variable when zerolog does not know the level. serve and the
// CLI commands read it alike.
func LogLevel(value string, def zerolog.Level) (zerolog.Level, error) {
	l := strings.TrimSpace(value)
	if l == "" {
		return def, nil
	}
	lvl, err := zerolog.ParseLevel(strings.ToLower(l))
	if err != nil {
		return def, fmt.Errorf("CODEX_LOG_LEVEL must be one of trace, debug, info, warn, error, got %q", l)
	}
	return lvl, nil
}
