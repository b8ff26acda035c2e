package repoconfig

import (
	"context"
	"fmt"
	"strings"

	"github.com/codex-review/codex-review/review"
)

// Rules are a repository's review rules as one version of it holds them:
// its .codex.yml and the review guidelines of its AGENTS.md. Every front
// end — the GitHub App (from a pull request's base), the CLI (from the
// working tree or --base) and eval (from a case) — turns them into engine
// options with EngineOptions, so that the same change under the same rules
// gets the same prompt everywhere.
type Rules struct {
	Config Config
	// Guidelines is the "Review guidelines" section of AGENTS.md, ""
	// when there is none.
	Guidelines string
}

// guidelinesIntro introduces the guidelines in the instructions.
const guidelinesIntro = "Review guidelines from the repository's AGENTS.md:\n"

// ParseRules reads the rules from the contents of .codex.yml (nil: there
// is none, and the defaults apply; name is used in error positions) and
// AGENTS.md (nil: none). An invalid .codex.yml is an *Error; the rules
// returned with it hold the guidelines and the default configuration, for
// a caller that can go on without the file (answering a question, say).
func ParseRules(name string, codexYML, agentsMD []byte) (Rules, error) {
	r := Rules{Config: Default(), Guidelines: ReviewGuidelines(string(agentsMD))}
	if codexYML != nil {
		cfg, err := Parse(name, codexYML)
		if err != nil {
			return r, err
		}
		r.Config = cfg
	}
	return r, nil
}

// ReadRules reads .codex.yml and AGENTS.md with one call of read (which
// returns the files it finds, by path; a missing file is left out) and
// parses them with ParseRules.
func ReadRules(ctx context.Context, read func(ctx context.Context, paths []string) (map[string][]byte, error)) (Rules, error) {
	files, err := read(ctx, []string{FileName, AgentsFileName})
	if err != nil {
		return Rules{}, fmt.Errorf("read %s and %s: %w", FileName, AgentsFileName, err)
	}
	return ParseRules(FileName, files[FileName], files[AgentsFileName])
}

// GuidelinesInstructions is how the guidelines read among the review's
// instructions, "" when there are none.
func (r Rules) GuidelinesInstructions() string {
	if r.Guidelines == "" {
		return ""
	}
	return guidelinesIntro + r.Guidelines
}

// EngineOptions are the engine options the rules give a review: the
// settings of .codex.yml, with the guidelines after its instructions. The
// caller adds what is not the repository's to say (the change's title,
// a requester's words, flags).
func (r Rules) EngineOptions() review.Options {
	opt := r.Config.EngineOptions()
	var parts []string
	for _, p := range []string{opt.Instructions, r.GuidelinesInstructions()} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	opt.Instructions = strings.Join(parts, "\n\n")
	return opt
}
