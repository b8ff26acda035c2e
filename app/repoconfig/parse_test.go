package repoconfig

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/passes"
)

func TestDefault(t *testing.T) {
	c := Default()
	want := Config{
		Version: 1,
		Review: Review{
			Auto:             Auto{OnOpen: true},
			Focus:            []finding.Area{finding.Security, finding.Bugs, finding.Performance, finding.Dependencies},
			MinPriority:      finding.P1,
			MaxComments:      20,
			RequestChangesOn: "none",
			Passes:           passes.Auto,
			OutsideDiff:      "note",
			MinConfidence:    0.3,
		},
		Checks:  Checks{Enabled: true, FailOn: "none"},
		Sandbox: Sandbox{Timeout: 10 * time.Minute, Network: "none"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Default() = %+v\nwant %+v", c, want)
	}
	// Default must hand out its own slice: a caller changing it must not
	// change the engine's default focus.
	c.Review.Focus[0] = finding.Tests
	if finding.DefaultFocus[0] != finding.Security {
		t.Fatal("Default shares its focus slice with finding.DefaultFocus")
	}
}

// withDefaults returns Default() changed by edit.
func withDefaults(edit func(c *Config)) Config {
	c := Default()
	edit(&c)
	return c
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		data string
		want Config
	}{
		{"empty file", "", Default()},
		{"only blank lines", "\n\n  \n", Default()},
		{"only comments", "# codex-review settings\n# nothing yet\n", Default()},
		{"version alone", "version: 1\n", Default()},
		{"stray document marker", "---\nversion: 1\n", Default()},
		{"trailing document marker", "version: 1\n---\n", Default()},
		{"byte order mark", "\ufeffversion: 1\n", Default()},
		{"crlf line endings", "version: 1\r\nreview:\r\n  min_priority: P2\r\n", withDefaults(func(c *Config) {
			c.Review.MinPriority = finding.P2
		})},
		{"overlay keeps the other defaults", "version: 1\nreview:\n  auto:\n    on_push: true\n", withDefaults(func(c *Config) {
			c.Review.Auto.OnPush = true
		})},
		{"design example", `version: 1
review:
  auto: {on_open: true, on_push: false, drafts: false, base_branches: [], ignore_authors: []}
  focus: [security, bugs, performance, dependencies]
  min_priority: P1          # post P0 and P1
  max_comments: 20          # inline; the rest go to the summary
  request_changes_on: none  # or P0 / P1
  instructions: ""          # free text, added to every pass
  path_instructions: [{path: "db/**", instructions: "…"}]
paths:
  exclude: ["**/*.lock", "vendor/**", "**/*.min.js", "**/*.pb.go"]
  include: []
sandbox:
  enabled: false
  command: ""
  timeout: 10m
  network: none
  allow_forks: false
model: {name: "", max_input_tokens: 0}
`, withDefaults(func(c *Config) {
			c.Review.Auto.BaseBranches = []string{}
			c.Review.Auto.IgnoreAuthors = []string{}
			c.Review.PathInstructions = []PathInstruction{{Path: "db/**", Instructions: "…"}}
			c.Paths.Exclude = []string{"**/*.lock", "vendor/**", "**/*.min.js", "**/*.pb.go"}
			c.Paths.Include = []string{}
		})},
		{"every key changed", `version: 1
review:
  auto:
    on_open: false
    on_push: true
    drafts: true
    base_branches: [main, "release/*"]
    ignore_authors: ["dependabot[bot]"]
  focus: [bugs, tests]
  min_priority: P3
  max_comments: 100
  request_changes_on: P0
  instructions: |
    Prefer errors over panics.
    Flag missing context timeouts.
  path_instructions:
    - path: "db/**"
      instructions: Check migrations are reversible.
  passes: combined
  outside_diff: drop
  min_confidence: 0.6
checks:
  enabled: false
  fail_on: P2
paths:
  exclude: ["docs/**"]
  include: ["src/**", "cmd/**"]
sandbox:
  enabled: true
  command: go test ./...
  timeout: 1h
  network: restricted
  allow_forks: true
model:
  name: gpt-5-codex
  max_input_tokens: 128000
`, Config{
			Version: 1,
			Review: Review{
				Auto: Auto{OnPush: true, Drafts: true, BaseBranches: []string{"main", "release/*"},
					IgnoreAuthors: []string{"dependabot[bot]"}},
				Focus:            []finding.Area{finding.Bugs, finding.Tests},
				MinPriority:      finding.P3,
				MaxComments:      100,
				RequestChangesOn: "P0",
				Instructions:     "Prefer errors over panics.\nFlag missing context timeouts.\n",
				PathInstructions: []PathInstruction{{Path: "db/**", Instructions: "Check migrations are reversible."}},
				Passes:           passes.Combined,
				OutsideDiff:      "drop",
				MinConfidence:    0.6,
			},
			Checks:  Checks{Enabled: false, FailOn: "P2"},
			Paths:   Paths{Exclude: []string{"docs/**"}, Include: []string{"src/**", "cmd/**"}},
			Sandbox: Sandbox{Enabled: true, Command: "go test ./...", Timeout: time.Hour, Network: "restricted", AllowForks: true},
			Model:   Model{Name: "gpt-5-codex", MaxInputTokens: 128000},
		}},
		{"bounds are inclusive", "version: 1\nreview: {max_comments: 1}\nsandbox: {timeout: 1s}\n", withDefaults(func(c *Config) {
			c.Review.MaxComments = 1
			c.Sandbox.Timeout = time.Second
		})},
		{"compound duration", "version: 1\nsandbox:\n  timeout: 1m30s\n", withDefaults(func(c *Config) {
			c.Sandbox.Timeout = 90 * time.Second
		})},
		{"anchors and aliases", `version: 1
review:
  path_instructions:
    - path: "db/**"
      instructions: &careful Check every query for injection.
    - path: "api/**"
      instructions: *careful
paths:
  exclude: &generated ["gen/**"]
`, withDefaults(func(c *Config) {
			c.Review.PathInstructions = []PathInstruction{
				{Path: "db/**", Instructions: "Check every query for injection."},
				{Path: "api/**", Instructions: "Check every query for injection."},
			}
			c.Paths.Exclude = []string{"gen/**"}
		})},
		{"str tag makes a number text", "version: 1\nmodel: {name: !!str 4}\n", withDefaults(func(c *Config) {
			c.Model.Name = "4"
		})},
		{"explicit key syntax", "version: 1\n? review\n: {max_comments: 5}\n", withDefaults(func(c *Config) {
			c.Review.MaxComments = 5
		})},
		{"outside_diff drop", "version: 1\nreview:\n  outside_diff: drop\n", withDefaults(func(c *Config) {
			c.Review.OutsideDiff = "drop"
		})},
		{"min_confidence as a fraction", "version: 1\nreview: {min_confidence: 0.55}\n", withDefaults(func(c *Config) {
			c.Review.MinConfidence = 0.55
		})},
		{"min_confidence 0 turns the gate off", "version: 1\nreview: {min_confidence: 0}\n", withDefaults(func(c *Config) {
			c.Review.MinConfidence = 0
		})},
		{"min_confidence 1 as an integer", "version: 1\nreview: {min_confidence: 1}\n", withDefaults(func(c *Config) {
			c.Review.MinConfidence = 1
		})},
		{"checks fail on P1", "version: 1\nchecks: {fail_on: P1}\n", withDefaults(func(c *Config) {
			c.Checks.FailOn = "P1"
		})},
		{"enabled sandbox with command", "version: 1\nsandbox: {enabled: true, command: make test}\n", withDefaults(func(c *Config) {
			c.Sandbox.Enabled = true
			c.Sandbox.Command = "make test"
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(".codex.yml", []byte(tt.data))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // lines of Error(), after ".codex.yml:"
	}{
		{
			name: "misspelt key in a section",
			data: "version: 1\nreview:\n  min_priority: P1\n  focuss: [security]\n",
			want: []string{`4:3: unknown key "focuss" in review (did you mean "focus"?)`},
		},
		{
			name: "bad priority",
			data: "version: 1\nreview:\n  focus: [bugs]\n\n\n  min_priority: P5\n",
			want: []string{`6:17: min_priority must be one of P0, P1, P2, P3, got "P5"`},
		},
		{
			name: "outside_diff not a known value",
			data: "version: 1\nreview:\n  outside_diff: hide\n",
			want: []string{`3:17: outside_diff must be one of note, drop, got "hide"`},
		},
		{
			name: "fail_on not a priority",
			data: "version: 1\nchecks:\n  fail_on: P4\n",
			want: []string{`3:12: fail_on must be one of none, P0, P1, P2, P3, got "P4"`},
		},
		{
			name: "checks.enabled not a boolean",
			data: "version: 1\nchecks:\n  enabled: on\n",
			want: []string{`3:12: enabled must be true or false, got "on"`},
		},
		{
			name: "min_confidence out of range",
			data: "version: 1\nreview:\n  min_confidence: 1.5\n",
			want: []string{`3:19: min_confidence must be between 0 and 1, got 1.5`},
		},
		{
			name: "min_confidence negative",
			data: "version: 1\nreview:\n  min_confidence: -0.2\n",
			want: []string{`3:19: min_confidence must be between 0 and 1, got -0.2`},
		},
		{
			name: "min_confidence not a number",
			data: "version: 1\nreview:\n  min_confidence: high\n",
			want: []string{`3:19: min_confidence must be a number, got "high"`},
		},
		{
			name: "min_confidence not finite",
			data: "version: 1\nreview:\n  min_confidence: .nan\n",
			want: []string{`3:19: min_confidence must be a number, got .nan`},
		},
		{
			name: "swapped letters at the top level",
			data: "version: 1\nreveiw: {}\n",
			want: []string{`2:1: unknown key "reveiw" (did you mean "review"?)`},
		},
		{
			name: "different case",
			data: "version: 1\nreview:\n  maxComments: 5\n",
			want: []string{`3:3: unknown key "maxComments" in review (did you mean "max_comments"?)`},
		},
		{
			name: "key of another section",
			data: "version: 1\nreview:\n  exclude: [\"vendor/**\"]\nsandbox:\n  focus: [bugs]\n",
			want: []string{
				`3:3: unknown key "exclude" in review (it belongs under paths)`,
				`5:3: unknown key "focus" in sandbox (it belongs under review)`,
			},
		},
		{
			name: "top-level key nested",
			data: "review:\n  version: 1\n",
			want: []string{
				`1:1: version is missing: add "version: 1" at the top of the file`,
				`2:3: unknown key "version" in review (it belongs at the top level)`,
			},
		},
		{
			name: "unknown key without suggestion",
			data: "version: 1\nnotifications: {slack: true}\n",
			want: []string{`2:1: unknown key "notifications"`},
		},
		{
			name: "unknown key deep in a list entry",
			data: "version: 1\nreview:\n  path_instructions:\n    - path: \"db/**\"\n      instructions: Check migrations.\n      paht: x\n",
			want: []string{`6:7: unknown key "paht" in review.path_instructions[0] (did you mean "path"?)`},
		},
		{
			name: "every problem, in file order",
			data: "version: 1\nsandbox:\n  network: open\nreview:\n  max_comments: 500\n  min_priority: high\n  focuss: []\n",
			want: []string{
				`3:12: network must be one of none, restricted, got "open"`,
				`5:17: max_comments must be between 1 and 100, got 500`,
				`6:17: min_priority must be one of P0, P1, P2, P3, got "high"`,
				`7:3: unknown key "focuss" in review (did you mean "focus"?)`,
			},
		},
		{
			name: "wrong types",
			data: "version: 1\nreview:\n  auto:\n    on_open: yes\n    drafts: 1\n  max_comments: twenty\n  instructions: [a, b]\n  focus: security\nsandbox: []\nmodel:\n  max_input_tokens: 1.5\n",
			want: []string{
				`4:14: on_open must be true or false, got "yes"`,
				`5:13: drafts must be true or false, got 1`,
				`6:17: max_comments must be an integer, got "twenty"`,
				`7:17: instructions must be a string, got a list`,
				`8:10: focus must be a list, got "security" (write ["security"] for a list of one)`,
				`9:10: sandbox must be a mapping, got a list`,
				`11:21: max_input_tokens must be an integer, got 1.5`,
			},
		},
		{
			name: "null value",
			data: "version: 1\nreview:\n  min_priority:\n  instructions: ~\n",
			want: []string{
				`3:16: min_priority must be one of P0, P1, P2, P3, got nothing`,
				`4:17: instructions must be a string, got nothing`,
			},
		},
		{
			name: "version missing",
			data: "review:\n  min_priority: P2\n",
			want: []string{`1:1: version is missing: add "version: 1" at the top of the file`},
		},
		{
			name: "version 2",
			data: "version: 2\n",
			want: []string{`1:10: version must be 1, got 2 (this release understands version 1 only)`},
		},
		{
			name: "version as text",
			data: "version: \"1\"\n",
			want: []string{`1:10: version must be an integer, got "1"`},
		},
		{
			name: "focus areas",
			data: "version: 1\nreview:\n  focus: [security, secrity, Bugs, style]\n",
			want: []string{
				`3:21: focus[1] must be one of security, bugs, performance, dependencies, tests, got "secrity" (did you mean "security"?)`,
				`3:30: focus[2] must be one of security, bugs, performance, dependencies, tests, got "Bugs" (did you mean "bugs"?)`,
				`3:36: focus[3] must be one of security, bugs, performance, dependencies, tests, got "style"`,
			},
		},
		{
			name: "empty focus",
			data: "version: 1\nreview:\n  focus: []\n",
			want: []string{`3:10: focus must name at least one area; leave it out for the default (security, bugs, performance, dependencies)`},
		},
		{
			name: "request changes on P2",
			data: "version: 1\nreview: {request_changes_on: P2}\n",
			want: []string{`2:30: request_changes_on must be one of none, P0, P1, got "P2"`},
		},
		{
			name: "path patterns",
			data: "version: 1\npaths:\n  exclude:\n    - \"vendor/**\"\n    - \"src/[a\"\n    - \"!docs/**\"\n    - \"\"\n  include: [\"!src/**\"]\n",
			want: []string{
				`5:7: exclude[1]: invalid path pattern "src/[a": unclosed '['`,
				`6:7: exclude[2]: "!docs/**" starts with "!", but patterns cannot be negated; list the files to review in paths.include instead`,
				`7:7: exclude[3]: invalid path pattern "": empty pattern`,
				`8:13: include[0]: "!src/**" starts with "!", but patterns cannot be negated; list only the files to review here`,
			},
		},
		{
			name: "path instructions",
			data: "version: 1\nreview:\n  path_instructions:\n    - path: \"db/{a,b\"\n      instructions: x\n    - instructions: y\n    - path: \"api/**\"\n      instructions: \"  \"\n    - \"db/**\"\n",
			want: []string{
				`4:13: path: invalid path pattern "db/{a,b": unclosed '{'`,
				`6:7: path_instructions[1] needs a path`,
				`8:21: instructions must not be empty`,
				`9:7: path_instructions[3] must be a mapping, got "db/**"`,
			},
		},
		{
			name: "timeout as a number",
			data: "version: 1\nsandbox:\n  timeout: 10\n",
			want: []string{`3:12: timeout must be a duration such as "10m" or "90s", got 10`},
		},
		{
			name: "timeout without unit in text",
			data: "version: 1\nsandbox: {timeout: \"10\"}\n",
			want: []string{`2:20: timeout must be a duration such as "10m" or "90s", got "10"`},
		},
		{
			name: "timeout too long",
			data: "version: 1\nsandbox:\n  timeout: 90m\n",
			want: []string{`3:12: timeout must be between 1s and 1h, got 1h30m`},
		},
		{
			name: "timeout too short",
			data: "version: 1\nsandbox:\n  timeout: 500ms\n",
			want: []string{`3:12: timeout must be between 1s and 1h, got 500ms`},
		},
		{
			name: "max comments zero",
			data: "version: 1\nreview:\n  max_comments: 0\n",
			want: []string{`3:17: max_comments must be between 1 and 100, got 0`},
		},
		{
			name: "negative max input tokens",
			data: "version: 1\nmodel: {max_input_tokens: -1}\n",
			want: []string{`2:27: max_input_tokens must be 0 (the model's own limit) or more, got -1`},
		},
		{
			name: "sandbox enabled without command",
			data: "version: 1\nsandbox:\n  enabled: true\n",
			want: []string{`3:12: sandbox.enabled is true but sandbox.command is empty: set the command that runs the tests, such as "go test ./..."`},
		},
		{
			name: "sandbox enabled with a blank command",
			data: "version: 1\nsandbox:\n  enabled: true\n  command: \"   \"\n",
			want: []string{`4:12: sandbox.enabled is true but sandbox.command is empty: set the command that runs the tests, such as "go test ./..."`},
		},
		{
			name: "auto lists",
			data: "version: 1\nreview:\n  auto:\n    base_branches: [main, \"release/[\", \"\"]\n    ignore_authors: [\" \"]\n",
			want: []string{
				`4:27: base_branches[1]: invalid branch pattern "release/[": syntax error in pattern`,
				`4:40: base_branches[2] must not be empty`,
				`5:22: ignore_authors[0] must not be empty`,
			},
		},
		{
			name: "syntax error",
			data: "version: 1\nreview:\n  focus: [security, bugs\n",
			want: []string{`3:10: invalid YAML: sequence end token ']' not found`},
		},
		{
			name: "bad indentation",
			data: "version: 1\nreview:\n  focus: [bugs]\n min_priority: P2\n",
			want: []string{`4:2: invalid YAML: value is not allowed in this context`},
		},
		{
			name: "duplicate key",
			data: "version: 1\nreview:\n  max_comments: 5\n  max_comments: 6\n",
			want: []string{`4:3: invalid YAML: duplicate key "max_comments" (first given at line 3, column 3)`},
		},
		{
			name: "two documents",
			data: "version: 1\n---\nversion: 1\n",
			want: []string{`2:1: the file must hold one YAML document; another starts here`},
		},
		{
			name: "not a mapping",
			data: "- version: 1\n",
			want: []string{`1:1: the file must be a mapping of settings such as "version: 1", got a list`},
		},
		{
			name: "not UTF-8",
			data: "version: 1\nreview:\n  instructions: caf\xe9\n",
			want: []string{`3:20: the file is not valid UTF-8`},
		},
		{
			name: "not UTF-8 after carriage returns",
			data: "version: 1\r\nreview:\r  x: \xff\n",
			want: []string{`3:6: the file is not valid UTF-8`},
		},
		{
			name: "merge key",
			data: "version: 1\nreview:\n  <<: {max_comments: 5}\n",
			want: []string{`3:3: merge keys (<<) are not supported: write the settings out in full`},
		},
		{
			name: "alias without anchor",
			data: "version: 1\npaths:\n  exclude: *generated\n",
			want: []string{`3:12: alias *generated refers to no anchor defined before it`},
		},
		{
			name: "custom tag",
			data: "version: 1\nreview:\n  min_priority: !priority P1\n",
			want: []string{`3:17: tag "!priority" is not supported here`},
		},
		{
			name: "columns count characters",
			data: "version: 1\nreview: {instructions: \"é—ü\", min_priority: P9}\n",
			want: []string{`2:45: min_priority must be one of P0, P1, P2, P3, got "P9"`},
		},
		{
			name: "long values are shortened",
			data: "version: 1\nreview:\n  min_priority: " + strings.Repeat("x", 100) + "\n",
			want: []string{`3:17: min_priority must be one of P0, P1, P2, P3, got "` + strings.Repeat("x", 60) + `…"`},
		},
		{
			name: "flow collections nested too deeply",
			data: "version: 1\nx: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n",
			want: []string{`2:36: lists and mappings are nested too deeply`},
		},
		{
			name: "block lists nested too deeply",
			data: "version: 1\nx:\n" + strings.Repeat("- ", 50) + "a\n",
			want: []string{`3:81: lists and mappings are nested too deeply`},
		},
		{
			name: "too large",
			data: "version: 1\n# " + strings.Repeat("x", MaxFileSize) + "\n",
			want: []string{`1:1: the file is 65550 bytes; the limit is 65536 bytes (64 KiB): keep only the settings that differ from the defaults`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(".codex.yml", []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v", cfg)
			}
			if !reflect.DeepEqual(cfg, Config{}) {
				t.Errorf("Parse returned a config with its error: %+v", cfg)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = ".codex.yml:" + w
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Fatalf("error text:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
			if len(perr.Problems) != len(tt.want) {
				t.Fatalf("%d problems, want %d", len(perr.Problems), len(tt.want))
			}
		})
	}
}

func TestParseProblemFields(t *testing.T) {
	_, err := Parse("config/.codex.yml", []byte("version: 1\nreview:\n  focuss: []\n"))
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v is not an *Error", err)
	}
	want := []Problem{{File: "config/.codex.yml", Line: 3, Column: 3,
		Message: `unknown key "focuss" in review (did you mean "focus"?)`}}
	if !reflect.DeepEqual(perr.Problems, want) {
		t.Fatalf("Problems = %+v, want %+v", perr.Problems, want)
	}
}

func TestParseStopsAfterTooManyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nreview:\n  focus:\n")
	for range 3 * maxProblems {
		b.WriteString("    - style\n")
	}
	_, err := Parse(".codex.yml", []byte(b.String()))
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if got, want := len(perr.Problems), maxProblems+1; got != want {
		t.Fatalf("%d problems, want %d", got, want)
	}
	last := perr.Problems[len(perr.Problems)-1]
	if last.Message != "too many problems; stopped after 100" || last.Line != 3+maxProblems {
		t.Fatalf("last problem = %+v", last)
	}
}

// TestParseAliasFanOut checks that a small file whose aliases repeat a
// large mapping many times is rejected without doing work for every copy.
func TestParseAliasFanOut(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nx: &m {")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("k")
		b.WriteString(strings.Repeat("z", i%7))
		b.WriteByte(byte('a' + i%26))
		b.WriteString(string(rune('a' + i/26%26)))
		b.WriteString(string(rune('a' + i/676)))
		b.WriteString(": 1")
	}
	b.WriteString("}\nreview:\n  path_instructions: [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*m")
	}
	b.WriteString("]\n")
	_, err := Parse(".codex.yml", []byte(b.String()))
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if len(perr.Problems) > maxProblems+1 {
		t.Fatalf("%d problems, want at most %d", len(perr.Problems), maxProblems+1)
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(".codex.yml", []byte("version: 1\n")); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	err := Validate("repo/.codex.yml", []byte("version: 1\nreview:\n  focuss: [bugs]\n  min_priority: P5\n"))
	want := "repo/.codex.yml:3:3: unknown key \"focuss\" in review (did you mean \"focus\"?)\n" +
		"repo/.codex.yml:4:17: min_priority must be one of P0, P1, P2, P3, got \"P5\""
	if err == nil || err.Error() != want {
		t.Fatalf("Validate error:\n%v\nwant:\n%s", err, want)
	}
}

func TestEngineOptions(t *testing.T) {
	c := withDefaults(func(c *Config) {
		c.Review.Focus = []finding.Area{finding.Security}
		c.Review.MinPriority = finding.P2
		c.Review.MaxComments = 7
		c.Review.Instructions = "be brief"
		c.Review.PathInstructions = []PathInstruction{{Path: "db/**", Instructions: "check migrations"}}
		c.Paths.Exclude = []string{"gen/**"}
		c.Paths.Include = []string{"src/**"}
		c.Model.MaxInputTokens = 64000
		c.Sandbox.Enabled = true // not an engine option
	})
	got := c.EngineOptions()
	want := review.Options{
		Focus:            []finding.Area{finding.Security},
		MinPriority:      finding.P2,
		Instructions:     "be brief",
		PathInstructions: []review.PathInstruction{{Path: "db/**", Instructions: "check migrations"}},
		Exclude:          []string{"gen/**"},
		Include:          []string{"src/**"},
		MaxInputTokens:   64000,
		Passes:           passes.Auto,
		OutsideDiff:      review.OutsideNote,
		MinConfidence:    review.DefaultMinConfidence,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EngineOptions =\n%+v\nwant\n%+v", got, want)
	}
	got.Focus[0] = finding.Bugs
	got.Exclude[0] = "x"
	if c.Review.Focus[0] != finding.Security || c.Paths.Exclude[0] != "gen/**" {
		t.Fatal("EngineOptions shares slices with the config")
	}

	// The defaults must carry P1 explicitly: the zero MinPriority, P0,
	// would hide every P1 finding.
	d := Default().EngineOptions()
	if d.MinPriority != finding.P1 || Default().Review.MaxComments != review.DefaultMaxComments || len(d.Focus) != 4 ||
		d.PathInstructions != nil || d.MaxInputTokens != 0 {
		t.Fatalf("Default().EngineOptions() = %+v", d)
	}
}

func TestFailAt(t *testing.T) {
	tests := []struct {
		on   string
		want finding.Priority
		ok   bool
	}{{"none", 0, false}, {"", 0, false}, {"P0", finding.P0, true}, {"P2", finding.P2, true}, {"P3", finding.P3, true}}
	for _, tt := range tests {
		if got, ok := (Checks{FailOn: tt.on}).FailAt(); got != tt.want || ok != tt.ok {
			t.Errorf("FailAt(%q) = %v, %v; want %v, %v", tt.on, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRequestChangesAt(t *testing.T) {
	tests := []struct {
		on   string
		want finding.Priority
		ok   bool
	}{
		{"none", 0, false},
		{"P0", finding.P0, true},
		{"P1", finding.P1, true},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := Review{RequestChangesOn: tt.on}.RequestChangesAt()
		if got != tt.want || ok != tt.ok {
			t.Errorf("RequestChangesAt(%q) = %v, %v; want %v, %v", tt.on, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAutoFilters(t *testing.T) {
	tests := []struct {
		name     string
		auto     Auto
		base     string
		author   string
		reviews  bool
		excluded bool
	}{
		{"no limits", Auto{}, "feature/x", "octocat", true, false},
		{"exact branch", Auto{BaseBranches: []string{"main"}}, "main", "octocat", true, false},
		{"other branch", Auto{BaseBranches: []string{"main"}}, "develop", "octocat", false, false},
		{"pattern stays in one segment", Auto{BaseBranches: []string{"release/*"}}, "release/1.2", "a", true, false},
		{"pattern does not cross slash", Auto{BaseBranches: []string{"release/*"}}, "release/1/hotfix", "a", false, false},
		{"name is not a suffix match", Auto{BaseBranches: []string{"main"}}, "feature/main", "a", false, false},
		{"ignored bot", Auto{IgnoreAuthors: []string{"dependabot[bot]"}}, "main", "Dependabot[bot]", true, true},
		{"other author", Auto{IgnoreAuthors: []string{"dependabot[bot]"}}, "main", "renovate[bot]", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.auto.ReviewsBase(tt.base); got != tt.reviews {
				t.Errorf("ReviewsBase(%q) = %v, want %v", tt.base, got, tt.reviews)
			}
			if got := tt.auto.IgnoresAuthor(tt.author); got != tt.excluded {
				t.Errorf("IgnoresAuthor(%q) = %v, want %v", tt.author, got, tt.excluded)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"on_open", "on_push", "drafts", "base_branches", "ignore_authors"}
	tests := []struct{ in, want string }{
		{"on_pusj", "on_push"},
		{"onPush", "on_push"},
		{"draft", "drafts"},
		{"base-branches", "base_branches"},
		{"ignore_author", "ignore_authors"},
		{"od", ""},
		{"branches", ""},
		{"", ""},
		{strings.Repeat("a", 1000), ""},
	}
	for _, tt := range tests {
		if got := closest(tt.in, keys); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"review", "reveiw", 1},
		{"focus", "focuss", 1},
		{"kitten", "sitting", 3},
		{"ca", "abc", 3}, // optimal string alignment, not full Damerau
	}
	for _, tt := range tests {
		if got := editDistance([]rune(tt.a), []rune(tt.b)); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/valid/every-key.yml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(".codex.yml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseErrors(b *testing.B) {
	data := []byte("version: 1\nreview:\n  focuss: [bugs]\n  min_priority: P5\nsandbox: {timeout: 2h, network: open}\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(".codex.yml", data); err == nil {
			b.Fatal("no error")
		}
	}
}
