package repoconfig

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/passes"
	"github.com/codex-review/codex-review/review/pathglob"
	"github.com/codex-review/codex-review/review/yamldepth"
)

// maxProblems stops the decoder after this many problems. Besides keeping
// the report readable, it bounds the work on a hostile file: aliases can
// make one bad node be visited many times, and every visit adds a problem.
const maxProblems = 100

var (
	durationType = reflect.TypeFor[time.Duration]()
	priorityType = reflect.TypeFor[finding.Priority]()
	areaType     = reflect.TypeFor[finding.Area]()
)

// Parse reads a .codex.yml named name (used in messages) and returns the
// defaults overlaid with the file. An empty file gives the defaults. On any
// problem it returns a zero Config and an *Error listing every problem
// found, each with its line and column.
func Parse(name string, data []byte) (Config, error) {
	d := &decoder{
		file:    name,
		aliases: map[*ast.AliasNode]ast.Node{},
		present: map[string]*token.Token{},
		bad:     map[string]bool{},
	}
	cfg := Default()
	d.run(data, &cfg)
	if len(d.problems) == 0 {
		return cfg, nil
	}
	sort.SliceStable(d.problems, func(i, j int) bool {
		a, b := d.problems[i], d.problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	if d.adds >= maxProblems {
		last := d.problems[len(d.problems)-1]
		d.problems = append(d.problems, Problem{File: name, Line: last.Line, Column: last.Column,
			Message: fmt.Sprintf("too many problems; stopped after %d", maxProblems)})
	}
	return Config{}, &Error{Problems: d.problems}
}

// Validate checks a .codex.yml for `codex-review config validate`: it
// returns nil when the file is valid, and otherwise an *Error whose text is
// what the command prints.
func Validate(name string, data []byte) error {
	_, err := Parse(name, data)
	return err
}

// decoder walks the YAML syntax tree of one file into a Config, collecting
// problems instead of stopping at the first.
type decoder struct {
	file     string
	problems []Problem
	adds     int // problems reported, counting duplicates
	// aliases maps every alias to the node of the anchor it names.
	aliases map[*ast.AliasNode]ast.Node
	// present holds the position of every key path found in the file, such
	// as "review.focus" or "paths.exclude[2]"; bad marks the paths whose
	// value was rejected, so that later checks do not report them twice.
	present map[string]*token.Token
	bad     map[string]bool
}

func (d *decoder) full() bool { return d.adds >= maxProblems }

func (d *decoder) add(line, col int, format string, args ...any) {
	d.adds++
	p := Problem{File: d.file, Line: max(line, 1), Column: max(col, 1), Message: fmt.Sprintf(format, args...)}
	// The same node reached through several aliases gives the same problem.
	if !slices.Contains(d.problems, p) {
		d.problems = append(d.problems, p)
	}
}

func (d *decoder) addAt(tk *token.Token, format string, args ...any) {
	line, col := 1, 1
	if tk != nil && tk.Position != nil {
		line, col = tk.Position.Line, tk.Position.Column
	}
	d.add(line, col, format, args...)
}

func (d *decoder) run(data []byte, cfg *Config) {
	if len(data) > MaxFileSize {
		d.add(1, 1, "%s", TooLarge(d.file, int64(len(data))).Problems[0].Message)
		return
	}
	if !utf8.Valid(data) {
		line, col := invalidUTF8(data)
		d.add(line, col, "the file is not valid UTF-8")
		return
	}
	// Editors on Windows may start the file with a byte order mark, which
	// YAML allows and which is not a column of the first line.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	tokens := lexer.Tokenize(string(data))
	if tk := yamldepth.TooDeep(tokens); tk != nil {
		d.addAt(tk, "lists and mappings are nested too deeply")
		return
	}
	file, err := parser.Parse(tokens, 0)
	if err != nil {
		var se *yaml.SyntaxError
		if errors.As(err, &se) {
			d.addAt(se.Token, "invalid YAML: %s", syntaxMessage(se.Message))
		} else {
			d.add(1, 1, "invalid YAML: %v", err)
		}
		return
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue // a stray "---" with nothing after it is harmless
		}
		if body != nil {
			at := doc.Start
			if at == nil {
				at = start(doc.Body)
			}
			d.addAt(at, "the file must hold one YAML document; another starts here")
			return
		}
		body = doc.Body
	}
	if body == nil {
		return // empty, or only comments: the defaults
	}
	d.collectAnchors(body, map[string]ast.Node{})
	root, ok := d.resolve(body)
	if !ok {
		return
	}
	m, ok := root.(*ast.MappingNode)
	if !ok {
		d.addAt(start(body), `the file must be a mapping of settings such as "version: 1", got %s`, describe(root))
		return
	}
	d.mapping("", m, reflect.ValueOf(cfg).Elem())
	d.check(cfg)
}

// duplicateKey matches the parser's message for a key given twice in one
// mapping, which names the first position in its own notation.
var duplicateKey = regexp.MustCompile(`^mapping key (".*") already defined at \[(\d+):(\d+)\]$`)

// syntaxMessage rewords the parser's messages that can be said more
// plainly; others are kept as they are.
func syntaxMessage(msg string) string {
	if m := duplicateKey.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("duplicate key %s (first given at line %s, column %s)", m[1], m[2], m[3])
	}
	return msg
}

