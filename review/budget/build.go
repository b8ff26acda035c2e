package budget

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/enclosing"
	"github.com/codex-review/codex-review/review/pathglob"
)

// DefaultMaxChunkTokens is the diff budget of one request when Options
// leaves it unset: well inside every current model's context, leaving room
// for instructions and answer, and small enough that a model still pays
// attention to all of it.
const DefaultMaxChunkTokens = 60_000

// Options control how a diff is cut into requests.
type Options struct {
	// MaxChunkTokens is the token budget for the diff text of one request;
	// zero or less means DefaultMaxChunkTokens.
	MaxChunkTokens int
	// MaxChunks caps the number of requests, and so the cost of a review;
	// 0 means no cap. Files that do not fit are listed as skipped.
	MaxChunks int
	// Exclude and Include are pathglob patterns from .codex.yml's paths
	// section. A file matching Exclude is skipped; when Include is not
	// empty, a file matching none of it is skipped too.
	Exclude, Include []string
	// Context holds, by file path (diff.File.Path), the code around each
	// of the file's hunks, one entry per hunk. It is shown with the
	// hunks and is the first thing left out when the budget is tight:
	// for a file that does not fit a chunk whole, and for every file
	// when MaxChunks cannot hold the change with it.
	Context map[string][]enclosing.Hunk
}

// Chunk is the diff text of one model request.
type Chunk struct {
	Files []string // paths in the order their text appears
	Text  string   // file sections in the format of FormatFile
	// Tokens is the sum of the Counter's counts of Text's lines; for the
	// counters of NewCounter that equals the count of Text as a whole.
	Tokens int
}

// Plan is the diff cut into requests, and what was left out.
type Plan struct {
	Chunks   []Chunk
	Coverage Coverage
}

// Build drops the files not worth reviewing, orders the rest by review
// value and packs them into chunks of at most MaxChunkTokens tokens,
// splitting files at hunk boundaries and hunks into line windows when they
// are too large. Nothing is cut silently: every file or part left out is in
// Coverage.Skipped with the reason. It fails only on invalid patterns.
//
// Counting: Build counts every line it may send exactly, once, on up to
// GOMAXPROCS goroutines; skipped files are never formatted or counted. The
// sum of the line counts is the count of any text made of those lines (see
// the format notes), so splitting needs no recount, and no estimate is
// needed: no chunk can exceed its budget. With the counters of NewCounter
// (see bpeCounter), BenchmarkBuildLarge budgets 50,000 changed lines in
// about 0.1 s for o200k_base; cl100k_base keeps whole identifiers as one
// piece, so its piece cache misses more and a cold run takes 0.6-0.7 s.
func Build(d *diff.Diff, c Counter, opt Options) (*Plan, error) {
	b, err := newBuilder(c, opt)
	if err != nil {
		return nil, err
	}
	var files []*diff.File
	if d != nil {
		files = d.Files
	}
	return b.build(files), nil
}

func newBuilder(c Counter, opt Options) (*builder, error) {
	exclude, err := pathglob.NewSet(opt.Exclude)
	if err != nil {
		return nil, fmt.Errorf("paths.exclude: %w", err)
	}
	include, err := pathglob.NewSet(opt.Include)
	if err != nil {
		return nil, fmt.Errorf("paths.include: %w", err)
	}
	b := &builder{
		counter:   c,
		budget:    opt.MaxChunkTokens,
		maxChunks: max(opt.MaxChunks, 0),
		exclude:   exclude,
		include:   include,
		context:   opt.Context,
	}
	if b.budget <= 0 {
		b.budget = DefaultMaxChunkTokens
	}
	return b, nil
}

// Kept returns the files of d that Build would send to the model (not
// excluded, not generated, not binary, with a textual change), in diff
// order, so that a caller reads the head version of those files only.
func Kept(d *diff.Diff, opt Options) ([]*diff.File, error) {
	b, err := newBuilder(nil, opt)
	if err != nil || d == nil {
		return nil, err
	}
	var out []*diff.File
	for _, f := range d.Files {
		added, deleted := f.Stats()
		if b.skipReason(f, added, deleted) == "" {
			out = append(out, f)
		}
	}
	return out, nil
}

type builder struct {
	counter          Counter
	budget           int
	maxChunks        int
	exclude, include *pathglob.Set
	context          map[string][]enclosing.Hunk
}

