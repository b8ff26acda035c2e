// Package difftest makes diffs for the tests and benchmarks of packages
// that read them.
package difftest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Large returns a git diff of the given number of files with changedLines
// added plus deleted lines in all, shaped like a big pull request: Go,
// TypeScript and Python sources, tests, docs, lockfiles and generated
// code; most files modified in several hunks, some added, deleted or
// renamed. The same arguments always give the same bytes. With fewer
// changed lines than files, the files without any are pure renames.
func Large(files, changedLines int) []byte {
	g := &gen{rng: rand.New(rand.NewPCG(20240102, uint64(files)<<32|uint64(changedLines)))}
	shares := split(changedLines, files)
	g.buf.Grow(changedLines*60 + files*200)
	for i := 0; i < files; i++ {
		g.file(i, shares[i])
	}
	return g.buf.Bytes()
}

// kind is what a generated file is.
type kind struct {
	dir, ext string
	weight   int // share of the changed lines, relative to the others
	lines    []string
	section  string
}

// kinds cycle by file index, so every diff mixes them in fixed ratios.
var kinds = []kind{
	{dir: "internal/server", ext: ".go", weight: 4, lines: goLines, section: "func (s *Server) handle%s(w http.ResponseWriter, r *http.Request) {"},
	{dir: "internal/store", ext: ".go", weight: 4, lines: goLines, section: "func (db *DB) %s(ctx context.Context, id string) error {"},
	{dir: "pkg/client", ext: ".go", weight: 3, lines: goLines, section: "func (c *Client) %s(ctx context.Context) error {"},
	{dir: "internal/server", ext: "_test.go", weight: 3, lines: goTestLines, section: "func Test%s(t *testing.T) {"},
	{dir: "web/src/components", ext: ".ts", weight: 4, lines: tsLines, section: "export function %s(props: Props): JSX.Element {"},
	{dir: "web/src/api", ext: ".ts", weight: 3, lines: tsLines, section: "export async function %s(req: Request): Promise<Response> {"},
	{dir: "tools/scripts", ext: ".py", weight: 3, lines: pyLines, section: "def %s(self, path):"},
	{dir: "tests/integration", ext: "_test.py", weight: 2, lines: pyLines, section: "def test_%s(client):"},
	{dir: "docs", ext: ".md", weight: 2, lines: mdLines, section: "## %s"},
	{dir: "internal/server", ext: ".go", weight: 4, lines: goLines, section: "func %s(cfg Config) (*Server, error) {"},
	{dir: "web", ext: "/package-lock.json", weight: 8, lines: lockLines},
	{dir: "api/gen", ext: ".pb.go", weight: 6, lines: pbLines},
	{dir: "pkg/util", ext: ".go", weight: 2, lines: goLines, section: "func %s(s string) string {"},
	{dir: "services/go", ext: "/go.sum", weight: 3, lines: sumLines},
}

var words = []string{
	"Config", "Request", "Session", "Token", "Review", "Comment", "Repo", "Cache",
	"Queue", "Budget", "Anchor", "Finding", "Limit", "Retry", "Event", "Install",
}

var goLines = []string{
	"\tif err := s.%s(ctx, req); err != nil {",
	"\t\treturn fmt.Errorf(\"load %s: %%w\", err)",
	"\t}",
	"\t%s := make([]string, 0, len(items))",
	"\tdefer cancel() // %s",
	"\tfor _, item := range items {",
	"\t\tlog.Debug().Str(\"item\", item.ID).Msg(\"%s\")",
	"\treturn nil",
	"\t// %s must stay sorted: the index depends on it.",
	"\tctx, cancel := context.WithTimeout(ctx, 10*time.Second) // %s",
	"",
}

var goTestLines = []string{
	"\ttests := []struct{ name, in, want string }{",
	"\t\t{\"%s\", \"input\", \"output\"},",
	"\tfor _, tc := range tests {",
	"\t\tif got := run(tc.in); got != tc.want {",
	"\t\t\tt.Errorf(\"%s: got %%q, want %%q\", got, tc.want)",
	"\t\t}",
	"\t}",
	"",
}

var tsLines = []string{
	"  const %s = useMemo(() => compute(props), [props]);",
	"  if (!props.items.length) {",
	"    return <Empty label=\"%s\" />;",
	"  }",
	"  const res = await fetch(`/api/%s/${id}`);",
	"  // %s is cached for the page's lifetime.",
	"  return { ok: true, data };",
	"",
}

var pyLines = []string{
	"    %s = self.client.get(path, timeout=10)",
	"    if not result.ok:",
	"        raise RuntimeError(\"%s failed\")",
	"    for item in items:",
	"        yield item.%s",
	"    # %s stays in the same order as the API returns it",
	"    return None",
	"",
}

var mdLines = []string{
	"The %s setting controls how often the app retries.",
	"- `%s`: what the field means and its default.",
	"See the %s section below for an example.",
	"",
}

var lockLines = []string{
	"    \"node_modules/%s\": {",
	"      \"version\": \"1.2.3\",",
	"      \"resolved\": \"https://registry.npmjs.org/%s/-/pkg-1.2.3.tgz\",",
	"      \"integrity\": \"sha512-%sAbCdEfGhIjKlMnOpQrStUvWxYz0123456789==\",",
	"    },",
}

