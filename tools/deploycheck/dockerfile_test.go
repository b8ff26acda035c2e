package deploycheck

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/dockerignore"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"

	"github.com/codex-review/codex-review/tools/dockerlint"
)

func readRepoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDockerfileLint fails on any warning of BuildKit's linter, so the
// image builds clean with `docker build --check`.
func TestDockerfileLint(t *testing.T) {
	src := readRepoFile(t, "Dockerfile")
	// The linter honours the file's check directive: make sure it turns
	// every rule on (experimental ones too) and skips none.
	directive, _, _, ok := parser.ParseDirective("check", src)
	if !ok || !strings.Contains(directive, "error=true") || !strings.Contains(directive, "experimental=all") || strings.Contains(directive, "skip=") {
		t.Errorf("Dockerfile check directive = %q, want error=true;experimental=all and no skip", directive)
	}
	ws, err := dockerlint.Lint(t.Context(), "Dockerfile", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		t.Errorf("Dockerfile %s", w)
	}
}

// stages parses the Dockerfile into its stages.
func stages(t *testing.T) []instructions.Stage {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readRepoFile(t, "Dockerfile")))
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a runtime stage", len(st))
	}
	return st
}

func TestDockerfileBuildStage(t *testing.T) {
	st := stages(t)
	var build string
	for _, s := range st[:len(st)-1] {
		for _, c := range s.Commands {
			if r, ok := c.(*instructions.RunCommand); ok {
				build += strings.Join(r.CmdLine, " ") + "\n"
			}
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-buildvcs=false", "-X main.version=${VERSION}", "./cmd/codex-review"} {
		if !strings.Contains(build, want) {
			t.Errorf("the build stage does not run %q:\n%s", want, build)
		}
	}
}

func TestDockerfileRuntimeStage(t *testing.T) {
	st := stages(t)
	final := st[len(st)-1]
	if !strings.HasPrefix(final.BaseName, "debian:") || !strings.Contains(final.BaseName, "-slim") {
		t.Errorf("runtime base = %q, want a slim Debian", final.BaseName)
	}
	var (
		user, health string
		expose       []string
		volumes      []string
		env          = map[string]string{}
		runs         string
	)
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			health = strings.Join(c.Health.Test, " ")
		case *instructions.ExposeCommand:
			expose = append(expose, c.Ports...)
		case *instructions.VolumeCommand:
			volumes = append(volumes, c.Volumes...)
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env[kv.Key] = kv.Value
			}
		case *instructions.RunCommand:
			runs += strings.Join(c.CmdLine, " ") + "\n"
		case *instructions.CopyCommand:
			// The runtime stage takes the binary from the build stage and
			// nothing from the build context, where a stray key could be.
			if c.From == "" {
				t.Errorf("line %d: the runtime stage copies from the build context", c.Location()[0].Start.Line)
			}
		case *instructions.AddCommand:
			t.Errorf("line %d: ADD in the runtime stage", c.Location()[0].Start.Line)
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q, want a numeric non-root id (Kubernetes checks runAsNonRoot by number)", user)
	}
	if !strings.HasPrefix(health, "CMD ") || !strings.Contains(health, "/healthz") {
		t.Errorf("HEALTHCHECK %q, want an exec-form command that asks /healthz", health)
	}
	if !slices.Contains(expose, "8080") {
		t.Errorf("EXPOSE %v, want 8080", expose)
	}
	if !slices.Contains(volumes, "/data") {
		t.Errorf("VOLUME %v, want /data", volumes)
	}
	if got := env["CODEX_DATABASE_URL"]; got != "/data/codex-review.db" {
		t.Errorf("CODEX_DATABASE_URL = %q, want the SQLite file on the volume", got)
	}
	if got := env["CODEX_ADDR"]; got != ":8080" {
		t.Errorf("CODEX_ADDR = %q, want :8080 (the exposed port)", got)
	}
	for _, pkg := range []string{"bubblewrap", "ca-certificates", "--no-install-recommends", "rm -rf /var/lib/apt/lists"} {
		if !strings.Contains(runs, pkg) {
			t.Errorf("the runtime stage does not install/run %q", pkg)
		}
	}
}

// TestHealthCheckCommand runs the image's HEALTHCHECK command with the
// local bash against a stand-in server, so a quoting slip in the
// Dockerfile fails here rather than marking every container unhealthy.
func TestHealthCheckCommand(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed: the health check command cannot run here")
	}
	var cmd []string
	st := stages(t)
	for _, c := range st[len(st)-1].Commands {
		if h, ok := c.(*instructions.HealthCheckCommand); ok {
			cmd = h.Health.Test
		}
	}
	if len(cmd) < 2 || cmd[0] != "CMD" || cmd[1] != "bash" {
		t.Fatalf("HEALTHCHECK = %q, want [CMD bash …]", cmd)
	}
	healthy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		if !healthy {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name    string
		addr    string
		healthy bool
		want    bool
	}{
		{"serving", ":" + port, true, true},
		{"serving on a host address", "127.0.0.1:" + port, true, true},
		{"answering 503", ":" + port, false, false},
		{"nothing listening", closedAddr, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			healthy = tc.healthy
			c := exec.CommandContext(t.Context(), bash, cmd[2:]...)
			c.Env = []string{"CODEX_ADDR=" + tc.addr, "PATH=/usr/bin:/bin"}
			out, err := c.CombinedOutput()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			if got := err == nil; got != tc.want {
				t.Errorf("healthy = %v, want %v (%s)", got, tc.want, out)
			}
		})
	}
}

// TestDockerignore keeps credentials, databases and VCS data out of the
// build context while the sources the build needs stay in.
func TestDockerignore(t *testing.T) {
	patterns, err := dockerignore.ReadAll(bytes.NewReader(readRepoFile(t, ".dockerignore")))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path     string
		excluded bool
	}{
		{".git/config", true},
		{"private-key.pem", true},
		{"deploy/keys/app.private-key.pem", true},
		{"tls.key", true},
		{".env", true},
		{"cmd/codex-review/.env.local", true},
		{"codex-review.db", true},
		{"data/codex-review.db-wal", true},
		{"review/budget/budget.test", true},
		{"codex-review", true},
		{"tools/go.mod", true},
		{"go.mod", false},
		{"go.sum", false},
		{"cmd/codex-review/main.go", false},
		{"prompts/templates/system.md", false},
		{"app/repoconfig/codex.schema.json", false},
		{"app/webhook/testdata/issue_comment.created.json", false},
	}
	for _, tc := range tests {
		got, err := pm.MatchesOrParentMatches(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.excluded {
			t.Errorf("%s excluded = %v, want %v", tc.path, got, tc.excluded)
		}
	}
}
