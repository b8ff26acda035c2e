package budget

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestEncodingFor(t *testing.T) {
	tests := []struct{ model, want string }{
		{"gpt-4o", EncodingO200k},
		{"gpt-4o-mini", EncodingO200k},
		{"GPT-4.1-nano", EncodingO200k},
		{"gpt-5-codex", EncodingO200k},
		{"gpt-5", EncodingO200k},
		{"o1-mini", EncodingO200k},
		{"o3", EncodingO200k},
		{"o4-mini", EncodingO200k},
		{"chatgpt-4o-latest", EncodingO200k},
		{"gpt-4", EncodingCL100k},
		{"gpt-4-turbo", EncodingCL100k},
		{"gpt-3.5-turbo", EncodingCL100k},
		{"azure/gpt-35-turbo", EncodingCL100k},
		{"openai/gpt-4o", EncodingO200k},
		{"qwen2.5-coder:32b", EncodingO200k},
		{"", EncodingO200k},
	}
	for _, tt := range tests {
		if got := EncodingFor(tt.model); got != tt.want {
			t.Errorf("EncodingFor(%q) = %q, want %q", tt.model, got, tt.want)
		}
	}
}

// TestCounterKnownCounts pins counts from the examples of tiktoken and of
// OpenAI's cookbook ("How to count tokens with tiktoken"), and how special
// tokens in untrusted text are counted.
func TestCounterKnownCounts(t *testing.T) {
	tests := []struct {
		model string
		text  string
		want  int
	}{
		{"gpt-4", "hello world", 2},
		{"gpt-4", "tiktoken is great!", 6},
		{"gpt-4o", "tiktoken is great!", 6},
		{"gpt-4", "", 0},
		{"gpt-4o", "", 0},
		// The special token is data here, not control: several ordinary tokens.
		{"gpt-4", "<|endoftext|>", 7},
		{"gpt-4o", "<|endoftext|>", 7},
		// Non-ASCII text takes the tiktoken path.
		{"gpt-4", "お誕生日おめでとう", 9},
		{"gpt-4o", "お誕生日おめでとう", 8},
	}
	for _, tt := range tests {
		c, err := NewCounter(tt.model)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Count(tt.text); got != tt.want {
			t.Errorf("%s: Count(%q) = %d, want %d", tt.model, tt.text, got, tt.want)
		}
	}
}

func TestNewCounterSharesEncoding(t *testing.T) {
	a, err := NewCounter("gpt-4o")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewCounter("gpt-5-codex")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("two models of one encoding got separate counters: the encoding was loaded twice")
	}
}

// reference counts text with tiktoken alone, bypassing the fast path.
func reference(t testing.TB, encoding, text string) int {
	t.Helper()
	c, err := encodingCounter(encoding)
	if err != nil {
		t.Fatal(err)
	}
	return len(c.enc.EncodeOrdinary(text))
}

// TestCounterMatchesTiktokenOnSource compares the fast path with tiktoken
// on real source files of the Go distribution and on edge cases.
func TestCounterMatchesTiktokenOnSource(t *testing.T) {
	texts := []string{
		"it's they'RE we'Ve I'M you'll he'd 'sfoo ''s",
		"HTTPServer parseURL XMLHttpRequest ABC ABCdef's aB",
		"  \n\n \t\r\n  x  \t (  ) ?? 12345678 a1b2 0x1F",
		"func f() {\n\treturn \"a/b\" // c\n}\n\n\n",
		"a  \n  b\n   \n\t\n",
		" (x) /usr/bin //\n/ ' \"' '\n",
		strings.Repeat("=", 200) + "\n" + strings.Repeat(" ", 100) + "x",
	}
	for _, rel := range []string{"src/fmt/print.go", "src/strings/strings.go"} {
		b, err := os.ReadFile(filepath.Join(runtime.GOROOT(), rel))
		if err != nil {
			t.Fatalf("read %s: %v", rel, err)
		}
		texts = append(texts, string(b))
	}
	for _, enc := range []string{EncodingO200k, EncodingCL100k} {
		c, err := encodingCounter(enc)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			if got, want := c.Count(text), reference(t, enc, text); got != want {
				t.Errorf("%s: Count = %d, tiktoken = %d for %.60q", enc, got, want, text)
			}
		}
	}
}

func TestCounterConcurrent(t *testing.T) {
	c, err := NewCounter("gpt-4o")
	if err != nil {
		t.Fatal(err)
	}
	text := "for i := range items {\n\tsum += items[i].Value // total\n}\n"
	want := reference(t, EncodingO200k, text)
	var wg sync.WaitGroup
	errs := make(chan int, 8)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got := c.Count(text); got != want {
					errs <- got
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent Count = %d, want %d", got, want)
	}
}

// fuzzAlphabet holds the characters whose handling differs between the
// split rules: cases, digits, apostrophes, each kind of space, punctuation
// and one non-ASCII letter (which must take the slow path).
const fuzzAlphabet = "aAzZsStTrReEvVmMlLdD019 \t\r\n'\"(/.-_=é"

// FuzzCounterMatchesTiktoken maps fuzz bytes onto fuzzAlphabet and checks
// that Count equals tiktoken's own count for both encodings.
func FuzzCounterMatchesTiktoken(f *testing.F) {
	f.Add([]byte("it's a Test\n\n  x"))
	f.Add([]byte{0, 1, 2, 30, 31, 32, 33, 27, 28, 27})
	runes := []rune(fuzzAlphabet)
	f.Fuzz(func(t *testing.T, in []byte) {
		var b strings.Builder
		for _, c := range in {
			b.WriteRune(runes[int(c)%len(runes)])
		}
		text := b.String()
		for _, enc := range []string{EncodingO200k, EncodingCL100k} {
			c, err := encodingCounter(enc)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := c.Count(text), reference(t, enc, text); got != want {
				t.Fatalf("%s: Count(%q) = %d, tiktoken = %d", enc, text, got, want)
			}
		}
	})
}
