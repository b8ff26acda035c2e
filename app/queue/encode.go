package queue

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river/rivershared/structtag"
	"github.com/riverqueue/river/rivershared/uniquestates"
	"github.com/tidwall/sjson"

	"github.com/codex-review/codex-review/app/job"
)

// What the queue's own inserts (sqliteinsert.go, pginsert.go) write for a
// job, encoded as River's client would encode it.

// encodedJob is a job encoded for the queue's own inserts
// (sqliteinsert.go, pginsert.go).
type encodedJob struct {
	args []byte
	// tags as a JSON array (SQLite) and as a list (Postgres).
	tags      []byte
	tagList   []string
	uniqueKey []byte
}

// uniqueStatesMask is uniqueStates as River stores them.
var uniqueStatesMask = int64(uniquestates.UniqueStatesToBitmask(uniqueStates))

// rowFor encodes a job the way River's client would for insertOpts.
func rowFor(a job.Job) (encodedJob, error) {
	args, err := json.Marshal(a)
	if err != nil {
		return encodedJob{}, err
	}
	tagList := insertOpts(a).Tags
	tags, err := json.Marshal(tagList)
	if err != nil {
		return encodedJob{}, err
	}
	key, err := riverUniqueKey(a, args)
	if err != nil {
		return encodedJob{}, err
	}
	return encodedJob{args: args, tags: tags, tagList: tagList, uniqueKey: key}, nil
}

// riverUniqueKey is River's unique key for a job inserted with
// UniqueOpts{ByArgs: true} and no period, queue or kind exclusion: the
// SHA-256 of "&kind=<kind>&args=<the unique fields, sorted by name>".
func riverUniqueKey(a job.Job, encoded []byte) ([]byte, error) {
	fields, err := structtag.SortedFieldsWithTag(a, "unique")
	if err != nil {
		return nil, err
	}
	values := structtag.ExtractValues(encoded, fields)
	unique := make([]byte, 0, len(encoded))
	opts := &sjson.Options{ReplaceInPlace: true}
	for i, field := range fields {
		if values[i] == "undefined" { // River's word for a missing field
			continue
		}
		if unique, err = sjson.SetRawBytesOptions(unique, field, []byte(values[i]), opts); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(append([]byte("&kind="+a.Kind()+"&args="), unique...))
	return sum[:], nil
}

// prepareCall is intake.prepare: the job encoded for the insert. A job
// that cannot be encoded fails its call alone, before it joins a batch.
func (q *Queue) prepareCall(c *enqueueCall) error {
	r, err := rowFor(c.args)
	if err != nil {
		return fmt.Errorf("enqueue review of %s#%d at %s: encode job: %w", c.args.Repo, c.args.PR, c.args.HeadSHA, err)
	}
	c.row = &r
	return nil
}
