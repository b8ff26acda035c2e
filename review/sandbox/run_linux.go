package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// preambleFailed is the exit code the sandbox's own preamble uses when
// it cannot set up the run; its message starts with preambleMarker, so a
// command that merely exits 125 is not mistaken for it.
const (
	preambleFailed = 125
	preambleMarker = "codex-sandbox: "
)

// prlimitBin is util-linux's prlimit (Essential in Debian), which sets the
// rlimits from inside the sandbox. Setting them from outside would need
// CAP_SYS_RESOURCE over the sandbox's user, which container runtimes
// usually drop; and RLIMIT_NPROC set inside the new user namespace counts
// only the sandbox's own processes (Linux 5.14 and later), not every
// process of the host user.
const prlimitBin = "/usr/bin/prlimit"

// preamble runs first inside the sandbox, as the unprivileged user, before
// anything from the pull request: it copies the read-only tree into the
// writable tmpfs, sets the rlimits (soft and hard, so the command cannot
// raise them) and hands over to the configured command. $1 is the
// command; $2 to $5 are the DATA, NPROC, FSIZE limits and the work tree
// size message.
const preamble = `cp -RP --preserve=mode,timestamps ` + srcView + `/. ` + workDir + `/ 2>&1 || { echo "` + preambleMarker + `$5" >&2; exit 125; }
cd ` + workDir + ` || exit 125
exec ` + prlimitBin + ` --data="$2" --nproc="$3" --fsize="$4" --core=0 -- /bin/sh -c "$1" || { echo "` + preambleMarker + `could not set rlimits" >&2; exit 125; }`

// shmBytes sizes /dev/shm, which some test runners need (Python's
// multiprocessing); Docker's default.
const shmBytes = 64 << 20

// etcFiles are the host files under /etc the sandbox sees: the dynamic
// loader's configuration, the alternatives symlinks Debian's commands go
// through, time zones and CA certificates. passwd, group and hosts are
// written by the runner; nothing else of /etc (no shadow, no app config).
var etcFiles = []string{
	"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
	"/etc/localtime", "/etc/timezone", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates",
	"/etc/protocols", "/etc/services", "/etc/mime.types",
}

// generated are the /etc files the runner writes, so the sandbox's user
// has a name and localhost resolves without the host's files.
var generated = []struct{ path, content string }{
	{"/etc/passwd", "root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:" + homeDir + ":/bin/sh\n"},
	{"/etc/group", "root:x:0:\nnogroup:x:65534:\n"},
	{"/etc/hosts", "127.0.0.1 localhost sandbox\n::1 localhost ip6-localhost ip6-loopback\n"},
}

