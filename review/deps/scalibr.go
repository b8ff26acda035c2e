package deps

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"testing/fstest"
	"time"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/uvlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
)

// The extractors' constructors take an optional plugin configuration; nil
// is their defaults (no size limit: the caller bounds what it reads).
var (
	newYarnLock     = yarnlock.New
	newPnpmLock     = pnpmlock.New
	newPoetryLock   = poetrylock.New
	newUVLock       = uvlock.New
	newPipfileLock  = pipfilelock.New
	newCargoLock    = cargolock.New
	newComposerLock = composerlock.New
)

// newFunc is the constructor every extractor package exports.
type newFunc = func(*cpb.PluginConfig) (filesystem.Extractor, error)

// extract runs one osv-scalibr extractor over a file held in memory. The
// extractors read their input from ScanInput.Reader; the few that look at
// sibling files (package-lock.json checks for npm-shrinkwrap.json) get an
// empty file system, since siblings are analysed on their own.
func extract(ctx context.Context, newExtractor newFunc, p string, data []byte) ([]*extractor.Package, error) {
	ex, err := newExtractor(nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	in := &filesystem.ScanInput{
		FS:     fstest.MapFS{},
		Path:   p,
		Root:   "/",
		Info:   memInfo{name: p, size: int64(len(data))},
		Reader: bytes.NewReader(data),
	}
	inv, err := ex.Extract(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return inv.Packages, nil
}

// scalibrParser adapts an extractor to a format's parse function: every
// package a lockfile lists is one concrete version.
func scalibrParser(newExtractor newFunc) func(context.Context, string, []byte) ([]entry, error) {
	return func(ctx context.Context, p string, data []byte) ([]entry, error) {
		pkgs, err := extract(ctx, newExtractor, p, data)
		if err != nil {
			return nil, err
		}
		out := make([]entry, 0, len(pkgs))
		for _, pkg := range pkgs {
			if pkg.Name == "" || pkg.Version == "" {
				continue
			}
			e := entry{name: pkg.Name, version: pkg.Version, exact: true, line: lineOf(pkg)}
			if pkg.SourceCode != nil && pkg.SourceCode.Commit != "" {
				e.flags = append(e.flags, FlagSource)
			}
			out = append(out, e)
		}
		return out, nil
	}
}

func lineOf(pkg *extractor.Package) int {
	if d := pkg.Location.Descriptor; d != nil && d.File != nil {
		return d.File.LineNumber
	}
	return 0
}

// memInfo describes an in-memory file for extractors that report sizes.
type memInfo struct {
	name string
	size int64
}

func (m memInfo) Name() string       { return m.name }
func (m memInfo) Size() int64        { return m.size }
func (m memInfo) Mode() fs.FileMode  { return 0o444 }
func (m memInfo) ModTime() time.Time { return time.Time{} }
func (m memInfo) IsDir() bool        { return false }
func (m memInfo) Sys() any           { return nil }
