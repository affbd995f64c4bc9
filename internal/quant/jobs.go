package quant

import (
	"context"
	"errors"
	"time"
)

// JobState is where a Job is in its life: queued -> running -> done or
// failed. A running job whose worker stops renewing its lease is claimed
// again, so "running" may go back to running under another worker.
type JobState string

// The states of a Job.
const (
	JobQueued  JobState = "queued"
	JobRunning JobState = "running"
	JobDone    JobState = "done"
	JobFailed  JobState = "failed"
)

// Finished reports whether s is a final state.
func (s JobState) Finished() bool { return s == JobDone || s == JobFailed }

// Job is an analysis run asynchronously: submitted through the API, run by
// any instance's workers, its result kept in a JobStore so any instance can
// answer for it.
type Job struct {
	ID       string
	Request  Request // normalized
	Key      string  // Request.Key(): at most one active job per key
	State    JobState
	Attempts int    // claims so far, including the current one
	Owner    string // the worker holding a running job

	CreatedAt  time.Time
	StartedAt  time.Time // first claim; zero while queued
	FinishedAt time.Time // zero until done or failed
	NotBefore  time.Time // a queued job is not claimed before this
	LeaseUntil time.Time // a running job is claimable again after this

	Result *Result   // when done
	Error  *JobError // when failed
}

// JobError is why a job failed, as the API answers it: the problem's
// status, type and detail, and the parameter or reason when there is one.
type JobError struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	Param  string `json:"param,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// JobCounts counts a JobStore's jobs by state.
type JobCounts struct {
	Queued, Running, Done, Failed int64
}

// ErrJobLost is returned to a worker that renews or finishes a job it no
// longer holds (its lease ran out and another worker claimed the job).
var ErrJobLost = errors.New("quant: job lease lost")

// JobStore keeps jobs where every instance can reach them. The inmem and
// postgres packages implement it; both pass storetest.RunJobs.
type JobStore interface {
	// SubmitJob stores j (its ID, Request and Key set) as queued, unless a
	// queued or running job with the same Key exists: then it returns that
	// one and created=false.
	SubmitJob(ctx context.Context, j Job) (job Job, created bool, err error)
	// Job returns one job or an error wrapping ErrNotFound.
	Job(ctx context.Context, id string) (Job, error)
	// ClaimJob hands the oldest claimable job (queued and due, or running
	// with its lease run out) to owner for lease, counting an attempt.
	// ok is false when there is none.
	ClaimJob(ctx context.Context, owner string, lease time.Duration) (job Job, ok bool, err error)
	// RenewJob extends owner's lease on a running job, or returns
	// ErrJobLost.
	RenewJob(ctx context.Context, id, owner string, lease time.Duration) error
	// FinishJob records a running job's result (done) or error (failed),
	// exactly one of them set, or returns ErrJobLost.
	FinishJob(ctx context.Context, id, owner string, res *Result, jerr *JobError) error
	// RequeueJob puts owner's running job back in the queue, not to be
	// claimed for delay (on the store's clock), or returns ErrJobLost.
	// With refund the claim's attempt is given back: the worker let the
	// job go (a shutdown) rather than the analysis being refused.
	RequeueJob(ctx context.Context, id, owner string, delay time.Duration, refund bool) error
	// JobCounts counts jobs by state.
	JobCounts(ctx context.Context) (JobCounts, error)
	// ActiveJobs counts the queued and running jobs (cheaper than
	// JobCounts: it reads only the active ones).
	ActiveJobs(ctx context.Context) (int64, error)
	// PruneJobs deletes finished jobs that finished before t and returns
	// how many.
	PruneJobs(ctx context.Context, before time.Time) (int, error)
}