// Run runs cfg.Command on the tree in dir, inside bwrap, and reports how
// it went. dir is bound read-only and copied into a tmpfs inside, so the
// host copy is never written. Its files must be readable by uid 65534 when
// the app runs as root (app/tarball unpacks them that way).
//
// Run returns an error only when the sandbox could not run the command or
// ctx was cancelled; the Result is filled in either way (StatusError with
// a Reason), so the caller can always render it. A failing or timed-out
// command is a Result, not an error.
func Run(ctx context.Context, dir string, cfg Config) (res Result, err error) {
	res = Result{Command: cfg.Command, ExitCode: -1}
	fail := func(err error) (Result, error) {
		res.Status, res.Reason = StatusError, err.Error()
		return res, err
	}
	if cfg, err = cfg.withDefaults(); err != nil {
		return fail(err)
	}
	if _, err := os.Stat(prlimitBin); err != nil {
		return fail(fmt.Errorf("sandbox: %s is needed to set rlimits (install util-linux): %w", prlimitBin, err))
	}
	bwrap, err := exec.LookPath(cfg.Bwrap)
	if err != nil {
		return fail(fmt.Errorf("sandbox: bwrap not found (install the bubblewrap package): %w", err))
	}
	size, err := treeSize(dir)
	if err != nil {
		return fail(err)
	}
	if size > cfg.WorkDirBytes {
		return fail(fmt.Errorf("sandbox: the work tree holds %s, more than the %s work directory", sizeString(size), sizeString(cfg.WorkDirBytes)))
	}

	p, err := newPlumbing(dir)
	if err != nil {
		return fail(err)
	}
	defer p.close()

	runCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, bwrap, bwrapArgs(cfg)...)
	// bwrap itself gets no environment from the app either.
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	out := newOutput(cfg.OutputLimit)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = p.childFiles()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	res.Limits = append(res.Limits, "network "+string(NetworkNone), "uid 65534 (nobody) in a user namespace")
	if os.Geteuid() == 0 {
		if err := reachableByNobody(dir); err != nil {
			return fail(err)
		}
		// As root, the user namespace would map the sandbox's user to
		// host root, which still owns most files; run bwrap as nobody so
		// the host sees an unprivileged user too.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
		res.Limits = append(res.Limits, "host uid 65534 (nobody)")
	}

	cg := newCgroup("codex-sandbox-"+randomName(), cfg.MemoryBytes, cfg.Pids)
	defer func() {
		// res is the named result, so this note reaches the caller.
		if rerr := cg.remove(); rerr != nil {
			res.NotApplied = append(res.NotApplied, rerr.Error())
		}
	}()
	cmd.Cancel = func() error {
		cg.kill()
		// The negative pid reaches bwrap's process group; bwrap's
		// --die-with-parent and the PID namespace take the rest down.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 10 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("sandbox: start bwrap: %w", err))
	}
	p.afterStart()
	status := json.NewDecoder(p.statusR)
	var started struct {
		ChildPid int `json:"child-pid"`
	}
	if err := status.Decode(&started); err != nil || started.ChildPid <= 0 {
		// bwrap exited before creating the sandbox; its message is in
		// the output.
		p.release()
		_ = cmd.Wait()
		res.Duration = time.Since(start)
		res.OutputTail, res.OutputBytes, res.Truncated = out.tail()
		return fail(fmt.Errorf("sandbox: bwrap could not create the sandbox: %s", lastLine(res.OutputTail)))
	}
	// The PID namespace's init is alive (blocked) here, so the pid is
	// still its own. It ends only once every other process of the
	// namespace is gone: the kernel kills them and waits for them.
	initEnded, initErr := unix.PidfdOpen(started.ChildPid, 0)
	if initErr == nil {
		defer unix.Close(initEnded)
	}
	res.Limits = append(res.Limits, applyLimits(cmd.Process.Pid, started.ChildPid, cg, cfg)...)
	res.NotApplied = append(res.NotApplied, cg.skipped...)
	p.release()

	exitCode := make(chan int, 1)
	go func() {
		code := -1
		for {
			var doc struct {
				ExitCode *int `json:"exit-code"`
			}
			if err := status.Decode(&doc); err != nil {
				break
			}
			if doc.ExitCode != nil {
				code = *doc.ExitCode
			}
		}
		exitCode <- code
	}()
	waitErr := cmd.Wait()
	res.Duration = time.Since(start)
	// bwrap outside is gone, but when it was killed (timeout) the
	// sandbox's processes may still be dying: Run returns once they are
	// all gone, so none outlives it, with or without a cgroup.
	switch {
	case initErr != nil:
		res.NotApplied = append(res.NotApplied, fmt.Sprintf("waiting for the sandbox's processes to end: pidfd_open: %v", initErr))
	case !awaitExit(initEnded, cmd.WaitDelay):
		res.NotApplied = append(res.NotApplied, fmt.Sprintf("the sandbox's processes were still ending %s after it was stopped", cmd.WaitDelay))
	}
	// Wait has returned, so bwrap is gone and the status pipe is at EOF.
	code := <-exitCode
	res.OutputTail, res.OutputBytes, res.Truncated = out.tail()
	res.FailedTests, res.FailedTestsOmitted = out.failures()
	res.OOMKilled = cg.oomKilled()

	switch {
	case ctx.Err() != nil:
		return fail(fmt.Errorf("sandbox: cancelled: %w", ctx.Err()))
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		res.Status = StatusTimedOut
		res.Reason = fmt.Sprintf("the command ran longer than %s and was killed", cfg.Timeout)
	case code == preambleFailed && preambleMessage(res.OutputTail) != "":
		res.ExitCode = code
		return fail(fmt.Errorf("sandbox: %s", preambleMessage(res.OutputTail)))
	case code < 0:
		return fail(fmt.Errorf("sandbox: bwrap ended without the command's exit status (%v): %s", waitErr, lastLine(res.OutputTail)))
	case code == 0:
		res.Status, res.ExitCode = StatusPassed, 0
	default:
		res.Status, res.ExitCode = StatusFailed, code
	}
	return res, nil
}