// fileText is a kept file, formatted line by line with token counts.
type fileText struct {
	index          int // position in the diff, for a stable order
	f              *diff.File
	path           string
	class          fileClass
	added, deleted int
	width          int
	header         entry // the "File:" line without a part note
	hunks          []hunkText
	tokens         int // the whole file as one part, with its context
	context        int // tokens of the context lines, 0 when it has none
	hadContext     bool
}

type hunkText struct {
	header  entry
	lines   []entry
	tokens  int // header and lines, without context
	changed int // added and deleted lines
	// before and after are the context lines shown around the hunk.
	before, after []entry
}

// dropContext leaves the file's context out.
func (ft *fileText) dropContext() {
	for i := range ft.hunks {
		ft.hunks[i].before, ft.hunks[i].after = nil, nil
	}
	ft.tokens -= ft.context
	ft.context = 0
}

// entry is one line of text (a diff line keeps its no-newline marker).
type entry struct {
	text    string
	tokens  int
	changed bool
}

// part is a piece of one file that goes into one chunk whole.
type part struct {
	file    *fileText
	text    string
	tokens  int
	changed int
}

// fileState follows a kept file through splitting and packing.
type fileState struct {
	placed           int
	changedPlaced    int
	tooLong          int // changed lines in windows no chunk can hold
	budgetExhausted  bool
	headerIsTooLarge bool
}

func (b *builder) build(files []*diff.File) *Plan {
	plan := &Plan{}
	cov := &plan.Coverage
	cov.FilesChanged = len(files)
	reasons := make([]string, len(files))
	var keep []int
	for i, f := range files {
		added, deleted := f.Stats()
		cov.LinesChanged += added + deleted
		if r := b.skipReason(f, added, deleted); r != "" {
			reasons[i] = r
			continue
		}
		keep = append(keep, i)
	}

	texts := b.formatAll(files, keep)
	slices.SortFunc(texts, compareReviewValue)
	withContext := false
	for _, ft := range texts {
		ft.hadContext = ft.context > 0
		withContext = withContext || ft.hadContext
	}

	chunks, states := b.place(texts)
	if b.exhausted(states) && withContext {
		// MaxChunks cannot hold the whole change with its context:
		// the context goes before any changed line does.
		for _, ft := range texts {
			ft.dropContext()
		}
		chunks, states = b.place(texts)
	}
	for _, ch := range chunks {
		plan.Chunks = append(plan.Chunks, ch.finish())
	}
	cov.Chunks = len(plan.Chunks)
	for _, ft := range texts {
		switch {
		case states[ft].placed == 0:
		case ft.context > 0:
			cov.ContextFiles++
		case ft.hadContext:
			cov.ContextTrimmed++
		}
	}

	for _, ft := range texts {
		st := states[ft]
		if st.placed > 0 {
			cov.FilesReviewed++
			cov.LinesReviewed += st.changedPlaced
		}
		reasons[ft.index] = b.partialReason(ft, st)
	}
	for i, f := range files {
		if reasons[i] != "" {
			cov.Skipped = append(cov.Skipped, Skip{Path: f.Path(), Reason: reasons[i]})
		}
	}
	return plan
}

// place cuts the files into parts and packs them into chunks.
func (b *builder) place(texts []*fileText) ([]*chunkBuild, map[*fileText]*fileState) {
	states := make(map[*fileText]*fileState, len(texts))
	var parts []part
	for _, ft := range texts {
		st := &fileState{}
		states[ft] = st
		ps, tooLong, headerTooLarge := b.split(ft)
		st.tooLong, st.headerIsTooLarge = tooLong, headerTooLarge
		parts = append(parts, ps...)
	}
	return b.pack(parts, states), states
}

// exhausted reports whether MaxChunks left any part out.
func (b *builder) exhausted(states map[*fileText]*fileState) bool {
	for _, st := range states {
		if st.budgetExhausted {
			return true
		}
	}
	return false
}

