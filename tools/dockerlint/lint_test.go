package dockerlint

import (
	"slices"
	"testing"
)

func TestLintFindsRuleViolations(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		want       []string // rule names, in any order; nil = clean
	}{
		{
			name:       "clean",
			dockerfile: "FROM debian:bookworm-slim AS base\nUSER 10001\nCMD [\"true\"]\n",
		},
		{
			name:       "shell form CMD",
			dockerfile: "FROM debian:bookworm-slim\nCMD echo hi\n",
			want:       []string{"JSONArgsRecommended"},
		},
		{
			name:       "secret in ENV",
			dockerfile: "FROM debian:bookworm-slim\nENV GITHUB_WEBHOOK_SECRET=hunter2\nCMD [\"true\"]\n",
			want:       []string{"SecretsUsedInArgOrEnv"},
		},
		{
			name:       "mixed case stage keyword",
			dockerfile: "FROM debian:bookworm-slim as base\nCMD [\"true\"]\n",
			want:       []string{"FromAsCasing"},
		},
		{
			name:       "undefined variable",
			dockerfile: "FROM debian:bookworm-slim\nWORKDIR /srv/$NOPE_NOT_DEFINED\nCMD [\"true\"]\n",
			want:       []string{"UndefinedVar"},
		},
		{
			name:       "violations reported when the directive makes them errors",
			dockerfile: "# check=error=true\nFROM debian:bookworm-slim\nCMD echo hi\n",
			want:       []string{"JSONArgsRecommended"},
		},
		{
			name:       "experimental rule off by default",
			dockerfile: "# the build stage\nFROM debian:bookworm-slim AS build\nCMD [\"true\"]\n",
		},
		{
			name:       "experimental rule enabled by the check directive",
			dockerfile: "# check=experimental=all\n\n# the build stage\nFROM debian:bookworm-slim AS build\nCMD [\"true\"]\n",
			want:       []string{"InvalidDefinitionDescription"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := Lint(t.Context(), "Dockerfile", []byte(tc.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range ws {
				if w.Line <= 0 {
					t.Errorf("%s has no line", w)
				}
				got = append(got, w.Rule)
			}
			slices.Sort(got)
			got = slices.Compact(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rules = %v, want %v (%v)", got, want, ws)
			}
		})
	}
}

func TestLintRefusesBrokenDockerfile(t *testing.T) {
	if _, err := Lint(t.Context(), "Dockerfile", []byte("COPY . .\n")); err == nil {
		t.Fatal("a Dockerfile without FROM linted clean")
	}
}
