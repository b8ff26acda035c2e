package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroup is the per-run control group (or, on cgroup v1, one group per
// controller) that holds the whole sandbox tree. Every limit is optional:
// a host that does not delegate cgroups to the app still runs the sandbox
// with rlimits only, and the result says which limits held.
type cgroup struct {
	version int
	// dirs are the groups this run created, removed at the end.
	dirs []string
	// procs are the cgroup.procs files the sandbox's processes join.
	procs []string
	// oomFile holds the memory controller's oom_kill counter.
	oomFile string
	// killFile is cgroup v2's cgroup.kill, when the kernel has it.
	killFile string
	applied  []string
	skipped  []string
}

// hierarchy is one mounted cgroup hierarchy and this process's place in it.
type hierarchy struct {
	version int
	dir     string // this process's own group, as a host path
}

// cgroupMount finds where this process's group for a v1 controller (or
// the v2 unified group, controller "") is mounted.
func cgroupMount(controller string) (hierarchy, error) {
	own, err := ownCgroups()
	if err != nil {
		return hierarchy{}, err
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return hierarchy{}, fmt.Errorf("read mounts: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 {
			continue
		}
		root, mountpoint, fstype := pf[3], pf[4], qf[0]
		var version int
		var path string
		switch {
		case controller == "" && fstype == "cgroup2":
			version, path = 2, own[""]
		case controller != "" && fstype == "cgroup" && hasOption(qf[2], controller):
			version, path = 1, own[controller]
		default:
			continue
		}
		if path == "" {
			continue
		}
		rel, ok := strings.CutPrefix(path, strings.TrimSuffix(root, "/"))
		if !ok {
			continue
		}
		return hierarchy{version: version, dir: filepath.Join(mountpoint, rel)}, nil
	}
	if err := sc.Err(); err != nil {
		return hierarchy{}, fmt.Errorf("read mounts: %w", err)
	}
	if controller == "" {
		return hierarchy{}, errors.New("no cgroup v2 hierarchy mounted")
	}
	return hierarchy{}, fmt.Errorf("no cgroup v1 %s hierarchy mounted", controller)
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// ownCgroups maps each v1 controller (and "" for v2) to this process's
// group path, from /proc/self/cgroup.
func ownCgroups() (map[string]string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read own cgroup: %w", err)
	}
	out := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for c := range strings.SplitSeq(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, nil
}

// newCgroup creates the run's groups and sets the limits it can. It never
// fails: what could not be set is listed in skipped.
func newCgroup(name string, memory, pids int64) *cgroup {
	cg := &cgroup{}
	if h, err := cgroupMount(""); err == nil && cg.tryV2(h, name, memory, pids) {
		return cg
	}
	cg.tryV1Memory(name, memory)
	cg.tryV1Pids(name, pids)
	return cg
}

// tryV2 uses the unified hierarchy when both controllers are enabled for
// children of this process's group (a delegated subtree).
func (cg *cgroup) tryV2(h hierarchy, name string, memory, pids int64) bool {
	avail, err := os.ReadFile(filepath.Join(h.dir, "cgroup.controllers"))
	if err != nil {
		return false
	}
	if controllers := strings.Fields(string(avail)); !slices.Contains(controllers, "memory") || !slices.Contains(controllers, "pids") {
		// A hybrid host keeps these controllers on v1.
		return false
	}
	ctl, err := os.ReadFile(filepath.Join(h.dir, "cgroup.subtree_control"))
	if err != nil {
		return false
	}
	if enabled := strings.Fields(string(ctl)); !slices.Contains(enabled, "memory") || !slices.Contains(enabled, "pids") {
		// Enabling controllers in our own group fails while it holds
		// processes (the "no internal processes" rule), so ask, and give
		// up quietly when the kernel says no.
		if err := os.WriteFile(filepath.Join(h.dir, "cgroup.subtree_control"), []byte("+memory +pids"), 0); err != nil {
			cg.skipped = append(cg.skipped, fmt.Sprintf("cgroup v2 memory and pids are not enabled for %s: %v", h.dir, err))
			return false
		}
	}
	dir := filepath.Join(h.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		cg.skipped = append(cg.skipped, fmt.Sprintf("cgroup v2: %v", err))
		return false
	}
	cg.version = 2
	cg.dirs = append(cg.dirs, dir)
	cg.procs = append(cg.procs, filepath.Join(dir, "cgroup.procs"))
	if err := writeValue(dir, "memory.max", memory); err != nil {
		cg.skipped = append(cg.skipped, fmt.Sprintf("cgroup v2 memory: %v", err))
	} else {
		cg.applied = append(cg.applied, "cgroup v2 memory "+sizeString(memory))
		cg.oomFile = filepath.Join(dir, "memory.events")
		// Swapping would let the tree use more than the limit says.
		_ = writeValue(dir, "memory.swap.max", 0)
	}
	if err := writeValue(dir, "pids.max", pids); err != nil {
		cg.skipped = append(cg.skipped, fmt.Sprintf("cgroup v2 pids: %v", err))
	} else {
		cg.applied = append(cg.applied, fmt.Sprintf("cgroup v2 pids %d", pids))
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err == nil {
		cg.killFile = filepath.Join(dir, "cgroup.kill")
	}
	return true
}

func (cg *cgroup) tryV1Memory(name string, memory int64) {
	h, err := cgroupMount("memory")
	if err != nil {
		cg.skipped = append(cg.skipped, "cgroup memory: "+err.Error())
		return
	}
	dir := filepath.Join(h.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		cg.skipped = append(cg.skipped, fmt.Sprintf("cgroup v1 memory: %v", err))
		return
	}
	cg.version = 1
	cg.dirs = append(cg.dirs, dir)
	if err := writeValue(dir, "memory.limit_in_bytes", memory); err != nil {
		cg.skipped = append(cg.skipped, fmt.Sprintf("cgroup v1 memory: %v", err))
		return
	}
	// memsw (memory+swap) exists only with swap accounting; without it
	// swap is simply not limited, which the kernel default also does.
	_ = writeValue(dir, "memory.memsw.limit_in_bytes", memory)
	cg.procs = append(cg.procs, filepath.Join(dir, "cgroup.procs"))
	cg.oomFile = filepath.Join(dir, "memory.oom_control")
	cg.applied = append(cg.applied, "cgroup v1 memory "+sizeString(memory))
}

func (cg *cgroup) tryV1Pids(name string, pids int64) {
	h, err := cgroupMount("pids")
	if err != nil {
		cg.skipped = append(cg.skipped, "cgroup pids: "+err.Error())
		return
	}
	dir := filepath.Join(h.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		cg.skipped = append(cg.skipped, fmt.Sprintf("cgroup v1 pids: %v", err))
		return
	}
	cg.version = 1
	cg.dirs = append(cg.dirs, dir)
	if err := writeValue(dir, "pids.max", pids); err != nil {
		cg.skipped = append(cg.skipped, fmt.Sprintf("cgroup v1 pids: %v", err))
		return
	}
	cg.procs = append(cg.procs, filepath.Join(dir, "cgroup.procs"))
	cg.applied = append(cg.applied, fmt.Sprintf("cgroup v1 pids %d", pids))
}

// join moves processes into every group. It runs while the sandbox is
// blocked before the command starts, so everything the command forks
// inherits the groups.
func (cg *cgroup) join(pids ...int) error {
	for _, procs := range cg.procs {
		for _, pid := range pids {
			if err := os.WriteFile(procs, []byte(strconv.Itoa(pid)), 0); err != nil {
				return fmt.Errorf("join %s: %w", procs, err)
			}
		}
	}
	return nil
}

// kill ends every process still in the groups, which reaches processes
// that left the process group or the sandbox's session.
func (cg *cgroup) kill() {
	if cg.killFile != "" {
		_ = os.WriteFile(cg.killFile, []byte("1"), 0)
	}
	for _, procs := range cg.procs {
		data, err := os.ReadFile(procs)
		if err != nil {
			continue
		}
		for f := range strings.FieldsSeq(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// oomKilled reports whether the memory controller killed a process.
func (cg *cgroup) oomKilled() bool {
	if cg.oomFile == "" {
		return false
	}
	data, err := os.ReadFile(cg.oomFile)
	if err != nil {
		return false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if n, ok := strings.CutPrefix(line, "oom_kill "); ok {
			v, _ := strconv.Atoi(strings.TrimSpace(n))
			return v > 0
		}
	}
	return false
}

// remove deletes the groups. A group can be removed only once its last
// process is gone, which the kernel finishes shortly after the sandbox's
// init exits, so it retries briefly.
func (cg *cgroup) remove() error {
	var errs []error
	for _, dir := range cg.dirs {
		var err error
		for range 100 {
			if err = os.Remove(dir); err == nil || !errors.Is(err, syscall.EBUSY) {
				break
			}
			cg.kill()
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup: %w", err))
		}
	}
	return errors.Join(errs...)
}

func writeValue(dir, file string, v int64) error {
	return os.WriteFile(filepath.Join(dir, file), []byte(strconv.FormatInt(v, 10)), 0)
}
