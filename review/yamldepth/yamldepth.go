// Package yamldepth bounds the nesting of a YAML file before it is
// parsed: go-yaml's parser takes time that grows with the square of the
// depth, so 64 KiB of "[" or of "- " takes many seconds to refuse.
package yamldepth

import "github.com/goccy/go-yaml/token"

// Bounds on nesting, far above what the project's YAML files need. Flow
// collections are counted by their brackets; block lists and explicit
// keys ("- - - x", "? ? x") are bounded by the column of their indicator,
// as every level moves it to the right.
const (
	MaxFlowDepth   = 32
	MaxBlockColumn = 80
)

// TooDeep returns the token where nesting goes beyond the bounds, or nil.
func TooDeep(tokens token.Tokens) *token.Token {
	depth := 0
	for _, tk := range tokens {
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			depth++
			if depth > MaxFlowDepth {
				return tk
			}
		case token.SequenceEndType, token.MappingEndType:
			depth = max(depth-1, 0)
		case token.SequenceEntryType, token.MappingKeyType:
			if tk.Position != nil && tk.Position.Column > MaxBlockColumn {
				return tk
			}
		}
	}
	return nil
}
