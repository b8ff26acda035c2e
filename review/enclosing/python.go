package enclosing

import (
	"regexp"
	"strings"
)

// pythonDef matches a line that starts a function or class.
var pythonDef = regexp.MustCompile(`^\s*(async\s+def|def|class)\s+\w`)

// pythonScopes finds the functions and classes of a Python file by
// indentation. A block runs from its def or class line (decorators above
// it included) to the last line before the next line of code indented no
// deeper than the def itself. Lines inside triple-quoted strings do not end
// a block, whatever their indentation.
func pythonScopes(lines []string) []scope {
	code := pythonCodeLines(lines)
	var scopes []scope
	for i, line := range lines {
		if !code[i] || !pythonDef.MatchString(line) {
			continue
		}
		ind := indentOf(line)
		open := headerEndPython(lines, i)
		end := open
		for k := open + 1; k < len(lines); k++ {
			if !code[k] {
				continue
			}
			if indentOf(lines[k]) <= ind {
				break
			}
			end = k
		}
		start := i
		for start > 0 && code[start-1] && strings.HasPrefix(strings.TrimSpace(lines[start-1]), "@") && indentOf(lines[start-1]) == ind {
			start--
		}
		k := function
		if strings.HasPrefix(strings.TrimSpace(line), "class") {
			k = container
		}
		scopes = append(scopes, scope{start: start + 1, open: open + 1, end: end + 1, kind: k})
	}
	return scopes
}

// pythonCodeLines marks the lines that can end a block: not blank, not a
// comment, and not inside a triple-quoted string that began on an earlier
// line.
func pythonCodeLines(lines []string) []bool {
	code := make([]bool, len(lines))
	quote := "" // the triple quote we are inside, if any
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if quote == "" {
			code[i] = t != "" && !strings.HasPrefix(t, "#")
		}
		for j := 0; j < len(line); j++ {
			switch {
			case quote != "":
				if strings.HasPrefix(line[j:], quote) {
					quote = ""
					j += 2
				}
			case line[j] == '#':
				j = len(line)
			case strings.HasPrefix(line[j:], `"""`) || strings.HasPrefix(line[j:], `'''`):
				quote = line[j : j+3]
				j += 2
			case line[j] == '"' || line[j] == '\'':
				if k := closingQuote(line, j); k > 0 {
					j = k
				}
			}
		}
	}
	return code
}

// headerEndPython returns the index of the line that ends the def or
// class header starting at line i: where its brackets are balanced again.
func headerEndPython(lines []string, i int) int {
	depth := 0
	for k := i; k < len(lines) && k < i+20; k++ {
		for _, c := range lines[k] {
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
			}
		}
		if depth <= 0 {
			return k
		}
	}
	return i
}

// indentOf measures leading white space, a tab counting as eight columns
// as Python's tokenizer counts it.
func indentOf(line string) int {
	n := 0
	for _, c := range line {
		switch c {
		case ' ':
			n++
		case '\t':
			n += 8 - n%8
		default:
			return n
		}
	}
	return n
}
