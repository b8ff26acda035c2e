package budget

import (
	"fmt"
	"strings"
	"sync"

	tiktoken "github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// Counter counts the tokens a text costs in a model's prompt.
// Implementations must be safe for concurrent use.
type Counter interface {
	Count(text string) int
}

// The BPE encodings the counters use, by tiktoken's names.
const (
	EncodingO200k  = "o200k_base"
	EncodingCL100k = "cl100k_base"
)

// EncodingFor returns the encoding of an OpenAI model name: cl100k_base for
// the GPT-4 and GPT-3.5 families, o200k_base for GPT-4o, GPT-4.1, GPT-5 and
// the o-series. Unknown models (local servers, other vendors) get
// o200k_base: it is the current encoding, and any BPE count is only an
// estimate for a foreign tokenizer anyway.
func EncodingFor(model string) string {
	m := strings.ToLower(strings.TrimSpace(model))
	// "openai/gpt-4" or "azure/gpt-35-turbo": the vendor prefix says nothing
	// about the tokenizer.
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	switch {
	case strings.HasPrefix(m, "gpt-4o"), strings.HasPrefix(m, "gpt-4.1"),
		strings.HasPrefix(m, "gpt-4.5"), strings.HasPrefix(m, "chatgpt-4o"):
		return EncodingO200k
	case strings.HasPrefix(m, "gpt-4"), strings.HasPrefix(m, "gpt-3.5"),
		strings.HasPrefix(m, "gpt-35"), strings.HasPrefix(m, "text-embedding-"):
		return EncodingCL100k
	default:
		return EncodingO200k
	}
}

// NewCounter returns the counter for model's encoding (see EncodingFor).
// The encoding is loaded from the tables embedded in the binary, once per
// process; later calls share it.
func NewCounter(model string) (Counter, error) {
	c, err := encodingCounter(EncodingFor(model))
	if err != nil {
		return nil, fmt.Errorf("token counter for model %q: %w", model, err)
	}
	return c, nil
}

var (
	counterO200k  = sync.OnceValues(func() (*bpeCounter, error) { return loadCounter(EncodingO200k) })
	counterCL100k = sync.OnceValues(func() (*bpeCounter, error) { return loadCounter(EncodingCL100k) })
	// setLoader points tiktoken-go at the embedded tables before its first
	// use: its default loader downloads them at run time.
	setLoader = sync.OnceFunc(func() { tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader()) })
)

func encodingCounter(name string) (*bpeCounter, error) {
	switch name {
	case EncodingO200k:
		return counterO200k()
	case EncodingCL100k:
		return counterCL100k()
	default:
		return nil, fmt.Errorf("unknown encoding %q", name)
	}
}

func loadCounter(name string) (*bpeCounter, error) {
	setLoader()
	enc, err := tiktoken.GetEncoding(name)
	if err != nil {
		return nil, fmt.Errorf("load encoding %s: %w", name, err)
	}
	return newBPECounter(enc, name == EncodingO200k), nil
}

// bpeCounter counts tokens exactly as tiktoken does, faster.
//
// tiktoken first splits text into pieces with a regular expression, then
// byte-pair-encodes each piece on its own. In tiktoken-go the regular
// expression (regexp2, a backtracking engine) costs about 85% of the time,
// which limits it to about 2 MB/s: several seconds for a 50,000-line diff.
// For text made only of printable ASCII, tab, CR and LF (nearly all code),
// splitPieces does the same split by hand, and each piece's count comes
// from a cache, falling back to tiktoken for a piece seen for the first
// time. Any other text goes to tiktoken whole. The result is identical;
// FuzzCounterMatchesTiktoken checks it against tiktoken.
type bpeCounter struct {
	enc   *tiktoken.Tiktoken
	o200k bool // which split rules apply: o200k_base's or cl100k_base's

	mu    sync.RWMutex
	cache map[string]int
}

// Bounds of the piece cache: code repeats a limited vocabulary, so a few
// hundred thousand short pieces cover it, in a few tens of MB at most.
const (
	maxCachedPieces   = 1 << 18
	maxCachedPieceLen = 48
)

func newBPECounter(enc *tiktoken.Tiktoken, o200k bool) *bpeCounter {
	return &bpeCounter{enc: enc, o200k: o200k, cache: make(map[string]int, 1<<12)}
}

// Count returns the number of tokens of text, with special tokens such as
// "<|endoftext|>" counted as ordinary text: the diff is data, never control.
func (c *bpeCounter) Count(text string) int {
	if !fastPathText(text) {
		return len(c.enc.EncodeOrdinary(text))
	}
	n := 0
	splitPieces(text, c.o200k, func(piece string) {
		n += c.pieceTokens(piece)
	})
	return n
}