// skipReason says why f is not sent to the model at all, or "".
func (b *builder) skipReason(f *diff.File, added, deleted int) string {
	path := f.Path()
	if p, ok := b.exclude.Match(path); ok {
		return fmt.Sprintf("excluded by paths.exclude pattern %q", p)
	}
	// A renamed file is kept if either of its names is wanted.
	if b.include.Len() > 0 {
		_, okNew := b.include.Match(path)
		_, okOld := b.include.Match(f.OldPath)
		if !okNew && !okOld {
			return "not matched by paths.include"
		}
	}
	if f.Binary {
		return "binary file"
	}
	if added+deleted == 0 {
		switch {
		case f.Status == diff.StatusRenamed:
			return "no textual change (pure rename)"
		case f.Status == diff.StatusCopied:
			return "no textual change (pure copy)"
		case f.OldMode != f.NewMode && f.OldMode != "" && f.NewMode != "":
			return "no textual change (mode change only)"
		case f.Status == diff.StatusAdded:
			return "no textual change (empty new file)"
		case f.Status == diff.StatusRemoved:
			return "no textual change (empty file deleted)"
		default:
			return "no textual change"
		}
	}
	return generatedReason(f)
}

// formatAll formats and counts the kept files, on a bounded number of
// goroutines: counting is the expensive step when a diff is mostly
// non-ASCII text, which the fast counter path does not cover.
func (b *builder) formatAll(files []*diff.File, keep []int) []*fileText {
	texts := make([]*fileText, len(keep))
	workers := min(runtime.GOMAXPROCS(0), len(keep))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(keep) {
					return
				}
				texts[k] = b.format(keep[k], files[keep[k]])
			}
		})
	}
	wg.Wait()
	return texts
}

func (b *builder) format(index int, f *diff.File) *fileText {
	ft := &fileText{index: index, f: f, path: f.Path(), class: classify(f.Path())}
	ft.added, ft.deleted = f.Stats()
	ctx := b.context[ft.path]
	if len(ctx) != len(f.Hunks) {
		ctx = nil // not this diff's context: show none rather than a wrong one
	}
	ft.width = max(numberWidth(f, nil), contextWidth(ctx))
	ft.header = b.entry(fileHeader(f, ""), false)
	ft.tokens = ft.header.tokens
	ft.hunks = make([]hunkText, len(f.Hunks))
	var buf []byte
	for i := range f.Hunks {
		h := &f.Hunks[i]
		ht := &ft.hunks[i]
		ht.header = b.entry(hunkHeader(h), false)
		ht.tokens = ht.header.tokens
		ht.lines = make([]entry, len(h.Lines))
		for j, l := range h.Lines {
			buf = appendLine(buf[:0], ft.width, l)
			changed := l.Kind != diff.Context
			ht.lines[j] = b.entry(string(buf), changed)
			ht.tokens += ht.lines[j].tokens
			if changed {
				ht.changed++
			}
		}
		ft.tokens += ht.tokens
		if ctx != nil {
			ht.before = b.contextEntries(ctx[i].Before, ft.width)
			ht.after = b.contextEntries(ctx[i].After, ft.width)
			for _, e := range slices.Concat(ht.before, ht.after) {
				ft.context += e.tokens
			}
		}
	}
	ft.tokens += ft.context
	return ft
}

func (b *builder) contextEntries(lines []enclosing.Line, width int) []entry {
	if len(lines) == 0 {
		return nil
	}
	out := make([]entry, len(lines))
	var buf []byte
	for i, l := range lines {
		buf = appendContextLine(buf[:0], width, l)
		out[i] = b.entry(string(buf), false)
	}
	return out
}

func (b *builder) entry(text string, changed bool) entry {
	return entry{text: text, tokens: b.counter.Count(text), changed: changed}
}

// compareReviewValue orders files: source before tests before docs and
// configuration; within a class, files that add code before files that
// only delete; then larger changes first; then by path.
func compareReviewValue(a, b *fileText) int {
	if c := cmp.Compare(a.class, b.class); c != 0 {
		return c
	}
	if c := cmp.Compare(boolRank(a.added == 0), boolRank(b.added == 0)); c != 0 {
		return c
	}
	if c := cmp.Compare(b.added+b.deleted, a.added+a.deleted); c != 0 {
		return c
	}
	if c := strings.Compare(a.path, b.path); c != 0 {
		return c
	}
	return cmp.Compare(a.index, b.index)
}

func boolRank(v bool) int {
	if v {
		return 1
	}
	return 0
}

// segment is what one part of a split file holds: whole hunks [h0, h1),
// or, when window is set, lines [l0, l1) of hunk h0.
type segment struct {
	h0, h1  int
	window  bool
	l0, l1  int
	tokens  int // without the part header
	changed int
}

