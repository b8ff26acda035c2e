// Package deploycheck holds the checks of the repository's shipping files:
// the Dockerfile (BuildKit's linter and the image's invariants), the
// .dockerignore, and the Helm chart (rendered with Helm's own packages and
// decoded strictly into Kubernetes API types). It has no code of its own
// beyond test helpers; `go test ./...` in tools/ runs it.
package deploycheck

// repoRoot is the repository root, relative to this package's directory
// (where `go test` runs its tests).
const repoRoot = "../.."