// invalidUTF8 returns the line and column of the first invalid byte,
// breaking lines where YAML does: at "\r\n", "\n" and a lone "\r".
func invalidUTF8(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && n <= 1:
			return line, col
		case r == '\n', r == '\r' && (len(data) == 1 || data[1] != '\n'):
			line, col = line+1, 1
		case r != '\r':
			col++
		}
		data = data[n:]
	}
	return line, col
}

// collectAnchors records, for every alias, the anchor it refers to: the
// last one of that name defined before it, as YAML says. An anchor is
// recorded after its own content, so an alias can never refer to a node
// that contains it and resolving cannot loop.
func (d *decoder) collectAnchors(n ast.Node, anchors map[string]ast.Node) {
	switch t := n.(type) {
	case *ast.MappingNode:
		for _, mv := range t.Values {
			d.collectAnchors(mv, anchors)
		}
	case *ast.MappingValueNode:
		if t.Key != nil {
			d.collectAnchors(t.Key, anchors)
		}
		d.collectAnchors(t.Value, anchors)
	case *ast.MappingKeyNode:
		d.collectAnchors(t.Value, anchors)
	case *ast.SequenceNode:
		for _, e := range t.Values {
			d.collectAnchors(e, anchors)
		}
	case *ast.TagNode:
		d.collectAnchors(t.Value, anchors)
	case *ast.AnchorNode:
		d.collectAnchors(t.Value, anchors)
		if t.Name != nil && t.Value != nil {
			anchors[tokenValue(t.Name)] = t.Value
		}
	case *ast.AliasNode:
		if t.Value != nil {
			if target, ok := anchors[tokenValue(t.Value)]; ok {
				d.aliases[t] = target
			}
		}
	}
}

// resolve looks through anchors, aliases and the standard tags to the node
// that holds the value. It reports a problem and false when there is none.
func (d *decoder) resolve(n ast.Node) (ast.Node, bool) {
	at := start(n)
	for {
		switch t := n.(type) {
		case nil:
			d.addAt(at, "missing value")
			return nil, false
		case *ast.AnchorNode:
			n = t.Value
		case *ast.AliasNode:
			target, ok := d.aliases[t]
			if !ok {
				name := ""
				if t.Value != nil {
					name = tokenValue(t.Value)
				}
				d.addAt(t.GetToken(), "alias *%s refers to no anchor defined before it", name)
				return nil, false
			}
			n = target
		case *ast.TagNode:
			switch tag := tokenValue(t); tag {
			case "!!str":
				// "!!str 10" is the text "10": take the scalar as written.
				inner, ok := d.resolve(t.Value)
				if !ok {
					return nil, false
				}
				switch inner.(type) {
				case *ast.StringNode, *ast.LiteralNode, *ast.MappingNode, *ast.SequenceNode:
					return inner, true
				default:
					if inner.GetToken() == nil {
						d.addAt(at, "missing value")
						return nil, false
					}
					return ast.String(inner.GetToken()), true
				}
			case "!!map", "!!seq", "!!int", "!!bool", "!!float", "!!null":
				n = t.Value
			default:
				d.addAt(at, "tag %s is not supported here", quote(tag))
				return nil, false
			}
		default:
			return n, true
		}
	}
}