// split cuts ft into parts of at most b.budget tokens each. It returns the
// changed lines it had to leave out because one line with its hunk header
// does not fit any chunk, and whether even the file header does not fit.
func (b *builder) split(ft *fileText) (parts []part, tooLong int, headerTooLarge bool) {
	if ft.tokens > b.budget {
		// A file cut into parts is shown without its context: the
		// context would cost room in every part, and the parts' cuts
		// would fall inside it.
		ft.dropContext()
	}
	if ft.tokens <= b.budget {
		var sb strings.Builder
		sb.WriteString(ft.header.text)
		changed := 0
		for i := range ft.hunks {
			writeHunk(&sb, &ft.hunks[i], 0, len(ft.hunks[i].lines))
			changed += ft.hunks[i].changed
		}
		return []part{{file: ft, text: sb.String(), tokens: ft.tokens, changed: changed}}, 0, false
	}
	// Reserve room for the longest header a part can get, then check the
	// real headers; if one is longer than reserved (a counter whose count
	// of digits is not monotonic), shrink the room and cut again.
	maxParts, maxLines := len(ft.hunks), 1
	for i := range ft.hunks {
		maxParts += len(ft.hunks[i].lines)
		maxLines = max(maxLines, len(ft.hunks[i].lines))
	}
	last := segment{window: true, h0: len(ft.hunks) - 1, l0: maxLines - 1, l1: maxLines}
	worst := b.counter.Count(fileHeader(ft.f, partNote(maxParts, maxParts, len(ft.hunks), last, maxLines)))
	capacity := b.budget - worst
	for capacity > 0 {
		segs, skipped := planSegments(ft, capacity)
		parts = parts[:0]
		over := 0
		for i, s := range segs {
			p := renderPart(ft, s, i+1, len(segs), b.counter)
			over = max(over, p.tokens-b.budget)
			parts = append(parts, p)
		}
		if over == 0 {
			return parts, skipped, false
		}
		capacity -= over
	}
	return nil, 0, true
}

// planSegments groups whole hunks up to capacity tokens and cuts any hunk
// larger than that into windows of lines, each with the hunk header.
func planSegments(ft *fileText, capacity int) (segs []segment, tooLong int) {
	var cur *segment
	flush := func() {
		if cur != nil {
			segs = append(segs, *cur)
			cur = nil
		}
	}
	for h := range ft.hunks {
		ht := &ft.hunks[h]
		if ht.tokens <= capacity {
			if cur != nil && !cur.window && cur.tokens+ht.tokens <= capacity {
				cur.h1 = h + 1
				cur.tokens += ht.tokens
				cur.changed += ht.changed
				continue
			}
			flush()
			cur = &segment{h0: h, h1: h + 1, tokens: ht.tokens, changed: ht.changed}
			continue
		}
		flush()
		for l, e := range ht.lines {
			if ht.header.tokens+e.tokens > capacity {
				flush()
				if e.changed {
					tooLong++
				}
				continue
			}
			if cur != nil && cur.tokens+e.tokens > capacity {
				flush()
			}
			if cur == nil {
				cur = &segment{h0: h, h1: h + 1, window: true, l0: l, l1: l, tokens: ht.header.tokens}
			}
			cur.l1 = l + 1
			cur.tokens += e.tokens
			if e.changed {
				cur.changed++
			}
		}
		flush()
	}
	flush()
	return segs, tooLong
}

func renderPart(ft *fileText, s segment, i, n int, c Counter) part {
	header := fileHeader(ft.f, partNote(i, n, len(ft.hunks), s, len(ft.hunks[s.h0].lines)))
	var sb strings.Builder
	sb.WriteString(header)
	if s.window {
		writeHunk(&sb, &ft.hunks[s.h0], s.l0, s.l1)
	} else {
		for h := s.h0; h < s.h1; h++ {
			writeHunk(&sb, &ft.hunks[h], 0, len(ft.hunks[h].lines))
		}
	}
	return part{file: ft, text: sb.String(), tokens: c.Count(header) + s.tokens, changed: s.changed}
}

// partNote says which part of its file a part is, for its header.
func partNote(i, n, hunks int, s segment, hunkLines int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "part %d of %d: ", i, n)
	switch {
	case s.window:
		fmt.Fprintf(&b, "hunk %d of %d cut to fit, its diff lines %d-%d of %d", s.h0+1, hunks, s.l0+1, s.l1, hunkLines)
	case s.h1-s.h0 == 1:
		fmt.Fprintf(&b, "hunk %d of %d", s.h0+1, hunks)
	default:
		fmt.Fprintf(&b, "hunks %d-%d of %d", s.h0+1, s.h1, hunks)
	}
	return b.String()
}

