package finding

import "testing"

func TestParsePriority(t *testing.T) {
	tests := []struct {
		in   string
		want Priority
		ok   bool
	}{
		{"P0", P0, true}, {"p1", P1, true}, {" P2 ", P2, true}, {"3", P3, true},
		{"P4", 0, false}, {"", 0, false}, {"PP1", 0, false}, {"P-1", 0, false}, {"high", 0, false},
	}
	for _, tt := range tests {
		got, err := ParsePriority(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParsePriority(%q) = %v, %v", tt.in, got, err)
		}
	}
	if P2.String() != "P2" || !P3.Valid() || Priority(4).Valid() {
		t.Error("String/Valid")
	}
}

func TestParseArea(t *testing.T) {
	for _, a := range Areas {
		if got, err := ParseArea(" " + string(a) + " "); err != nil || got != a {
			t.Errorf("ParseArea(%q) = %q, %v", a, got, err)
		}
	}
	if got, _ := ParseArea("SECURITY"); got != Security {
		t.Error("area names are case-insensitive")
	}
	if _, err := ParseArea("style"); err == nil {
		t.Error("unknown area accepted")
	}
}

func TestUsageAdd(t *testing.T) {
	u := Usage{}
	u.Add(Usage{Model: "m1", PromptTokens: 10, CachedPromptTokens: 4, CompletionTokens: 2, Calls: 1, DurationMS: 50})
	u.Add(Usage{Model: "m2", PromptTokens: 5, CompletionTokens: 1, Calls: 2, DurationMS: 70})
	want := Usage{Model: "m1", PromptTokens: 15, CachedPromptTokens: 4, CompletionTokens: 3, Calls: 3}
	if u != want {
		t.Errorf("Add = %+v, want %+v (durations are wall time, not summed)", u, want)
	}
}
