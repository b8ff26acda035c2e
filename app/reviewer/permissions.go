package reviewer

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Limits of the permission cache.
const (
	// permissionTTL is how long a user's permission on a repository is
	// trusted: long enough that a burst of comments costs one API call,
	// short enough that a removed collaborator loses access quickly.
	permissionTTL = time.Minute
	// maxPermissions bounds the cache; it is cleared of stale entries,
	// then emptied, when full.
	maxPermissions = 4096
)

// permissions caches collaborator permissions per repository and user.
type permissions struct {
	mu  sync.Mutex
	m   map[string]permEntry
	now func() time.Time // time.Now; tests move it
}

type permEntry struct {
	perm string
	at   time.Time
}

func (p *permissions) get(key string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.m[key]
	if !ok || p.clock().Sub(e.at) >= permissionTTL {
		return "", false
	}
	return e.perm, true
}

func (p *permissions) put(key, perm string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	if p.m == nil {
		p.m = map[string]permEntry{}
	}
	if len(p.m) >= maxPermissions {
		for k, e := range p.m {
			if now.Sub(e.at) >= permissionTTL {
				delete(p.m, k)
			}
		}
		if len(p.m) >= maxPermissions {
			clear(p.m)
		}
	}
	p.m[key] = permEntry{perm: perm, at: now}
}

func (p *permissions) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// permission is user's permission on the job's repository, from the
// worker's cache or the collaborator-permission API.
func (t *task) permission(ctx context.Context, user string) (string, error) {
	key := strings.ToLower(t.j.Repo) + "\x00" + strings.ToLower(user)
	if perm, ok := t.w.perms.get(key); ok {
		return perm, nil
	}
	perm, err := t.pr.Permission(ctx, user)
	if err != nil {
		return "", err
	}
	t.w.perms.put(key, perm)
	return perm, nil
}

// writes reports whether a permission includes write access.
func writes(perm string) bool {
	return perm == "admin" || perm == "maintain" || perm == "write"
}
