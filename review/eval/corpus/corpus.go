// Package corpus is the built-in evaluation corpus of `codex-review eval`:
// small, realistic changes in Go, Python, Java, JavaScript and TypeScript,
// each with the findings a good review reports on it and why they are
// real, and clean changes (refactors, renames, documentation, correct
// fixes) on which any report is a false positive. The cases were written
// for this project.
//
// Every case is a change.diff, so evaluating the built-in corpus needs
// neither git nor a working tree.
package corpus

import (
	"embed"
	"io/fs"
)

//go:embed all:cases
var files embed.FS

// Root is the directory of FS that holds the cases.
const Root = "cases"

// FS holds one directory per case under Root.
var FS fs.FS = files

// Name is how reports name the built-in corpus.
const Name = "built-in"
