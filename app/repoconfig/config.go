// Package repoconfig reads a repository's review settings: the .codex.yml
// file (design §4.6, version 1) and the "## Review guidelines" section of
// AGENTS.md. Both come from the base branch of a pull request and are
// untrusted input: Parse reports every problem with its line and column and
// never panics, so that a broken file ends in a helpful comment on the pull
// request rather than in silence.
package repoconfig

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/passes"
)

// FileName is where the configuration lives in a repository.
const FileName = ".codex.yml"

// Version is the only version of the file format this release understands.
const Version = 1

// Limits of the file format.
const (
	// MaxFileSize bounds the file read from the repository. A real
	// configuration is a few hundred bytes; the bound keeps the parse of a
	// hostile file cheap.
	MaxFileSize = 64 << 10
	// MaxComments caps review.max_comments: the most inline comments one
	// review posts (see review.MaxInlineComments).
	MaxComments = review.MaxInlineComments
	// MinTimeout and MaxTimeout bound sandbox.timeout: under a second no
	// test suite starts, and a sandbox held for over an hour ties up a
	// worker that other reviews are waiting for.
	MinTimeout = time.Second
	MaxTimeout = time.Hour
)

// Values of review.request_changes_on.
const (
	RequestChangesNone = "none"
	RequestChangesP0   = "P0"
	RequestChangesP1   = "P1"
)

// Values of review.outside_diff.
const (
	OutsideDiffNote = string(review.OutsideNote)
	OutsideDiffDrop = string(review.OutsideDrop)
)

// Values of checks.fail_on besides the priorities P0-P3.
const FailOnNone = "none"

// Values of sandbox.network.
const (
	NetworkNone       = "none"
	NetworkRestricted = "restricted"
)

// Config is a parsed .codex.yml. The yaml tags name the keys of the file;
// Parse accepts exactly these keys, and the JSON Schema is tested to list
// the same ones.
type Config struct {
	Version int     `yaml:"version"`
	Review  Review  `yaml:"review"`
	Checks  Checks  `yaml:"checks"`
	Paths   Paths   `yaml:"paths"`
	Sandbox Sandbox `yaml:"sandbox"`
	Model   Model   `yaml:"model"`
}

// Review tunes what is reviewed and how findings are posted.
type Review struct {
	Auto Auto `yaml:"auto"`
	// Focus lists the analysis passes to run.
	Focus []finding.Area `yaml:"focus"`
	// MinPriority is the lowest priority posted; P1 posts P0 and P1.
	MinPriority finding.Priority `yaml:"min_priority"`
	// MaxComments caps inline comments; further findings go to the summary.
	MaxComments int `yaml:"max_comments"`
	// RequestChangesOn is RequestChangesNone, RequestChangesP0 or
	// RequestChangesP1: the review requests changes when a finding of that
	// priority or higher is posted.
	RequestChangesOn string `yaml:"request_changes_on"`
	// Instructions are added to every pass.
	Instructions string `yaml:"instructions"`
	// PathInstructions add instructions for the files matching a pattern.
	PathInstructions []PathInstruction `yaml:"path_instructions"`
	// Passes is how the focus areas are reviewed: one combined model
	// call, one call per area, or auto (combined for small changes).
	Passes passes.Mode `yaml:"passes"`
	// OutsideDiff is OutsideDiffNote or OutsideDiffDrop: what happens to a
	// finding whose location is outside the file or outside the change.
	OutsideDiff string `yaml:"outside_diff"`
	// MinConfidence (0-1) keeps findings the model rates below it out of
	// inline comments; they are listed in the summary.
	MinConfidence float64 `yaml:"min_confidence"`
}

// Checks configures the codex-review check run on the reviewed head.
type Checks struct {
	// Enabled creates the check run: in progress while the review runs,
	// completed with its summary, annotations and a conclusion.
	Enabled bool `yaml:"enabled"`
	// FailOn is FailOnNone or a priority ("P0".."P3"): the conclusion is
	// failure when a finding at or above it stands. With none it is
	// neutral when findings stand and success when none do.
	FailOn string `yaml:"fail_on"`
}

// FailAt returns the priority at or above which the check fails, and
// false when findings never fail it.
func (c Checks) FailAt() (finding.Priority, bool) {
	if c.FailOn == FailOnNone || c.FailOn == "" {
		return 0, false
	}
	p, err := finding.ParsePriority(c.FailOn)
	return p, err == nil
}

// PathInstruction is one entry of review.path_instructions.
type PathInstruction struct {
	Path         string `yaml:"path"` // a pathglob pattern
	Instructions string `yaml:"instructions"`
}

