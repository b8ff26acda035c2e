// Package corpus is the built-in evaluation corpus of `codex-review eval`:
// small, realistic changes in Go, Python, Java, JavaScript and TypeScript,
// each with the findings a good review reports on it and why they are
// real, and clean changes (refactors, renames, documentation, correct
// fixes) on which any report is a false positive. The cases were written
// for this project.
//
// Most cases are a change.diff. A few are base/ and head/ trees, so that
// the evaluation measures what the engine adds when it has the files: the
// enclosing function around a hunk, and the dependency analysis (those
// cases bundle their advisories in osv/, so nothing is looked up on the
// network). Loading the tree cases needs git.
//
// The cases live under testdata/ so that the go tool ignores the code in
// their trees: it is a corpus, not part of this module, and is meant to
// hold bugs. For the same reason a tree cannot hold a go.mod: go:embed
// leaves out a directory with one, as the root of another module.
package corpus

import (
	"embed"
	"io/fs"
)

//go:embed all:testdata
var files embed.FS

// Root is the directory of FS that holds the cases.
const Root = "testdata"

// FS holds one directory per case under Root.
var FS fs.FS = files

// Name is how reports name the built-in corpus.
const Name = "built-in"