// start returns the token where a node begins in the text. A block
// mapping's own token is the first ':', so its first key is used instead.
func start(n ast.Node) *token.Token {
	switch t := n.(type) {
	case nil:
		return nil
	case *ast.MappingNode:
		if !t.IsFlowStyle && len(t.Values) > 0 {
			return start(t.Values[0])
		}
	case *ast.MappingValueNode:
		if t.Key != nil {
			return start(t.Key)
		}
	}
	return n.GetToken()
}

// field is a key of a struct of the Config.
type field struct {
	key   string
	index int
}

// fieldsOf lists the yaml keys of a struct type in declaration order.
func fieldsOf(t reflect.Type) []field {
	out := make([]field, 0, t.NumField())
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if key != "" && key != "-" {
			out = append(out, field{key: key, index: i})
		}
	}
	return out
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// mapping decodes the keys of m into the struct v found at path.
func (d *decoder) mapping(at string, m *ast.MappingNode, v reflect.Value) {
	fields := fieldsOf(v.Type())
	for _, mv := range m.Values {
		if d.full() {
			return
		}
		key, keyTok, ok := d.key(mv.Key)
		if !ok {
			continue
		}
		i := slices.IndexFunc(fields, func(f field) bool { return f.key == key })
		if i < 0 {
			d.addAt(keyTok, "%s", unknownKey(at, key, fields))
			continue
		}
		if mv.Value == nil {
			d.addAt(keyTok, "%s has no value", key)
			continue
		}
		d.decode(join(at, key), key, mv.Value, v.Field(fields[i].index))
	}
}

// key returns the name of a mapping key and where it is.
func (d *decoder) key(k ast.MapKeyNode) (string, *token.Token, bool) {
	if k == nil {
		return "", nil, false
	}
	var n ast.Node = k
	if mk, ok := n.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	at := start(n)
	if _, ok := n.(*ast.MergeKeyNode); ok {
		d.addAt(at, "merge keys (<<) are not supported: write the settings out in full")
		return "", nil, false
	}
	val, ok := d.resolve(n)
	if !ok {
		return "", nil, false
	}
	if s, ok := scalarString(val); ok {
		return s, at, true
	}
	switch val.(type) {
	case *ast.MappingNode, *ast.SequenceNode:
		d.addAt(at, "a key must be a name, got %s", describe(val))
		return "", nil, false
	}
	return tokenValue(val), at, true
}