var sumLines = []string{
	"github.com/example/%s v1.2.3 h1:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd=",
	"github.com/example/%s v1.2.3/go.mod h1:ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210dcba=",
}

var pbLines = []string{
	"\t%s string `protobuf:\"bytes,1,opt,name=field,proto3\" json:\"field,omitempty\"`",
	"func (x *%s) Reset() {",
	"\tmi := &file_api_proto_msgTypes[0] // %s",
	"\tms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))",
	"}",
}

// gen writes one diff.
type gen struct {
	rng *rand.Rand
	buf bytes.Buffer
}

// split divides total among n files by the weight of their kinds, exactly.
func split(total, n int) []int {
	shares := make([]int, n)
	if n == 0 {
		return shares
	}
	weight := 0
	for i := range n {
		weight += kinds[i%len(kinds)].weight
	}
	given := 0
	for i := range n {
		shares[i] = total * kinds[i%len(kinds)].weight / weight
		given += shares[i]
	}
	for i := 0; given < total; i = (i + 1) % n {
		shares[i]++
		given++
	}
	return shares
}

func (g *gen) word() string { return words[g.rng.IntN(len(words))] }

func (g *gen) hash() string { return fmt.Sprintf("%07x", g.rng.Uint32()&0xfffffff) }

// line writes one hunk line with its marker.
func (g *gen) line(marker byte, k *kind) {
	g.buf.WriteByte(marker)
	format := k.lines[g.rng.IntN(len(k.lines))]
	if strings.Contains(format, "%s") {
		fmt.Fprintf(&g.buf, format, g.word())
	} else {
		g.buf.WriteString(format)
	}
	g.buf.WriteByte('\n')
}

// file writes file i of the diff with changed added and deleted lines.
func (g *gen) file(i, changed int) {
	k := &kinds[i%len(kinds)]
	path := fmt.Sprintf("%s/%s_%04d%s", k.dir, strings.ToLower(words[i%len(words)]), i, k.ext)
	if k.ext[0] == '/' {
		path = fmt.Sprintf("%s/m%04d%s", k.dir, i, k.ext)
	}
	switch {
	case changed == 0:
		old := "old/" + path
		fmt.Fprintf(&g.buf, "diff --git a/%s b/%s\nsimilarity index 100%%\nrename from %s\nrename to %s\n", old, path, old, path)
	case i%23 == 5:
		fmt.Fprintf(&g.buf, "diff --git a/%s b/%s\nnew file mode 100644\nindex 0000000..%s\n--- /dev/null\n+++ b/%s\n", path, path, g.hash(), path)
		fmt.Fprintf(&g.buf, "@@ -0,0 +1,%d @@\n", changed)
		for range changed {
			g.line('+', k)
		}
	case i%29 == 7:
		fmt.Fprintf(&g.buf, "diff --git a/%s b/%s\ndeleted file mode 100644\nindex %s..0000000\n--- a/%s\n+++ /dev/null\n", path, path, g.hash(), path)
		fmt.Fprintf(&g.buf, "@@ -1,%d +0,0 @@\n", changed)
		for range changed {
			g.line('-', k)
		}
	case i%31 == 11:
		old := fmt.Sprintf("%s/legacy/%s", k.dir, path[len(k.dir)+1:])
		fmt.Fprintf(&g.buf, "diff --git a/%s b/%s\nsimilarity index %d%%\nrename from %s\nrename to %s\nindex %s..%s 100644\n--- a/%s\n+++ b/%s\n",
			old, path, 60+g.rng.IntN(39), old, path, g.hash(), g.hash(), old, path)
		g.hunks(k, changed)
	default:
		fmt.Fprintf(&g.buf, "diff --git a/%s b/%s\nindex %s..%s 100644\n--- a/%s\n+++ b/%s\n", path, path, g.hash(), g.hash(), path, path)
		g.hunks(k, changed)
	}
}

// hunks writes changed lines as several hunks with three lines of context
// around each change, at increasing positions.
func (g *gen) hunks(k *kind, changed int) {
	const context = 3
	n := 1 + changed/15
	if n > 8 {
		n = 8
	}
	oldPos := 1 + g.rng.IntN(40) // first old line of the next hunk
	delta := 0                   // new line number minus old line number
	for h := range n {
		c := changed / n
		if h < changed%n {
			c++
		}
		del := c / 3
		if c > 1 && g.rng.IntN(4) == 0 {
			del = 0 // some hunks only add
		}
		add := c - del
		fmt.Fprintf(&g.buf, "@@ -%d,%d +%d,%d @@", oldPos, 2*context+del, oldPos+delta, 2*context+add)
		if k.section != "" {
			g.buf.WriteByte(' ')
			fmt.Fprintf(&g.buf, k.section, g.word())
		}
		g.buf.WriteByte('\n')
		for range context {
			g.line(' ', k)
		}
		for range del {
			g.line('-', k)
		}
		for range add {
			g.line('+', k)
		}
		for range context {
			g.line(' ', k)
		}
		oldPos += 2*context + del + 10 + g.rng.IntN(50)
		delta += add - del
	}
}
