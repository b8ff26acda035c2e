package repoconfig

import (
	"fmt"
	"reflect"
	"strings"
)

// unknownKey words the problem of a key that the section at (a key path,
// "" for the top level) does not have, with a suggestion when the key looks
// like a misspelling of one it has, or when it belongs in another section.
func unknownKey(at, key string, fields []field) string {
	msg := "unknown key " + quote(key)
	if at != "" {
		msg += " in " + at
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.key
	}
	if near := closest(key, names); near != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", near)
	}
	if homes := keyHomes[key]; len(homes) > 0 {
		where := make([]string, len(homes))
		for i, h := range homes {
			if h == "" {
				where[i] = "at the top level"
			} else {
				where[i] = "under " + h
			}
		}
		return msg + " (it belongs " + strings.Join(where, " or ") + ")"
	}
	return msg
}

// keyHomes maps every key of the file to the sections that have it, such
// as "exclude" to "paths". Keys of list entries (path_instructions) are left
// out: "under review.path_instructions" would not say where to write them.
var keyHomes = func() map[string][]string {
	homes := map[string][]string{}
	var walk func(t reflect.Type, at string)
	walk = func(t reflect.Type, at string) {
		for _, f := range fieldsOf(t) {
			homes[f.key] = append(homes[f.key], at)
			if ft := t.Field(f.index).Type; ft.Kind() == reflect.Struct && ft != durationType {
				walk(ft, join(at, f.key))
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return homes
}()

// maxSuggestRunes skips suggestions for long words: no key is that long,
// and the edit distance costs the product of the lengths.
const maxSuggestRunes = 64

// closest returns the candidate nearest to s when it is near enough to be
// a likely misspelling: the same once case, '_' and '-' are ignored, or
// within one edit for short words and two for longer ones (a swap of
// neighbouring letters counts as one edit).
func closest(s string, candidates []string) string {
	a := []rune(normalizeKey(s))
	if len(a) == 0 || len(a) > maxSuggestRunes {
		return ""
	}
	limit := 1
	if len(a) > 4 {
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if dist := editDistance(a, []rune(normalizeKey(c))); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

func normalizeKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', ' ':
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent runes each cost one.
func editDistance(a, b []rune) int {
	// Three rows suffice: the swap looks two rows back.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
