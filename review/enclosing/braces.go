package enclosing

import (
	"regexp"
	"strings"
)

// braceScopes finds the blocks of a brace language. It skips string and
// character literals and comments, so braces inside them do not count;
// raw is the quote of strings that may span lines ("`" or `"""`), or "".
// A block that is never closed (a file cut short, a brace the scanner
// misread) ends at the last line.
func braceScopes(lines []string, raw string) []scope {
	type open struct{ line int }
	var (
		stack  []open
		blocks [][2]int // open line, close line (1-based)
		inRaw  bool     // inside a multi-line string
		inBlk  bool     // inside a /* */ comment
	)
	for i, line := range lines {
		n := i + 1
		for j := 0; j < len(line); j++ {
			c := line[j]
			switch {
			case inBlk:
				if c == '*' && j+1 < len(line) && line[j+1] == '/' {
					inBlk = false
					j++
				}
			case inRaw:
				if strings.HasPrefix(line[j:], raw) {
					inRaw = false
					j += len(raw) - 1
				} else if c == '\\' && raw != "`" {
					j++
				}
			case c == '/' && j+1 < len(line) && line[j+1] == '/':
				j = len(line)
			case c == '/' && j+1 < len(line) && line[j+1] == '*':
				inBlk = true
				j++
			case raw != "" && strings.HasPrefix(line[j:], raw):
				inRaw = true
				j += len(raw) - 1
			case c == '"' || c == '\'':
				// A quote closed on the same line is a literal; an
				// unclosed one (a Rust lifetime, an apostrophe in a
				// macro) is not.
				if k := closingQuote(line, j); k > 0 {
					j = k
				}
			case c == '{':
				stack = append(stack, open{n})
			case c == '}':
				if len(stack) > 0 {
					blocks = append(blocks, [2]int{stack[len(stack)-1].line, n})
					stack = stack[:len(stack)-1]
				}
			}
		}
	}
	for _, o := range stack {
		blocks = append(blocks, [2]int{o.line, len(lines)})
	}
	scopes := make([]scope, 0, len(blocks))
	for _, b := range blocks {
		if b[0] == b[1] {
			continue // a one-line block needs no context of its own
		}
		start := headerStart(lines, b[0])
		scopes = append(scopes, scope{start: start, open: b[0], end: b[1], kind: declarationKind(lines, start, b[0])})
	}
	return scopes
}

// closingQuote returns the index of the quote closing the literal opened
// at line[j], honouring backslash escapes, or -1.
func closingQuote(line string, j int) int {
	q := line[j]
	for k := j + 1; k < len(line); k++ {
		switch line[k] {
		case '\\':
			k++
		case q:
			return k
		}
	}
	return -1
}

// headerStart walks up from the line holding a block's "{" to the first
// line of its declaration: over a signature that continues from earlier
// lines and over annotations and decorators.
func headerStart(lines []string, open int) int {
	start := open
	for start > 1 && open-start < 8 {
		cur := strings.TrimSpace(lines[start-1])
		prev := strings.TrimSpace(lines[start-2])
		continues := strings.HasPrefix(cur, ")") || strings.HasPrefix(cur, "throws ") ||
			strings.HasPrefix(cur, "extends ") || strings.HasPrefix(cur, "implements ") ||
			strings.HasPrefix(cur, "where ") || strings.HasPrefix(cur, "->") || strings.HasPrefix(cur, ":") ||
			strings.HasSuffix(prev, ",") || strings.HasSuffix(prev, "(")
		annotation := strings.HasPrefix(prev, "@") && !strings.HasSuffix(prev, ";")
		if !continues && !annotation {
			break
		}
		start--
	}
	return start
}

// functionKeywords and containerKeywords open declarations in the brace
// languages.
var (
	functionKeywords  = regexp.MustCompile(`\b(func|function|fn|fun|constructor|init|deinit)\b`)
	containerKeywords = regexp.MustCompile(`\b(class|interface|struct|enum|trait|impl|record|namespace|object|module|union|type|protocol|extension)\b`)
)

// controlKeywords start a statement whose block is not a declaration.
var controlKeywords = map[string]bool{
	"if": true, "else": true, "for": true, "foreach": true, "while": true, "do": true, "switch": true,
	"case": true, "default": true, "try": true, "catch": true, "finally": true, "synchronized": true,
	"using": true, "lock": true, "select": true, "go": true, "defer": true, "return": true, "with": true,
	"when": true, "match": true, "loop": true, "unsafe": true, "guard": true, "repeat": true,
}

// signatureEnd matches the end of a method or function header that has no
// keyword of its own: "name(args) {", with an optional return type,
// throws clause or arrow.
var signatureEnd = regexp.MustCompile(`\)\s*(throws\s+[\w.,\s]+|:\s*[\w<>\[\]., ?|&]+|->\s*[^{]+|const|override|noexcept|async|mutating)?\s*\{$`)

// arrowBlock matches the start of a lambda's block: "=> {" or "-> {".
var arrowBlock = regexp.MustCompile(`(=>|->)\s*\{$`)

// declarationKind says whether the header on lines start..open (1-based)
// opens a function or method, a class or similar, or neither (a control
// block or a literal).
func declarationKind(lines []string, start, open int) kind {
	header := strings.TrimSpace(strings.Join(lines[start-1:open], " "))
	// Only the text up to the block's brace matters.
	if k := strings.LastIndex(header, "{"); k >= 0 {
		header = strings.TrimSpace(header[:k+1])
	}
	// Drop the closing brace of an earlier block ("} else {").
	header = strings.TrimSpace(strings.TrimLeft(header, "}"))
	if controlKeywords[firstWord(header)] {
		return block
	}
	switch {
	case arrowBlock.MatchString(header), functionKeywords.MatchString(header):
		return function
	case containerKeywords.MatchString(header):
		return container
	case signatureEnd.MatchString(header):
		// "name(args) {" without a keyword: a method, or a call
		// passing an anonymous class ("new Runnable() {"); either way
		// code runs in it.
		return function
	}
	return block
}

func firstWord(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	if end < 0 {
		return s
	}
	return s[:end]
}