// writeHunk writes the header and lines l0..l1 of a hunk, with its
// context when the whole hunk is written.
func writeHunk(sb *strings.Builder, ht *hunkText, l0, l1 int) {
	sb.WriteString(ht.header.text)
	whole := l0 == 0 && l1 == len(ht.lines)
	if whole {
		for _, e := range ht.before {
			sb.WriteString(e.text)
		}
	}
	for _, e := range ht.lines[l0:l1] {
		sb.WriteString(e.text)
	}
	if whole {
		for _, e := range ht.after {
			sb.WriteString(e.text)
		}
	}
}

// chunkBuild is a chunk being filled.
type chunkBuild struct {
	parts  []part
	tokens int
}

func (c *chunkBuild) finish() Chunk {
	var sb strings.Builder
	size := 0
	for _, p := range c.parts {
		size += len(p.text)
	}
	sb.Grow(size)
	ch := Chunk{Tokens: c.tokens}
	for _, p := range c.parts {
		sb.WriteString(p.text)
		if !slices.Contains(ch.Files, p.file.path) {
			ch.Files = append(ch.Files, p.file.path)
		}
	}
	ch.Text = sb.String()
	return ch
}

// pack places parts first-fit, in order: each goes into the first chunk
// with room, or a new chunk while MaxChunks allows. A part that fits
// nowhere is left out and its file marked. Finding the first chunk with
// room is a search in a tree of free capacities, so packing stays
// O(n log n) even when a tiny budget makes thousands of chunks.
func (b *builder) pack(parts []part, states map[*fileText]*fileState) []*chunkBuild {
	var chunks []*chunkBuild
	free := newFirstFit(len(parts))
	for _, p := range parts {
		st := states[p.file]
		k := free.first(p.tokens)
		if k < 0 {
			if b.maxChunks > 0 && len(chunks) >= b.maxChunks {
				st.budgetExhausted = true
				continue
			}
			k = len(chunks)
			chunks = append(chunks, &chunkBuild{})
			free.set(k, b.budget)
		}
		ch := chunks[k]
		ch.parts = append(ch.parts, p)
		ch.tokens += p.tokens
		free.set(k, b.budget-ch.tokens)
		st.placed++
		st.changedPlaced += p.changed
	}
	return chunks
}

// partialReason explains a kept file that was not, or not fully, reviewed.
func (b *builder) partialReason(ft *fileText, st *fileState) string {
	total := ft.added + ft.deleted
	var why []string
	if st.headerIsTooLarge {
		why = append(why, fmt.Sprintf("its header alone is larger than the chunk budget of %d tokens", b.budget))
	}
	if st.tooLong > 0 {
		why = append(why, fmt.Sprintf("%d changed lines are each larger than the chunk budget of %d tokens", st.tooLong, b.budget))
	}
	if st.budgetExhausted {
		why = append(why, fmt.Sprintf("the review's token budget (%d chunks of up to %d tokens) was used up", b.maxChunks, b.budget))
	}
	if len(why) == 0 {
		return ""
	}
	if st.placed == 0 {
		return "not reviewed: " + strings.Join(why, "; ")
	}
	return fmt.Sprintf("partly reviewed: %d of %d changed lines not reviewed: %s",
		total-st.changedPlaced, total, strings.Join(why, "; "))
}

// firstFit is a max-tree over the free capacity of chunks: first(t) finds
// the lowest-numbered chunk with at least t tokens free.
type firstFit struct {
	size int
	tree []int
}

func newFirstFit(n int) *firstFit {
	size := 1
	for size < n {
		size *= 2
	}
	t := &firstFit{size: size, tree: make([]int, 2*size)}
	for i := range t.tree {
		t.tree[i] = -1 // no chunk yet
	}
	return t
}

func (t *firstFit) set(k, free int) {
	i := t.size + k
	t.tree[i] = free
	for i /= 2; i >= 1; i /= 2 {
		t.tree[i] = max(t.tree[2*i], t.tree[2*i+1])
	}
}

func (t *firstFit) first(need int) int {
	if t.tree[1] < need {
		return -1
	}
	i := 1
	for i < t.size {
		if t.tree[2*i] >= need {
			i = 2 * i
		} else {
			i = 2*i + 1
		}
	}
	return i - t.size
}
