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

// The errors of a JobStore.
var (
	// ErrJobLost is returned to a worker that renews or finishes a job it
	// no longer holds (its lease ran out and another worker claimed the
	// job).
	ErrJobLost = errors.New("quant: job lease lost")
	// ErrJobQueueFull is returned by SubmitJob when creating the job would
	// pass SubmitOptions.MaxActive.
	ErrJobQueueFull = errors.New("quant: job queue full")
)

// SubmitOptions says when SubmitJob answers with an existing job, or
// refuses, rather than creating one. The zero value creates a job unless
// one of the same Key is queued or running.
type SubmitOptions struct {
	// ReuseDone, if positive, lets a done job of the same Key that
	// finished less than ReuseDone ago (on the store's clock), with its
	// result at DatasetVersion, answer instead of a new job: a client that
	// submits the same work again and again then shares one stored result
	// rather than storing a copy per submission. A result of another
	// dataset version is never reused: it may answer for other data.
	ReuseDone      time.Duration
	DatasetVersion int64
	// MaxActive, if positive, bounds the queued and running jobs: a
	// submission that would create a job while MaxActive are active fails
	// with ErrJobQueueFull. One that joins or reuses a job never does, as
	// it adds no work.
	MaxActive int64
}

// JobStore keeps jobs where every instance can reach them. The inmem and
// postgres packages implement it; both pass storetest.RunJobs. Every method
// honours ctx: with ctx done it fails with an error wrapping ctx.Err(), so
// a caller that means to record an outcome during a shutdown passes a
// context of its own.
type JobStore interface {
	// SubmitJob stores j (its ID, Request and Key set) as queued, unless
	// opt lets an existing job answer: a recent done job of the same Key
	// (opt.ReuseDone), else a queued or running job with the same Key.
	// Then it returns that one and created=false. Keys may be long (a
	// correlation of 100 ids is about 3 KB).
	SubmitJob(ctx context.Context, j Job, opt SubmitOptions) (job Job, created bool, err error)
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
	// exactly one of them set, or returns ErrJobLost. The store may keep
	// res.Body itself rather than a copy: like every Result's, it is never
	// modified once returned by an Analyzer.
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