// tokenValue is the text of a node's token, or "" when it has none.
func tokenValue(n ast.Node) string {
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// decode stores the value of n, found at key path at and shown as name in
// messages, into v. It reports whether the value was accepted.
func (d *decoder) decode(at, name string, n ast.Node, v reflect.Value) bool {
	tk := start(n)
	d.present[at] = tk
	val, ok := d.resolve(n)
	if ok {
		ok = d.decodeValue(at, name, tk, val, v)
	}
	if !ok {
		d.bad[at] = true
	}
	return ok
}

func (d *decoder) decodeValue(at, name string, tk *token.Token, val ast.Node, v reflect.Value) bool {
	switch v.Type() {
	case durationType:
		s, isStr := scalarString(val)
		dur, err := time.ParseDuration(s)
		if !isStr || err != nil {
			d.addAt(tk, `%s must be a duration such as "10m" or "90s", got %s`, name, describe(val))
			return false
		}
		v.SetInt(int64(dur))
		return true
	case priorityType:
		s, isStr := scalarString(val)
		i := slices.Index(priorityNames, s)
		if !isStr || i < 0 {
			d.addAt(tk, "%s must be one of %s, got %s", name, strings.Join(priorityNames, ", "), describe(val))
			return false
		}
		v.SetInt(int64(i))
		return true
	case areaType:
		s, isStr := scalarString(val)
		if !isStr || !slices.Contains(finding.Areas, finding.Area(s)) {
			names := areaStrings(finding.Areas)
			msg := fmt.Sprintf("%s must be one of %s, got %s", name, strings.Join(names, ", "), describe(val))
			if near := closest(s, names); isStr && near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			d.addAt(tk, "%s", msg)
			return false
		}
		v.SetString(s)
		return true
	}

	switch v.Kind() {
	case reflect.Struct:
		m, ok := val.(*ast.MappingNode)
		if !ok {
			d.addAt(tk, "%s must be a mapping, got %s", name, describe(val))
			return false
		}
		d.mapping(at, m, v)
		return true
	case reflect.Slice:
		seq, ok := val.(*ast.SequenceNode)
		if !ok {
			msg := fmt.Sprintf("%s must be a list, got %s", name, describe(val))
			if s, isStr := val.(*ast.StringNode); isStr && v.Type().Elem().Kind() == reflect.String {
				msg += fmt.Sprintf(" (write [%s] for a list of one)", quote(s.Value))
			}
			d.addAt(tk, "%s", msg)
			return false
		}
		out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		ok = true
		for i, e := range seq.Values {
			if d.full() {
				return false
			}
			ok = d.decode(fmt.Sprintf("%s[%d]", at, i), fmt.Sprintf("%s[%d]", name, i), e, out.Index(i)) && ok
		}
		v.Set(out)
		return ok
	case reflect.Bool:
		b, ok := val.(*ast.BoolNode)
		if !ok {
			d.addAt(tk, "%s must be true or false, got %s", name, describe(val))
			return false
		}
		v.SetBool(b.Value)
		return true
	case reflect.Int:
		n, ok := intValue(val)
		if !ok {
			d.addAt(tk, "%s must be an integer, got %s", name, describe(val))
			return false
		}
		v.SetInt(n)
		return true
	case reflect.Float64:
		f, ok := floatValue(val)
		if !ok {
			d.addAt(tk, "%s must be a number, got %s", name, describe(val))
			return false
		}
		v.SetFloat(f)
		return true
	case reflect.String:
		s, ok := scalarString(val)
		if !ok {
			d.addAt(tk, "%s must be a string, got %s", name, describe(val))
			return false
		}
		v.SetString(s)
		return true
	}
	// Every field type of Config is handled above, as the tests check; a
	// new type reaching here is reported rather than silently ignored.
	d.addAt(tk, "%s: no decoder for settings of type %s", name, v.Type())
	return false
}

// priorityNames are the accepted spellings of priorities, by value.
var priorityNames = []string{"P0", "P1", "P2", "P3"}

func areaStrings(areas []finding.Area) []string {
	out := make([]string, len(areas))
	for i, a := range areas {
		out[i] = string(a)
	}
	return out
}

// intValue returns an integer scalar that fits in an int.
func intValue(n ast.Node) (int64, bool) {
	in, ok := n.(*ast.IntegerNode)
	if !ok {
		return 0, false
	}
	var x int64
	switch v := in.Value.(type) {
	case int64:
		x = v
	case uint64:
		if v > uint64(int64(^uint(0)>>1)) {
			return 0, false
		}
		x = int64(v)
	default:
		return 0, false
	}
	if int64(int(x)) != x {
		return 0, false
	}
	return x, true
}

// floatValue returns a finite number scalar, integer or not.
func floatValue(n ast.Node) (float64, bool) {
	switch t := n.(type) {
	case *ast.IntegerNode:
		if i, ok := intValue(t); ok {
			return float64(i), true
		}
	case *ast.FloatNode:
		if !math.IsNaN(t.Value) && !math.IsInf(t.Value, 0) {
			return t.Value, true
		}
	}
	return 0, false
}

// scalarString returns the text of a string scalar, plain, quoted or block.
func scalarString(n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return "", true
		}
		return t.Value.Value, true
	}
	return "", false
}

