// Package dockerlint checks a Dockerfile with BuildKit's own linter (the
// rules `docker build --check` applies), offline: base images are not
// pulled, their configuration is stood in for by an empty image of the
// requested platform, which is all the rules need.
package dockerlint

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Warning is one rule the Dockerfile breaks.
type Warning struct {
	Rule   string // e.g. "JSONArgsRecommended"
	Detail string // what is wrong, in the rule's words
	URL    string // the rule's documentation
	Line   int    // 1-based; 0 when the rule names no line
}

func (w Warning) String() string {
	return fmt.Sprintf("line %d: %s: %s (%s)", w.Line, w.Rule, w.Detail, w.URL)
}

// Lint runs every rule the Dockerfile's `# check=` directive enables (all
// stable rules when it has none) over all stages. A Dockerfile the
// frontend cannot even convert is an error; rule violations are warnings.
func Lint(ctx context.Context, name string, dockerfile []byte) ([]Warning, error) {
	src := llb.NewSourceMap(nil, name, "Dockerfile", dockerfile)
	// The results index the source by its LLB definition; there is none
	// without a build, so an empty one stands in.
	src.Definition = &llb.Definition{}
	res, err := dockerfile2llb.DockerfileLint(ctx, dockerfile, dockerfile2llb.ConvertOpt{
		SourceMap:    src,
		MetaResolver: offlineResolver{},
	})
	if err != nil {
		return nil, fmt.Errorf("lint %s: %w", name, err)
	}
	// With `# check=error=true` a rule violation also ends the conversion
	// with an error naming the rules; the warnings then say more, so only
	// an error without warnings is a broken Dockerfile.
	if res.Error != nil && len(res.Warnings) == 0 {
		return nil, fmt.Errorf("lint %s: the Dockerfile does not build: %s", name, res.Error.Message)
	}
	out := make([]Warning, 0, len(res.Warnings))
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, Warning{Rule: w.RuleName, Detail: w.Detail, URL: w.URL, Line: line})
	}
	return out, nil
}

// offlineResolver answers every base image lookup with an empty image of
// the requested platform, so linting never reaches a registry.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := ocispecs.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	cfg, err := json.Marshal(ocispecs.Image{Platform: p, RootFS: ocispecs.RootFS{Type: "layers"}})
	if err != nil {
		return "", "", nil, fmt.Errorf("image config for %s: %w", ref, err)
	}
	return ref, digest.FromBytes(cfg), cfg, nil
}
