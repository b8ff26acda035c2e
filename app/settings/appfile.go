package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// AppFileName is the file, in the data directory, where the setup flow keeps
// the GitHub App it created. It holds the App's private key: mode 0600.
const AppFileName = "codex-review-app.json"

// AppCredentials are what GitHub hands over when an App is created from a
// manifest, as kept in AppFileName.
type AppCredentials struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	PEM           string `json:"pem"`
	WebhookSecret string `json:"webhook_secret"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	HTMLURL       string `json:"html_url"`
}

// AppFilePath is where the setup file lives in dataDir.
func AppFilePath(dataDir string) string { return filepath.Join(dataDir, AppFileName) }

// ReadAppFile reads the setup file in dataDir; it returns nil and no error
// when there is none.
func ReadAppFile(dataDir string) (*AppCredentials, error) {
	path := AppFilePath(dataDir)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the GitHub App file: %w", err)
	}
	var c AppCredentials
	if err := json.Unmarshal(b, &c); err != nil {
		// The decoder's message may quote the file, which holds the key.
		return nil, fmt.Errorf("%s is not valid JSON: fix it, or remove it and run the setup again", path)
	}
	return &c, nil
}

// WriteAppFile saves c as the setup file in dataDir, readable by the owner
// only. It writes a temporary file and renames it, so a crash never leaves a
// half-written key behind, and refuses to replace an existing file: a second
// App must not silently replace the first.
func WriteAppFile(dataDir string, c AppCredentials) (err error) {
	path := AppFilePath(dataDir)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists", path)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the GitHub App file: %w", err)
	}
	// CreateTemp already uses 0600; Chmod states it against any umask quirk.
	f, err := os.CreateTemp(dataDir, "."+AppFileName+".*")
	if err != nil {
		return fmt.Errorf("write the GitHub App file: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write the GitHub App file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write the GitHub App file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write the GitHub App file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the GitHub App file: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write the GitHub App file: %w", err)
	}
	return nil
}