// describe names a value for messages: the text of a scalar, or its kind.
func describe(n ast.Node) string {
	switch t := n.(type) {
	case *ast.StringNode:
		return quote(t.Value)
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.NullNode:
		return "nothing"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case nil:
		return "nothing"
	}
	if v := tokenValue(n); v != "" {
		return truncate(v)
	}
	return "an unknown value"
}

// quote quotes s for a message, shortening long text.
func quote(s string) string { return fmt.Sprintf("%q", truncate(s)) }

func truncate(s string) string {
	const maxRunes = 60
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	r := []rune(s)
	return string(r[:maxRunes]) + "…"
}

// check applies the rules that go beyond types, to the values that came
// from the file and were decoded.
func (d *decoder) check(c *Config) {
	if _, present := d.present["version"]; !present {
		d.add(1, 1, "version is missing: add \"version: %d\" at the top of the file", Version)
	} else if tk, ok := d.ok("version"); ok && c.Version != Version {
		d.addAt(tk, "version must be %d, got %d (this release understands version %d only)", Version, c.Version, Version)
	}

	r := c.Review
	if tk, ok := d.ok("review.focus"); ok && len(r.Focus) == 0 {
		d.addAt(tk, "focus must name at least one area; leave it out for the default (%s)", strings.Join(areaStrings(finding.DefaultFocus), ", "))
	}
	if tk, ok := d.ok("review.max_comments"); ok && (r.MaxComments < 1 || r.MaxComments > MaxComments) {
		d.addAt(tk, "max_comments must be between 1 and %d, got %d", MaxComments, r.MaxComments)
	}
	if tk, ok := d.ok("review.request_changes_on"); ok && !slices.Contains(requestChangesValues, r.RequestChangesOn) {
		d.addAt(tk, "request_changes_on must be one of %s, got %s", strings.Join(requestChangesValues, ", "), quote(r.RequestChangesOn))
	}
	if tk, ok := d.ok("review.passes"); ok && !slices.Contains(passes.Modes, r.Passes) {
		d.addAt(tk, "passes must be one of auto, combined, separate, got %s", quote(string(r.Passes)))
	}
	if tk, ok := d.ok("review.outside_diff"); ok && !slices.Contains(outsideDiffValues, r.OutsideDiff) {
		d.addAt(tk, "outside_diff must be one of %s, got %s", strings.Join(outsideDiffValues, ", "), quote(r.OutsideDiff))
	}
	if tk, ok := d.ok("review.min_confidence"); ok && (r.MinConfidence < 0 || r.MinConfidence > 1) {
		d.addAt(tk, "min_confidence must be between 0 and 1, got %s", strconv.FormatFloat(r.MinConfidence, 'g', -1, 64))
	}
	for i, pi := range r.PathInstructions {
		entry := fmt.Sprintf("review.path_instructions[%d]", i)
		tk, ok := d.ok(entry)
		if !ok {
			continue
		}
		if _, present := d.present[entry+".path"]; !present {
			d.addAt(tk, "path_instructions[%d] needs a path", i)
		} else if tk, ok := d.ok(entry + ".path"); ok {
			d.checkPattern("path", pi.Path, tk, false)
		}
		if _, present := d.present[entry+".instructions"]; !present {
			d.addAt(tk, "path_instructions[%d] needs instructions", i)
		} else if tk, ok := d.ok(entry + ".instructions"); ok && strings.TrimSpace(pi.Instructions) == "" {
			d.addAt(tk, "instructions must not be empty")
		}
	}
	for i, b := range r.Auto.BaseBranches {
		tk, ok := d.ok(fmt.Sprintf("review.auto.base_branches[%d]", i))
		if !ok {
			continue
		}
		if strings.TrimSpace(b) == "" {
			d.addAt(tk, "base_branches[%d] must not be empty", i)
		} else if _, err := path.Match(b, ""); err != nil {
			d.addAt(tk, "base_branches[%d]: invalid branch pattern %s: %v", i, quote(b), err)
		}
	}
	for i, a := range r.Auto.IgnoreAuthors {
		if tk, ok := d.ok(fmt.Sprintf("review.auto.ignore_authors[%d]", i)); ok && strings.TrimSpace(a) == "" {
			d.addAt(tk, "ignore_authors[%d] must not be empty", i)
		}
	}

	if tk, ok := d.ok("checks.fail_on"); ok && !slices.Contains(failOnValues, c.Checks.FailOn) {
		d.addAt(tk, "fail_on must be one of %s, got %s", strings.Join(failOnValues, ", "), quote(c.Checks.FailOn))
	}

	for i, p := range c.Paths.Exclude {
		if tk, ok := d.ok(fmt.Sprintf("paths.exclude[%d]", i)); ok {
			d.checkPattern(fmt.Sprintf("exclude[%d]", i), p, tk, false)
		}
	}
	for i, p := range c.Paths.Include {
		if tk, ok := d.ok(fmt.Sprintf("paths.include[%d]", i)); ok {
			d.checkPattern(fmt.Sprintf("include[%d]", i), p, tk, true)
		}
	}

	s := c.Sandbox
	if tk, ok := d.ok("sandbox.timeout"); ok && (s.Timeout < MinTimeout || s.Timeout > MaxTimeout) {
		d.addAt(tk, "timeout must be between %s and %s, got %s", shortDuration(MinTimeout), shortDuration(MaxTimeout), shortDuration(s.Timeout))
	}
	if tk, ok := d.ok("sandbox.network"); ok && !slices.Contains(networkValues, s.Network) {
		d.addAt(tk, "network must be one of %s, got %s", strings.Join(networkValues, ", "), quote(s.Network))
	}
	if tk, ok := d.ok("sandbox.enabled"); ok && s.Enabled && strings.TrimSpace(s.Command) == "" {
		if cmd, ok := d.ok("sandbox.command"); ok {
			tk = cmd
		}
		d.addAt(tk, `sandbox.enabled is true but sandbox.command is empty: set the command that runs the tests, such as "go test ./..."`)
	}

	if tk, ok := d.ok("model.max_input_tokens"); ok && c.Model.MaxInputTokens < 0 {
		d.addAt(tk, "max_input_tokens must be 0 (the model's own limit) or more, got %d", c.Model.MaxInputTokens)
	}
}