// awaitExit waits up to limit for the process behind pidfd to end.
func awaitExit(pidfd int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		switch {
		case err == unix.EINTR:
		case err != nil:
			return false
		case n > 0:
			return true
		}
	}
}

// applyLimits puts the blocked sandbox into the cgroups. bwrapPid is
// bwrap outside, childPid its first process inside (the PID namespace's
// init), which forks the command only after the block is released, so
// every process of the command inherits the groups.
func applyLimits(bwrapPid, childPid int, cg *cgroup, cfg Config) []string {
	var applied []string
	if err := cg.join(bwrapPid, childPid); err != nil {
		// A group we created but cannot enter is as good as none.
		cg.skipped = append(cg.skipped, err.Error())
		cg.procs = nil
	} else {
		applied = append(applied, cg.applied...)
	}
	return append(applied,
		// DATA rather than AS: runtimes such as Node reserve far more
		// address space than they use, and AS would stop them at once.
		"rlimit DATA "+sizeString(cfg.MemoryBytes)+" per process",
		fmt.Sprintf("rlimit NPROC %d", cfg.Pids),
		"rlimit FSIZE "+sizeString(cfg.FileBytes),
		"rlimit CORE 0",
		"tmpfs "+workDir+" "+sizeString(cfg.WorkDirBytes),
		"tmpfs /tmp "+sizeString(cfg.TmpBytes),
		"timeout "+cfg.Timeout.String(),
	)
}

// bwrapArgs builds the command line. File descriptors 3 to 8 are the
// plumbing's (see childFiles).
func bwrapArgs(cfg Config) []string {
	a := []string{
		"--unshare-all", "--unshare-user", "--disable-userns",
		"--uid", strconv.Itoa(nobody), "--gid", strconv.Itoa(nobody),
		"--hostname", "sandbox",
		"--die-with-parent", "--new-session",
		"--json-status-fd", "3", "--block-fd", "4",
		"--clearenv",
	}
	for _, kv := range cfg.environment() {
		k, v, _ := strings.Cut(kv, "=")
		a = append(a, "--setenv", k, v)
	}
	a = append(a, "--ro-bind", "/usr", "/usr")
	// On merged-/usr systems these are symlinks into /usr; elsewhere they
	// are directories of their own.
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&fs.ModeSymlink != 0:
			if target, err := os.Readlink(d); err == nil {
				a = append(a, "--symlink", target, d)
			}
		case fi.IsDir():
			a = append(a, "--ro-bind", d, d)
		}
	}
	for _, f := range etcFiles {
		a = append(a, "--ro-bind-try", f, f)
	}
	for i, g := range generated {
		a = append(a, "--ro-bind-data", strconv.Itoa(6+i), g.path)
	}
	for _, d := range cfg.ReadOnly {
		a = append(a, "--ro-bind", d, d)
	}
	a = append(a,
		"--proc", "/proc",
		"--dev", "/dev",
		"--size", strconv.Itoa(shmBytes), "--tmpfs", "/dev/shm",
		"--size", strconv.FormatInt(cfg.TmpBytes, 10), "--tmpfs", "/tmp",
		"--dir", homeDir,
		"--ro-bind-fd", "5", srcView,
		"--size", strconv.FormatInt(cfg.WorkDirBytes, 10), "--tmpfs", workDir,
		// The root and /dev are tmpfs mounts without a size limit;
		// read-only they cannot be used to fill memory.
		"--remount-ro", "/dev",
		"--remount-ro", "/",
		"--chdir", "/",
		"--", "/bin/sh", "-c", preamble, "codex-sandbox", cfg.Command,
		strconv.FormatInt(cfg.MemoryBytes, 10), strconv.FormatInt(cfg.Pids, 10), strconv.FormatInt(cfg.FileBytes, 10),
		fmt.Sprintf("the work tree does not fit in the %s work directory", sizeString(cfg.WorkDirBytes)),
	)
	return a
}

