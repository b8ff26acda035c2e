package gitdiff

import (
	"context"
	"testing"
)

func TestRepositoryName(t *testing.T) {
	for remote, want := range map[string]string{
		"https://github.com/acme/shop.git":          "acme/shop",
		"https://github.com/acme/shop":              "acme/shop",
		"git@github.com:acme/shop.git":              "acme/shop",
		"ssh://git@ghe.example.com/acme/shop":       "acme/shop",
		"https://ghe.example.com/api/v3/acme/shop/": "acme/shop",
		"/srv/git/shop.git":                         "",
		"shop":                                      "",
		"https://github.com/acme/sh op":             "",
		"https://github.com/acme/$(rm -rf)":         "",
		"":                                          "",
	} {
		if got := repositoryName(remote); got != want {
			t.Errorf("repositoryName(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	dir, git := gitRepo(t)
	write(t, dir, "a.txt", "one\n")
	git("add", ".")
	git("commit", "-qm", "base")
	git("branch", "main-base")
	write(t, dir, "a.txt", "two\n")
	git("commit", "-qam", "Make a.txt two\n\nBecause two is better.")
	r, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.DescribeBase(context.Background(), "main-base")
	if err != nil || d != (Description{Title: "Make a.txt two", Body: "Because two is better."}) {
		t.Errorf("one commit: %+v, %v", d, err)
	}
	write(t, dir, "a.txt", "three\n")
	git("commit", "-qam", "Make a.txt three")
	d, err = r.DescribeBase(context.Background(), "main-base")
	if err != nil || d != (Description{Body: "Commits:\n- Make a.txt two\n- Make a.txt three"}) {
		t.Errorf("two commits: %+v, %v", d, err)
	}
	if d, err := r.DescribeCommit(context.Background(), "HEAD~1"); err != nil || d.Title != "Make a.txt two" {
		t.Errorf("commit: %+v, %v", d, err)
	}
	if d, err := r.DescribeBase(context.Background(), "HEAD"); err != nil || d != (Description{}) {
		t.Errorf("no commits: %+v, %v", d, err)
	}
	if r.Repository(context.Background()) != "" {
		t.Error("a repository without origin has a name")
	}
	git("remote", "add", "origin", "git@github.com:acme/shop.git")
	if got := r.Repository(context.Background()); got != "acme/shop" {
		t.Errorf("Repository = %q", got)
	}
}
