package reviewer

import (
	"fmt"
	"testing"
	"time"
)

func TestPermissionsExpireAndStayBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	p := permissions{now: func() time.Time { return now }}
	p.put("acme/shop\x00bob", "write")
	if perm, ok := p.get("acme/shop\x00bob"); !ok || perm != "write" {
		t.Fatalf("fresh entry: %q %v", perm, ok)
	}
	now = now.Add(permissionTTL)
	if _, ok := p.get("acme/shop\x00bob"); ok {
		t.Error("an entry older than permissionTTL was used")
	}
	for i := range maxPermissions + 10 {
		p.put(fmt.Sprint("r\x00u", i), "read")
	}
	if len(p.m) > maxPermissions {
		t.Errorf("%d entries, limit %d", len(p.m), maxPermissions)
	}
}