// Auto says which pull request events start a review without a command.
type Auto struct {
	// OnOpen reviews a pull request when it is opened, reopened or marked
	// ready for review.
	OnOpen bool `yaml:"on_open"`
	// OnPush reviews what changed with every push to an open pull request.
	OnPush bool `yaml:"on_push"`
	// Drafts includes draft pull requests in automatic reviews.
	Drafts bool `yaml:"drafts"`
	// BaseBranches limits automatic reviews to pull requests into these
	// branches (names, or path.Match patterns such as "release/*"); empty
	// means every branch.
	BaseBranches []string `yaml:"base_branches"`
	// IgnoreAuthors lists logins whose pull requests are not reviewed
	// automatically, such as "dependabot[bot]".
	IgnoreAuthors []string `yaml:"ignore_authors"`
}

// Paths chooses the files a review reads, with pathglob patterns.
type Paths struct {
	// Exclude skips matching files, in addition to the built-in rules for
	// generated and vendored files.
	Exclude []string `yaml:"exclude"`
	// Include, when not empty, limits the review to matching files.
	Include []string `yaml:"include"`
}

// Sandbox configures running the repository's tests on the pull request.
type Sandbox struct {
	Enabled bool          `yaml:"enabled"`
	Command string        `yaml:"command"`
	Timeout time.Duration `yaml:"timeout"`
	// Network is NetworkNone or NetworkRestricted.
	Network string `yaml:"network"`
	// AllowForks runs the sandbox for pull requests from forks too.
	AllowForks bool `yaml:"allow_forks"`
}

// Model overrides the model for this repository.
type Model struct {
	Name string `yaml:"name"` // empty: the server's model
	// MaxInputTokens is the context window; 0 means the model's own limit.
	MaxInputTokens int `yaml:"max_input_tokens"`
}

// Default returns the settings of a repository without a .codex.yml; Parse
// starts from them and overlays the file.
func Default() Config {
	return Config{
		Version: Version,
		Review: Review{
			Auto:             Auto{OnOpen: true},
			Focus:            slices.Clone(finding.DefaultFocus),
			MinPriority:      finding.P1,
			MaxComments:      review.DefaultMaxComments,
			RequestChangesOn: RequestChangesNone,
			Passes:           passes.Auto,
			OutsideDiff:      OutsideDiffNote,
			MinConfidence:    review.DefaultMinConfidence,
		},
		Checks: Checks{Enabled: true, FailOn: FailOnNone},
		Sandbox: Sandbox{
			Timeout: 10 * time.Minute,
			Network: NetworkNone,
		},
	}
}

// EngineOptions maps the settings that shape a review onto the engine's
// options. Fields the file does not cover (repository, title, material...)
// are left for the caller to fill in.
func (c Config) EngineOptions() review.Options {
	opt := review.Options{
		Focus:          slices.Clone(c.Review.Focus),
		MinPriority:    c.Review.MinPriority,
		Instructions:   c.Review.Instructions,
		Passes:         c.Review.Passes,
		MaxInputTokens: c.Model.MaxInputTokens,
		Exclude:        slices.Clone(c.Paths.Exclude),
		Include:        slices.Clone(c.Paths.Include),
		OutsideDiff:    review.OutsideDiff(c.Review.OutsideDiff),
		MinConfidence:  c.Review.MinConfidence,
	}
	for _, pi := range c.Review.PathInstructions {
		opt.PathInstructions = append(opt.PathInstructions, review.PathInstruction{
			Path:         pi.Path,
			Instructions: pi.Instructions,
		})
	}
	return opt
}

// RequestChangesAt returns the priority at or above which a review requests
// changes, and false when the repository never wants that.
func (r Review) RequestChangesAt() (finding.Priority, bool) {
	switch r.RequestChangesOn {
	case RequestChangesP0:
		return finding.P0, true
	case RequestChangesP1:
		return finding.P1, true
	default:
		return 0, false
	}
}

// ReviewsBase reports whether automatic reviews apply to pull requests into
// the branch base.
func (a Auto) ReviewsBase(base string) bool {
	if len(a.BaseBranches) == 0 {
		return true
	}
	for _, p := range a.BaseBranches {
		// Patterns were checked by Parse, so an error cannot occur here;
		// a pattern that fails anyway simply does not match.
		if ok, err := path.Match(p, base); err == nil && ok {
			return true
		}
	}
	return false
}

// IgnoresAuthor reports whether automatic reviews skip pull requests by
// login. GitHub logins are case-insensitive.
func (a Auto) IgnoresAuthor(login string) bool {
	for _, l := range a.IgnoreAuthors {
		if strings.EqualFold(l, login) {
			return true
		}
	}
	return false
}