// plumbing holds the pipes and descriptors passed to bwrap: the JSON
// status stream (fd 3), the block pipe that holds the sandbox until its
// limits are set (fd 4), the work tree (fd 5) and the generated /etc
// files (fd 6 on).
type plumbing struct {
	statusR, statusW *os.File
	blockR, blockW   *os.File
	tree             *os.File
	data             []*os.File
}

func newPlumbing(dir string) (*plumbing, error) {
	p := &plumbing{}
	var err error
	if p.statusR, p.statusW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("sandbox: status pipe: %w", err)
	}
	if p.blockR, p.blockW, err = os.Pipe(); err != nil {
		p.close()
		return nil, fmt.Errorf("sandbox: block pipe: %w", err)
	}
	// Passing the directory as a descriptor lets bwrap bind it even when
	// it runs as nobody and the path's parents are private.
	if p.tree, err = os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY, 0); err != nil {
		p.close()
		return nil, fmt.Errorf("sandbox: open work tree: %w", err)
	}
	for _, g := range generated {
		r, w, err := os.Pipe()
		if err != nil {
			p.close()
			return nil, fmt.Errorf("sandbox: data pipe: %w", err)
		}
		// A few hundred bytes fit in the pipe's buffer, so the write
		// cannot block before bwrap reads.
		_, werr := io.WriteString(w, g.content)
		cerr := w.Close()
		p.data = append(p.data, r)
		if err := errors.Join(werr, cerr); err != nil {
			p.close()
			return nil, fmt.Errorf("sandbox: write %s: %w", g.path, err)
		}
	}
	return p, nil
}

func (p *plumbing) childFiles() []*os.File {
	return append([]*os.File{p.statusW, p.blockR, p.tree}, p.data...)
}

// afterStart closes the parent's copies of what only the child needs, so
// the status pipe reaches EOF when bwrap exits.
func (p *plumbing) afterStart() {
	for _, f := range append([]*os.File{p.statusW, p.blockR, p.tree}, p.data...) {
		_ = f.Close()
	}
}

// release lets the sandbox start the command (or, on the error paths,
// lets a waiting bwrap go on to exit).
func (p *plumbing) release() {
	_, _ = p.blockW.Write([]byte{1})
	_ = p.blockW.Close()
}

func (p *plumbing) close() {
	for _, f := range append([]*os.File{p.statusR, p.statusW, p.blockR, p.blockW, p.tree}, p.data...) {
		if f != nil {
			_ = f.Close()
		}
	}
}

// treeSize adds up the sizes of the regular files under dir without
// following links.
func treeSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			total += fi.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sandbox: measure work tree %s: %w", dir, err)
	}
	return total, nil
}

// reachableByNobody checks that bwrap, running as nobody, can reach dir:
// every directory on the path must be searchable by others.
func reachableByNobody(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("sandbox: work tree %s: %w", dir, err)
	}
	for p := abs; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("sandbox: work tree: %w", err)
		}
		if fi.Mode().Perm()&0o005 != 0o005 {
			return fmt.Errorf("sandbox: %s is not readable and searchable by others (mode %v), but bwrap runs as nobody because the app runs as root: put the work tree under directories with mode 0755", p, fi.Mode().Perm())
		}
		if p == "/" {
			return nil
		}
	}
}

// preambleMessage finds the preamble's own message in the output.
func preambleMessage(out string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if msg, ok := strings.CutPrefix(line, preambleMarker); ok {
			return msg
		}
	}
	return ""
}

func randomName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