var (
	requestChangesValues = []string{RequestChangesNone, RequestChangesP0, RequestChangesP1}
	networkValues        = []string{NetworkNone, NetworkRestricted}
	outsideDiffValues    = []string{OutsideDiffNote, OutsideDiffDrop}
	failOnValues         = []string{FailOnNone, "P0", "P1", "P2", "P3"}
)

// ok returns where the value at path is when the file set it and it was
// decoded without a problem.
func (d *decoder) ok(path string) (*token.Token, bool) {
	tk, present := d.present[path]
	return tk, present && !d.bad[path]
}

// checkPattern reports a path pattern that pathglob cannot compile, and a
// leading '!', which gitignore users expect to negate but which here would
// be taken literally.
func (d *decoder) checkPattern(name, pattern string, tk *token.Token, include bool) {
	if strings.HasPrefix(pattern, "!") {
		hint := "list the files to review in paths.include instead"
		if include {
			hint = "list only the files to review here"
		}
		d.addAt(tk, "%s: %s starts with \"!\", but patterns cannot be negated; %s", name, quote(pattern), hint)
		return
	}
	if _, err := pathglob.Compile(pattern); err != nil {
		d.addAt(tk, "%s: %v", name, err)
	}
}

// shortDuration prints whole minutes and hours without the trailing zero
// units of time.Duration.String ("1h" rather than "1h0m0s").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
