package queue

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store/storetest"
)

// TestOwnInsertAgreesWithRiver holds the queue's own inserts
// (sqliteinsert.go, pginsert.go) in step with River's: a job inserted by
// either is a duplicate for the other in the states that block duplicates,
// and not in the others, and River reads back what the queue wrote as the
// job River's client would have written.
func TestOwnInsertAgreesWithRiver(t *testing.T) {
	storetest.Run(t, testOwnInsertAgreesWithRiver)
}

func testOwnInsertAgreesWithRiver(t *testing.T, databaseURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), &fakeHandler{})
	if q.sqlite == nil && q.pg == nil {
		t.Fatal("the queue does not use its own insert")
	}
	riverInsert := func(a job.Job) *rivertype.JobInsertResult {
		t.Helper()
		res, err := q.client.Insert(ctx, a, insertOpts(a))
		if err != nil {
			t.Fatalf("River's Insert: %v", err)
		}
		return res
	}
	jobs := []job.Job{
		args(1, "c0ffee", "auto"),
		{Repo: "octo/widgets", Installation: 42, PR: 2, RequestKey: "comment:7", CommentID: 7, Source: job.Comment, Action: job.Review, Post: true}, // no head
		{Repo: "Octo/Widgets", Installation: 9, PR: 3, HeadSHA: "abc", RequestKey: "api:x", Source: job.API, Action: job.Review,
			Areas: nil, Instructions: "look at \"quotes\" & <tags>", Post: false},
	}
	for _, a := range jobs {
		// River first, then the queue's insert: a duplicate of River's job.
		res := riverInsert(a)
		if res.UniqueSkippedAsDuplicate {
			t.Fatalf("%+v: River found a duplicate in an empty queue", a)
		}
		id, dup, err := q.Enqueue(ctx, a)
		if err != nil || !dup || id != res.Job.ID {
			t.Fatalf("%+v: Enqueue after River's insert = %d, %v, %v; want %d, duplicate", a, id, dup, err, res.Job.ID)
		}
	}
	for i, a := range jobs {
		// The queue's insert first, then River's: River finds it.
		a.PR += 100
		a.Installation++
		id, dup, err := q.Enqueue(ctx, a)
		if err != nil || dup {
			t.Fatalf("%+v: Enqueue = %d, %v, %v; want a new job", a, id, dup, err)
		}
		if res := riverInsert(a); !res.UniqueSkippedAsDuplicate || res.Job.ID != id {
			t.Fatalf("%+v: River's insert after Enqueue = job %d, duplicate %v; want job %d, duplicate", a, res.Job.ID, res.UniqueSkippedAsDuplicate, id)
		}

		// River reads the row as its own client would have written it.
		row, err := q.exec.JobGetByID(ctx, &riverdriver.JobGetByIDParams{ID: id, Schema: q.schema})
		if err != nil {
			t.Fatal(err)
		}
		mine := riverInsert(job.Job{Repo: "octo/reference", PR: 1000 + i, RequestKey: "auto", Installation: 1, Source: job.Automatic, Action: job.Review})
		if row.Kind != job.Kind || row.State != rivertype.JobStateAvailable || row.Queue != mine.Job.Queue ||
			row.Priority != mine.Job.Priority || row.MaxAttempts != mine.Job.MaxAttempts || row.Attempt != 0 ||
			!slices.Equal(row.UniqueStates, mine.Job.UniqueStates) || len(row.UniqueKey) != len(mine.Job.UniqueKey) ||
			!slices.Equal(row.Tags, insertOpts(a).Tags) || string(row.Metadata) != "{}" {
			// River's own metadata holds only the nonce it uses to tell an
			// insert from a conflict, which this insert does not need.
			t.Errorf("the queue wrote %+v; River writes %+v", *row, *mine.Job)
		}
		if row.ScheduledAt.IsZero() || row.CreatedAt.IsZero() || row.ScheduledAt.After(mine.Job.ScheduledAt) {
			t.Errorf("scheduled at %v, created at %v; River's later job is scheduled at %v", row.ScheduledAt, row.CreatedAt, mine.Job.ScheduledAt)
		}
		got, err := decodeArgs(row.EncodedArgs)
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("args read back as %+v (%v), want %+v", got, err, a)
		}
	}

	// Cancelled jobs do not block a new request; completed ones do.
	a := args(50, "d00d", "auto")
	first := enqueue(t, ctx, q, a)
	if _, err := q.client.JobCancel(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := enqueue(t, ctx, q, a)
	if second == first {
		t.Fatalf("a cancelled job blocked its request")
	}
	complete := `UPDATE river_job SET state = 'completed', finalized_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = ?`
	if q.pg != nil {
		complete = `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = $1`
	}
	if _, err := q.db.SQL().ExecContext(ctx, complete, second); err != nil {
		t.Fatal(err)
	}
	if id, dup, err := q.Enqueue(ctx, a); err != nil || !dup || id != second {
		t.Fatalf("Enqueue after its job completed = %d, %v, %v; want %d, duplicate", id, dup, err, second)
	}

	// A batch with the same job twice and one already there.
	batch := []job.Job{args(60, "e", "auto"), args(61, "f", "auto"), args(60, "e", "auto"), a}
	ids, dups, err := ownInsert(ctx, q, batch)
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != ids[2] || ids[0] == ids[1] || ids[3] != second || !slices.Equal(dups, []bool{false, false, true, true}) {
		t.Fatalf("batch ids %v duplicates %v; want the first and third equal, the last %d, duplicates [false false true true]", ids, dups, second)
	}
}

