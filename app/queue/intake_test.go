package queue

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/job"
)

// TestIntakeGroupsCallsIntoBatches drives the batching alone: while a batch
// is being committed, callers queue up; they are committed together next,
// one batch at a time, and each gets its own answer.
func TestIntakeGroupsCallsIntoBatches(t *testing.T) {
	const callers = 200
	var (
		in       intake
		inFlight atomic.Int32
		nextID   atomic.Int64
		mu       sync.Mutex
		batches  [][]string
	)
	firstBatch := make(chan struct{})
	var firstOnce sync.Once
	in.commit = func(ctx context.Context, calls []*enqueueCall) {
		if inFlight.Add(1) != 1 {
			t.Error("two batches were committed at once")
		}
		defer inFlight.Add(-1)
		if _, ok := ctx.Deadline(); !ok {
			t.Error("a batch runs without a deadline")
		}
		// The first batch holds until most callers wait behind it, so
		// that the next batch has many.
		firstOnce.Do(func() {
			close(firstBatch)
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				in.mu.Lock()
				n := len(in.pending)
				in.mu.Unlock()
				if n >= callers/2 {
					break
				}
				time.Sleep(time.Millisecond) // polling a condition, bounded by the deadline
			}
		})
		keys := make([]string, len(calls))
		for i, c := range calls {
			c.id = nextID.Add(1)
			keys[i] = c.args.RequestKey
		}
		mu.Lock()
		batches = append(batches, keys)
		mu.Unlock()
	}

	ids := make([]int64, callers)
	var wg sync.WaitGroup
	wg.Go(func() {
		id, _, err := in.enqueue(t.Context(), job.Job{RequestKey: "k0"})
		if err != nil {
			t.Error(err)
		}
		ids[0] = id
	})
	<-firstBatch
	for i := 1; i < callers; i++ {
		wg.Go(func() {
			id, _, err := in.enqueue(t.Context(), job.Job{RequestKey: fmt.Sprint("k", i)})
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()

	seen := map[int64]bool{}
	for i, id := range ids {
		if id == 0 || seen[id] {
			t.Fatalf("caller %d got id %d (0 or another caller's)", i, id)
		}
		seen[id] = true
	}
	total, largest := 0, 0
	for _, b := range batches {
		total += len(b)
		largest = max(largest, len(b))
		if len(b) > maxBatch {
			t.Errorf("a batch of %d, over the limit of %d", len(b), maxBatch)
		}
	}
	if total != callers {
		t.Errorf("batches held %d calls, want %d", total, callers)
	}
	if largest < callers/2 {
		t.Errorf("the largest batch had %d calls; callers that waited were not committed together", largest)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.busy || len(in.pending) != 0 {
		t.Errorf("after all calls: busy %v, %d pending", in.busy, len(in.pending))
	}
}

// TestUniqueKeyMatchesTags keeps the unique key of the queue's inserts in
// step with the fields River's uniqueness uses: changing a field of job.Job tagged `river:"unique"`
// changes the key, changing any other field does not.
func TestUniqueKeyMatchesTags(t *testing.T) {
	base := job.Job{Repo: "octo/widgets", PR: 7, HeadSHA: "c0ffee", RequestKey: "k", Installation: 1}
	typ := reflect.TypeFor[job.Job]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		changed := base
		v := reflect.ValueOf(&changed).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "-changed")
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Slice:
			v.Set(reflect.Append(reflect.MakeSlice(f.Type, 0, 1), reflect.Zero(f.Type.Elem())))
		case reflect.Pointer:
			v.Set(reflect.New(f.Type.Elem()))
		default:
			t.Fatalf("field %s: kind %s not covered by this test", f.Name, v.Kind())
		}
		unique := f.Tag.Get("river") == "unique"
		if differs := uniqueKey(t, changed) != uniqueKey(t, base); differs != unique {
			t.Errorf("field %s (unique %v): changing it changes the unique key: %v", f.Name, unique, differs)
		}
	}
}

// uniqueKey is the identity the queue's inserts give a job.
func uniqueKey(t *testing.T, a job.Job) string {
	t.Helper()
	r, err := rowFor(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(r.uniqueKey)
}