func (c *bpeCounter) pieceTokens(piece string) int {
	if len(piece) > maxCachedPieceLen {
		return len(c.enc.EncodeOrdinary(piece))
	}
	c.mu.RLock()
	n, ok := c.cache[piece]
	c.mu.RUnlock()
	if ok {
		return n
	}
	n = len(c.enc.EncodeOrdinary(piece))
	c.mu.Lock()
	if len(c.cache) < maxCachedPieces {
		// Clone: the piece points into the caller's (possibly large) text.
		c.cache[strings.Clone(piece)] = n
	}
	c.mu.Unlock()
	return n
}

// fastPathText reports whether every byte of s is one the hand-written
// split handles: printable ASCII, tab, CR or LF.
func fastPathText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c > 0x7e {
			return false
		}
	}
	return true
}

// splitPieces calls emit with each piece of s, in order, as tiktoken's
// pre-tokenising regular expression would cut it. s must satisfy
// fastPathText. Restricted to ASCII the two encodings' expressions are:
//
//	cl100k_base: '(s|t|re|ve|m|ll|d) (case-insensitive)
//	           | [^\r\n letters digits]? letters+
//	           | digits{1,3}
//	           | ' '? [^\s letters digits]+ [\r\n]*
//	           | \s* [\r\n]+
//	           | \s+ (?!\S)
//	           | \s+
//	o200k_base:  [^\r\n letters digits]? [A-Z]* [a-z]+ contraction?
//	           | [^\r\n letters digits]? [A-Z]+ [a-z]* contraction?
//	           | digits{1,3}
//	           | ' '? [^\s letters digits]+ [\r\n/]*
//	           | the three whitespace alternatives above
//
// where \s is space, tab, CR or LF. The alternatives are tried in order at
// each position, with backtracking inside each, as regexp2 does.
func splitPieces(s string, o200k bool, emit func(string)) {
	for i := 0; i < len(s); {
		n := pieceLen(s, i, o200k)
		emit(s[i : i+n])
		i += n
	}
}

// pieceLen returns the length of the piece starting at s[i]; it is at
// least 1, since the last whitespace or punctuation alternative always
// matches one character.
func pieceLen(s string, i int, o200k bool) int {
	c := s[i]
	if !o200k && c == '\'' {
		if n := contractionLen(s, i); n > 0 {
			return n
		}
	}
	// The optional prefix: one character that is not CR, LF, letter or digit.
	start := i
	if !isLetter(c) && !isDigit(c) && c != '\r' && c != '\n' && i+1 < len(s) && isLetter(s[i+1]) {
		start = i + 1
	}
	if isLetter(s[start]) {
		if !o200k {
			return runEnd(s, start, isLetter) - i
		}
		upperEnd := runEnd(s, start, isUpper)
		end := upperEnd
		if upperEnd < len(s) && isLower(s[upperEnd]) {
			end = runEnd(s, upperEnd, isLower)
		}
		return end + contractionLen(s, end) - i
	}
	if isDigit(c) {
		end := i + 1
		for end < len(s) && end < i+3 && isDigit(s[end]) {
			end++
		}
		return end - i
	}
	if isSpace(c) {
		end := runEnd(s, i, isSpace)
		// ' '? followed by punctuation: the punctuation alternative.
		if c == ' ' && i+1 < len(s) && isPunct(s[i+1]) {
			return punctPieceEnd(s, i+1, o200k) - i
		}
		// \s*[\r\n]+ ends at the last CR or LF of the run.
		for k := end - 1; k >= i; k-- {
			if s[k] == '\r' || s[k] == '\n' {
				return k + 1 - i
			}
		}
		// \s+(?!\S) leaves the last space of the run to the next piece,
		// unless the run ends the text or is one character long.
		if end < len(s) && end-i > 1 {
			return end - 1 - i
		}
		return end - i
	}
	return punctPieceEnd(s, i, o200k) - i
}

// punctPieceEnd returns the end of a punctuation run starting at i and of
// the CR and LF after it; o200k_base also takes '/' there, which matters
// after a CR or LF ("-\r/" is one piece).
func punctPieceEnd(s string, i int, o200k bool) int {
	end := runEnd(s, i, isPunct)
	for end < len(s) && (s[end] == '\r' || s[end] == '\n' || (o200k && s[end] == '/')) {
		end++
	}
	return end
}

// contractionLen returns the length of 's 't 're 've 'm 'll 'd (any case)
// at s[i], or 0.
func contractionLen(s string, i int) int {
	if i+1 >= len(s) || s[i] != '\'' {
		return 0
	}
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if i+2 < len(s) && lower(s[i+2]) == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && lower(s[i+2]) == 'l' {
			return 3
		}
	}
	return 0
}

func runEnd(s string, i int, in func(byte) bool) int {
	for i < len(s) && in(s[i]) {
		i++
	}
	return i
}

func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}

func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isLetter(c byte) bool { return isUpper(c) || isLower(c) }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
func isPunct(c byte) bool  { return !isSpace(c) && !isLetter(c) && !isDigit(c) }
