package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// Network says what network the sandboxed command gets.
type Network string

const (
	// NetworkNone gives the command a network namespace of its own with
	// only a loopback device: nothing outside the sandbox is reachable.
	NetworkNone Network = "none"
	// NetworkRestricted is meant for an allow-list of hosts (a module
	// proxy, a package registry). Until that list exists it is exactly
	// NetworkNone, so choosing it never opens more than "none" does.
	NetworkRestricted Network = "restricted"
)

// Defaults used when a Config field is zero. They suit a typical test
// suite on a small node; the maintainer's timeout comes from .codex.yml.
const (
	DefaultTimeout      = 10 * time.Minute
	DefaultMemoryBytes  = 2 << 30
	DefaultPids         = 512
	DefaultOutputLimit  = 64 << 10
	DefaultWorkDirBytes = 1 << 30
	DefaultTmpBytes     = 1 << 30
	DefaultFileBytes    = 512 << 20
)

// Fixed paths inside the sandbox. The work tree is copied from a
// read-only view of the host directory into a size-limited tmpfs, so the
// command can write next to its sources without touching the host disk.
const (
	srcView = "/work/ro"
	workDir = "/work/src"
	homeDir = "/tmp/home"
)

// nobody is the uid and gid the command runs as (Debian's "nobody").
const nobody = 65534

// Config is one sandboxed run. Command is the maintainer's command from
// the base branch's configuration (trusted); the tree it runs on is the
// pull request's head (untrusted).
type Config struct {
	// Command is run as `/bin/sh -c Command` in the work directory.
	Command string
	// Timeout is the wall-clock limit; the whole process tree is killed
	// when it passes.
	Timeout time.Duration
	// Network is NetworkNone or NetworkRestricted (the same for now).
	Network Network
	// MemoryBytes limits the sandbox's memory: the cgroup limit for the
	// whole tree where cgroups are writable, and RLIMIT_DATA for each
	// process in every case.
	MemoryBytes int64
	// Pids limits the number of processes and threads: the cgroup pids
	// limit where writable, and RLIMIT_NPROC in every case.
	Pids int64
	// OutputLimit is how many bytes of the end of the combined output
	// are kept in Result.OutputTail.
	OutputLimit int
	// WorkDirBytes sizes the tmpfs at /work/src that holds the copy of
	// the tree; the tree must fit in it.
	WorkDirBytes int64
	// TmpBytes sizes the tmpfs at /tmp, which also holds HOME and the
	// Go, npm and cargo caches.
	TmpBytes int64
	// FileBytes is RLIMIT_FSIZE, the largest file the command may write.
	FileBytes int64
	// Env adds KEY=VALUE entries to the small fixed environment. It must
	// come from trusted configuration: it is the only way anything from
	// outside enters the sandbox's environment.
	Env []string
	// ReadOnly lists extra host directories bound read-only at the same
	// path, for toolchains installed outside /usr (for example /opt/node).
	ReadOnly []string
	// Bwrap is the bwrap binary; empty means "bwrap" on PATH.
	Bwrap string
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if strings.TrimSpace(c.Command) == "" {
		return c, fmt.Errorf("sandbox: empty command")
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	switch c.Network {
	case "":
		c.Network = NetworkNone
	case NetworkNone, NetworkRestricted:
	default:
		return c, fmt.Errorf("sandbox: network %q: want %q or %q", c.Network, NetworkNone, NetworkRestricted)
	}
	defaults := []struct {
		v   *int64
		def int64
	}{
		{&c.MemoryBytes, DefaultMemoryBytes},
		{&c.Pids, DefaultPids},
		{&c.WorkDirBytes, DefaultWorkDirBytes},
		{&c.TmpBytes, DefaultTmpBytes},
		{&c.FileBytes, DefaultFileBytes},
	}
	for _, d := range defaults {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.OutputLimit == 0 {
		c.OutputLimit = DefaultOutputLimit
	}
	if c.Timeout < 0 || c.MemoryBytes < 0 || c.Pids < 0 || c.OutputLimit < 0 || c.WorkDirBytes < 0 || c.TmpBytes < 0 || c.FileBytes < 0 {
		return c, fmt.Errorf("sandbox: negative limit in %+v", c)
	}
	for _, kv := range c.Env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t\n") {
			return c, fmt.Errorf("sandbox: env entry %q: want KEY=VALUE", kv)
		}
	}
	for _, p := range c.ReadOnly {
		if !strings.HasPrefix(p, "/") || p == "/" || strings.HasPrefix(p, "/work") || strings.HasPrefix(p, "/tmp") || strings.HasPrefix(p, "/proc") || strings.HasPrefix(p, "/dev") {
			return c, fmt.Errorf("sandbox: read-only bind %q: want an absolute path outside /, /work, /tmp, /proc and /dev", p)
		}
	}
	if c.Bwrap == "" {
		c.Bwrap = "bwrap"
	}
	return c, nil
}

// environment is the complete environment of the command: nothing of the
// app's own environment (tokens, keys, the database URL) is passed on.
func (c Config) environment() []string {
	env := []string{
		"PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin",
		"HOME=" + homeDir,
		"USER=nobody",
		"LOGNAME=nobody",
		"LANG=C.UTF-8",
		"TMPDIR=/tmp",
		"CI=true",
		"XDG_CACHE_HOME=/tmp/cache",
		// Go: caches in the tmpfs, no toolchain or module downloads (there
		// is no network), so a missing module fails at once and says so
		// instead of waiting for DNS.
		"GOCACHE=/tmp/go-build",
		"GOPATH=/tmp/go",
		"GOMODCACHE=/tmp/go/pkg/mod",
		"GOPROXY=off",
		"GOTOOLCHAIN=local",
		"GOTELEMETRY=off",
		"CARGO_HOME=/tmp/cargo",
		"npm_config_cache=/tmp/npm",
		"PYTHONDONTWRITEBYTECODE=1",
	}
	return append(env, c.Env...)
}