// ownInsert inserts jobs with the queue's own insert, one after the other
// in one transaction (a job twice is found the second time).
func ownInsert(ctx context.Context, q *Queue, jobs []job.Job) ([]int64, []bool, error) {
	if q.sqlite != nil {
		return q.sqlite.insertJobs(ctx, jobs)
	}
	rows := make([]encodedJob, len(jobs))
	for i, a := range jobs {
		r, err := rowFor(a)
		if err != nil {
			return nil, nil, err
		}
		rows[i] = r
	}
	return q.pg.insertRows(ctx, rows)
}

// TestOwnInsertAllOrNothing: a batch whose last job cannot be inserted
// inserts none of the others, on either database, and Enqueue then puts
// each good job of the batch in alone.
func TestOwnInsertAllOrNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), &fakeHandler{})
		good, err := rowFor(args(1, "a", "auto"))
		if err != nil {
			t.Fatal(err)
		}
		bad := good
		bad.args, bad.tags = []byte(`{"not json`), []byte(`not json`)
		bad.uniqueKey = append([]byte{}, good.uniqueKey...)
		bad.uniqueKey[0] ^= 0xff
		var insertErr error
		if q.sqlite != nil {
			_, _, insertErr = q.sqlite.insertRows(ctx, []encodedJob{good, bad})
		} else {
			_, _, insertErr = q.pg.insertRows(ctx, []encodedJob{good, bad})
		}
		if insertErr == nil {
			t.Fatal("a batch with a broken job was inserted")
		}
		var n int
		if err := q.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM river_job`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d jobs after the failed batch (%v); want none", n, err)
		}
		if _, dup, err := q.Enqueue(ctx, args(1, "a", "auto")); err != nil || dup {
			t.Fatalf("Enqueue after the failed batch: duplicate %v, %v", dup, err)
		}
	})
}

// decodeArgs reads a job's args the way the worker does.
func decodeArgs(encoded []byte) (job.Job, error) {
	var a job.Job
	err := json.Unmarshal(encoded, &a)
	return a, err
}

// TestSQLiteInsertPreparesAgainAfterAFailure: a statement that could not be
// prepared (the database busy, the caller gone) is prepared again by the
// next insert, not left failing every insert after it.
func TestSQLiteInsertPreparesAgainAfterAFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	q := newQueue(t, openDB(t, ctx, storetest.SQLiteURL(t)), testConfig(t), &fakeHandler{})
	gone, stop := context.WithCancel(ctx)
	stop()
	if _, _, err := q.sqlite.insertJobs(gone, []job.Job{args(1, "a", "auto")}); err == nil {
		t.Fatal("an insert with an ended context succeeded")
	}
	if id, dup, err := q.Enqueue(ctx, args(1, "a", "auto")); err != nil || dup || id == 0 {
		t.Fatalf("Enqueue after a failed prepare = %d, %v, %v", id, dup, err)
	}
}

// TestOwnInsertWakesWorkers: on Postgres the insert sends River's
// notification, so a worker starts a new job at once rather than at its
// next poll (set to an hour here, so only the notification can start it).
func TestOwnInsertWakesWorkers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cfg := testConfig(t)
	cfg.PollInterval = time.Hour
	h := &fakeHandler{}
	q := newQueue(t, openDB(t, ctx, storetest.PostgresURL(t)), cfg, h)
	events := subscribe(t, q)
	start(t, ctx, q)
	// The first job may be found by the fetch every worker makes when it
	// starts; the second can only be found through the notification.
	for pr := 1; pr <= 2; pr++ {
		id := enqueue(t, ctx, q, args(pr, "a", "auto"))
		waitEvent(t, ctx, events, river.EventKindJobCompleted, id)
	}
}
