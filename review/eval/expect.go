package eval

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/yamldepth"
)

// Expected is one finding a good review of the case reports.
type Expected struct {
	// Path is the file, relative to the repository root.
	Path string `json:"path"`
	// Start and End are the lines (inclusive, in the head version; in the
	// base version for a deleted file) the report must overlap, give or
	// take LineSlack.
	Start int `json:"start"`
	End   int `json:"end"`
	// Area, when set, is the focus area the report must carry.
	Area finding.Area `json:"area,omitempty"`
	// MinPriority, when HasMinPriority, is the least urgent priority that
	// still counts (P1 accepts P0 and P1).
	MinPriority    finding.Priority `json:"-"`
	HasMinPriority bool             `json:"-"`
	// Why says why the problem is real.
	Why string `json:"-"`

	// line and col locate the entry in expect.yaml, for messages.
	line, col int
}

// Label names the expectation in reports: "path:start-end".
func (e Expected) Label() string {
	if e.Start == e.End {
		return fmt.Sprintf("%s:%d", e.Path, e.Start)
	}
	return fmt.Sprintf("%s:%d-%d", e.Path, e.Start, e.End)
}

// expectDoc is the shape of expect.yaml. Decoding is strict: an unknown
// key is an error, so a misspelt "min_priorty" cannot silently widen what
// matches.
type expectDoc struct {
	Description string `yaml:"description"`
	Why         string `yaml:"why"`
	// PullRequest is what the change's author wrote about it, which the
	// model reads as a pull request's title and description.
	PullRequest struct {
		Title string `yaml:"title"`
		Body  string `yaml:"body"`
	} `yaml:"pull_request"`
	// Findings is a pointer so that a missing key can be told from an
	// empty list: a clean case says so explicitly.
	Findings *[]expectEntry `yaml:"findings"`
}

type expectEntry struct {
	Path        string `yaml:"path"`
	Lines       []int  `yaml:"lines"`
	Area        string `yaml:"area"`
	MinPriority string `yaml:"min_priority"`
	Why         string `yaml:"why"`
}

// expectation is a parsed expect.yaml.
type expectation struct {
	Description string
	Why         string
	Title, Body string
	Findings    []Expected
}

// parseExpect reads expect.yaml (named file in messages). Every problem it
// can find is returned, each with its line and column.
func parseExpect(file string, data []byte) (expectation, []Problem) {
	var out expectation
	tokens := lexer.Tokenize(string(data))
	if tk := yamldepth.TooDeep(tokens); tk != nil {
		p := Problem{File: file, Line: 1, Column: 1, Message: "lists and mappings are nested too deeply"}
		if tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
		return out, []Problem{p}
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		return out, []Problem{yamlProblem(file, err)}
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		msg := "expected one YAML document with description and findings"
		if len(f.Docs) > 1 {
			msg = "expected one YAML document, found several"
		}
		return out, []Problem{{File: file, Line: 1, Column: 1, Message: msg}}
	}
	// expect.yaml has no use for YAML tags, and go-yaml v1.19.2 panics
	// on a tag over a scalar where a list is expected ("findings: !x",
	// goccy/go-yaml#735): every tag is refused before decoding.
	if tags := ast.Filter(ast.TagType, f.Docs[0].Body); len(tags) > 0 {
		var probs []Problem
		for _, n := range tags {
			tk := n.GetToken()
			probs = append(probs, Problem{File: file, Line: tk.Position.Line, Column: tk.Position.Column,
				Message: fmt.Sprintf("YAML tag %s: tags are not used in expect.yaml", tk.Value)})
		}
		return out, probs
	}
	var doc expectDoc
	if err := yaml.NodeToValue(f.Docs[0].Body, &doc, yaml.Strict()); err != nil {
		return out, []Problem{yamlProblem(file, err)}
	}
	at := func(p string) (int, int) { return position(f, p) }
	var probs []Problem
	add := func(p string, format string, args ...any) {
		line, col := at(p)
		probs = append(probs, Problem{File: file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
	}
	out.Description = strings.TrimSpace(doc.Description)
	out.Why = strings.TrimSpace(doc.Why)
	out.Title = strings.TrimSpace(doc.PullRequest.Title)
	out.Body = strings.TrimSpace(doc.PullRequest.Body)
	if out.Description == "" {
		add("$", "description: missing; say in one line what the change does")
	}
	if doc.Findings == nil {
		add("$", "findings: missing; list what a good review reports, or write `findings: []` for a clean change")
		return out, probs
	}
	for i, e := range *doc.Findings {
		p := fmt.Sprintf("$.findings[%d]", i)
		line, col := at(p)
		x := Expected{Path: e.Path, Why: strings.TrimSpace(e.Why), line: line, col: col}
		switch clean := path.Clean(e.Path); {
		case e.Path == "":
			add(p, "findings[%d].path: missing", i)
		case strings.HasPrefix(e.Path, "/") || clean == ".." || strings.HasPrefix(clean, "../") || clean != e.Path:
			add(p+".path", "findings[%d].path: %q must be a clean path relative to the repository root", i, e.Path)
		}
		switch {
		case e.Lines == nil:
			add(p, "findings[%d].lines: missing; write [first, last]", i)
		case len(e.Lines) != 2:
			add(p+".lines", "findings[%d].lines: want two line numbers [first, last], got %d", i, len(e.Lines))
		case e.Lines[0] < 1 || e.Lines[1] < e.Lines[0]:
			add(p+".lines", "findings[%d].lines: [%d, %d] is not a range of lines (1 <= first <= last)", i, e.Lines[0], e.Lines[1])
		default:
			x.Start, x.End = e.Lines[0], e.Lines[1]
		}
		if e.Area != "" {
			a, err := finding.ParseArea(e.Area)
			if err != nil {
				add(p+".area", "findings[%d].area: %v", i, err)
			}
			x.Area = a
		}
		if e.MinPriority != "" {
			pr, err := finding.ParsePriority(e.MinPriority)
			if err != nil {
				add(p+".min_priority", "findings[%d].min_priority: %v", i, err)
			}
			x.MinPriority, x.HasMinPriority = pr, true
		}
		out.Findings = append(out.Findings, x)
	}
	return out, probs
}

// position finds the line and column of the node at a YAML path, falling
// back to its parent's, and to the top of the file.
func position(f *ast.File, p string) (int, int) {
	for p != "" {
		if yp, err := yaml.PathString(p); err == nil {
			if n, err := yp.FilterFile(f); err == nil && n != nil {
				// A mapping's own token is its first colon; point at
				// its first key instead, where a reader looks.
				if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 {
					n = m.Values[0].Key
				}
				if tk := n.GetToken(); tk != nil {
					return tk.Position.Line, tk.Position.Column
				}
			}
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return 1, 1
}

// yamlProblem turns a goccy/go-yaml error into a Problem with its
// position, without the library's multi-line source excerpt.
func yamlProblem(file string, err error) Problem {
	var ye yaml.Error
	if errors.As(err, &ye) {
		p := Problem{File: file, Line: 1, Column: 1, Message: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
		return p
	}
	return Problem{File: file, Line: 1, Column: 1, Message: err.Error()}
}
