package setup

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Manifest is a GitHub App manifest: the App that GitHub creates when the
// setup page posts it to {GITHUB_WEB_URL}settings/apps/new.
type Manifest struct {
	Name               string            `json:"name"`
	URL                string            `json:"url"`
	Description        string            `json:"description,omitempty"`
	HookAttributes     HookAttributes    `json:"hook_attributes"`
	RedirectURL        string            `json:"redirect_url"`
	Public             bool              `json:"public"`
	DefaultPermissions map[string]string `json:"default_permissions"`
	DefaultEvents      []string          `json:"default_events"`
}

// HookAttributes says where GitHub delivers the App's webhooks.
type HookAttributes struct {
	URL    string `json:"url"`
	Active bool   `json:"active"`
}

// AppManifest mirrors app.yml at the repository root: the same name,
// least-privilege permissions and events. Keep the two in step. Its URLs
// are empty here because they depend on where this server runs; ForURL
// fills them in.
var AppManifest = Manifest{
	Name:        "codex-review",
	Description: "Reviews pull requests with an LLM when asked (@codex review) or when they open.",
	HookAttributes: HookAttributes{
		Active: true,
	},
	Public: false,
	DefaultPermissions: map[string]string{
		"pull_requests": "write", // post reviews, review comments and thread replies; react in threads
		"issues":        "write", // 👀 reactions and replies on PR conversations
		"contents":      "read",  // the diff, .codex.yml and AGENTS.md
		"metadata":      "read",  // required by GitHub for every App
		"checks":        "write", // the codex-review check run
	},
	// Review-comment events carry questions asked in review threads;
	// review-thread events say when a finding's thread is resolved.
	// Both need only pull_requests:read, which the App has.
	DefaultEvents: []string{"issue_comment", "pull_request", "check_run", "pull_request_review_comment", "pull_request_review_thread"},
}

// Webhook and redirect paths, relative to the server's public URL.
const (
	HookPath     = "api/github/hook"
	CallbackPath = "setup/callback"
)

// ForURL returns a copy of m for a server reachable at publicURL (with a
// trailing slash) under the given App name.
func (m Manifest) ForURL(publicURL, name string) Manifest {
	out := m
	out.Name = name
	out.URL = publicURL
	out.HookAttributes.URL = publicURL + HookPath
	out.RedirectURL = publicURL + CallbackPath
	out.DefaultPermissions = maps.Clone(m.DefaultPermissions)
	out.DefaultEvents = slices.Clone(m.DefaultEvents)
	return out
}

// JSON is the manifest as GitHub expects it in the form's manifest field.
func (m Manifest) JSON() (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode the App manifest: %w", err)
	}
	return string(b), nil
}
