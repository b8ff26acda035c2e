// Package publish turns a review.Result into exactly one GitHub pull
// request review, and reads back what earlier reviews posted.
//
// The rules it keeps (design §2): one visible review per run, with
// commit_id set to the reviewed head and event COMMENT (REQUEST_CHANGES
// only when asked, never APPROVE); findings already posted on an earlier
// run are not posted again; and a finding is never lost. GitHub rejects a
// whole review with 422 when one inline comment is outside the diff,
// without saying which one. Publish then finds the offenders with pending
// reviews, which only the app can see, moves them into the summary and
// posts the review once; if GitHub still refuses, everything goes into the
// body.
//
// The summary ends with a hidden state marker (the reviewed head and the
// fingerprints posted so far) that LastState reads back for the next,
// incremental review.
package publish
