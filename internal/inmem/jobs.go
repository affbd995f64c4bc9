package inmem

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/quantops/quant/internal/quant"
)

var _ quant.JobStore = (*Jobs)(nil)

// Jobs is an in-process quant.JobStore: the jobs of a single instance,
// gone when it stops (the PostgreSQL one survives restarts and is shared).
// It is safe for concurrent use.
//
// Its memory is bounded twice: by MaxJobs jobs and by MaxResultBytes of
// result bodies; past either, the oldest finished jobs are forgotten
// first (as PruneJobs would later), so memory stays bounded however fast
// jobs come. Active jobs are never forgotten: SubmitOptions.MaxActive
// bounds them.
type Jobs struct {
	mu     sync.Mutex
	jobs   map[string]*quant.Job // guarded by mu
	active map[string]string     // guarded by mu; key -> id of its queued or running job
	done   map[string]string     // guarded by mu; key -> id of its latest done job, while kept
	// queue holds the ids of the active jobs in submission order, so a
	// claim never walks the finished ones; it may also hold ids of jobs
	// that finished since (stale entries, dropped by the next claim or
	// when they pass half of it).
	queue    []string // guarded by mu
	stale    int      // guarded by mu; finished ids still in queue
	finished []string // guarded by mu; ids of the kept finished jobs, in finishing order
	bytes    int64    // guarded by mu; the result bodies of the kept jobs, in bytes
	now      func() time.Time
	max      int   // jobs kept at most
	maxBytes int64 // result bytes kept at most
}

// MaxJobs is how many jobs a Jobs keeps at most, finished ones included:
// a submission past it forgets the oldest finished jobs.
const MaxJobs = 100_000

// MaxResultBytes bounds the result bodies a Jobs keeps: a finished job
// past it forgets the oldest finished jobs (never itself, so one result
// larger than the bound is kept alone). 64 MiB holds about 240 of the
// largest answers (network, ~273 KB) and thousands of the per-politician
// ones; a body shared with the answer cache is counted although it costs
// nothing more.
const MaxResultBytes = 64 << 20

// NewJobs returns an empty job store.
func NewJobs() *Jobs {
	return &Jobs{
		jobs: map[string]*quant.Job{}, active: map[string]string{}, done: map[string]string{},
		now: time.Now, max: MaxJobs, maxBytes: MaxResultBytes,
	}
}

// SubmitJob implements quant.JobStore.
func (s *Jobs) SubmitJob(ctx context.Context, j quant.Job, opt quant.SubmitOptions) (quant.Job, bool, error) {
	if err := ctx.Err(); err != nil {
		return quant.Job{}, false, fmt.Errorf("inmem: submit job: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if opt.ReuseDone > 0 {
		if id, ok := s.done[j.Key]; ok {
			if d := s.jobs[id]; d.Result.DatasetVersion == opt.DatasetVersion && now.Sub(d.FinishedAt) < opt.ReuseDone {
				return clone(d), false, nil
			}
		}
	}
	if id, ok := s.active[j.Key]; ok {
		return clone(s.jobs[id]), false, nil
	}
	if opt.MaxActive > 0 && int64(len(s.active)) >= opt.MaxActive {
		return quant.Job{}, false, fmt.Errorf("inmem: submit job: %d jobs queued or running: %w", len(s.active), quant.ErrJobQueueFull)
	}
	if _, dup := s.jobs[j.ID]; dup {
		return quant.Job{}, false, fmt.Errorf("inmem: job %q exists", j.ID)
	}
	if len(s.jobs) >= s.max {
		s.evict(len(s.jobs)-s.max*9/10, -1)
	}
	j.State, j.Attempts, j.Owner = quant.JobQueued, 0, ""
	j.CreatedAt, j.NotBefore = now, now
	j.StartedAt, j.FinishedAt, j.LeaseUntil = time.Time{}, time.Time{}, time.Time{}
	j.Result, j.Error = nil, nil
	s.jobs[j.ID] = &j
	s.active[j.Key] = j.ID
	s.queue = append(s.queue, j.ID)
	return clone(&j), true, nil
}

// Job implements quant.JobStore.
func (s *Jobs) Job(ctx context.Context, id string) (quant.Job, error) {
	if err := ctx.Err(); err != nil {
		return quant.Job{}, fmt.Errorf("inmem: read job: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return quant.Job{}, fmt.Errorf("inmem: %w", &quant.NotFoundError{What: "job", ID: id})
	}
	return clone(j), nil
}

// ClaimJob implements quant.JobStore. It walks the active jobs only,
// dropping the ids of finished ones on the way.
func (s *Jobs) ClaimJob(ctx context.Context, owner string, lease time.Duration) (quant.Job, bool, error) {
	if err := ctx.Err(); err != nil {
		return quant.Job{}, false, fmt.Errorf("inmem: claim job: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var claimed *quant.Job
	kept := s.queue[:0]
	for _, id := range s.queue {
		j, ok := s.jobs[id]
		if !ok || j.State.Finished() {
			continue
		}
		kept = append(kept, id)
		if claimed != nil {
			continue
		}
		if j.State == quant.JobQueued && !j.NotBefore.After(now) || j.State == quant.JobRunning && j.LeaseUntil.Before(now) {
			claimed = j
		}
	}
	clear(s.queue[len(kept):])
	s.queue, s.stale = kept, 0
	if claimed == nil {
		return quant.Job{}, false, nil
	}
	j := claimed
	j.State, j.Owner, j.LeaseUntil = quant.JobRunning, owner, now.Add(lease)
	j.Attempts++
	if j.StartedAt.IsZero() {
		j.StartedAt = now
	}
	return clone(j), true, nil
}

// held returns owner's running job id, or ErrJobLost. s.mu must be held.
func (s *Jobs) held(id, owner string) (*quant.Job, error) {
	j, ok := s.jobs[id]
	if !ok || j.State != quant.JobRunning || j.Owner != owner {
		return nil, fmt.Errorf("inmem: job %q: %w", id, quant.ErrJobLost)
	}
	return j, nil
}

// RenewJob implements quant.JobStore.
func (s *Jobs) RenewJob(ctx context.Context, id, owner string, lease time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: renew job %q: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.held(id, owner)
	if err != nil {
		return err
	}
	j.LeaseUntil = s.now().Add(lease)
	return nil
}

// FinishJob implements quant.JobStore. A result is kept as given, its
// body shared rather than copied (bodies are never modified).
func (s *Jobs) FinishJob(ctx context.Context, id, owner string, res *quant.Result, jerr *quant.JobError) error {
	if (res == nil) == (jerr == nil) {
		return fmt.Errorf("inmem: finish job %q: want a result or an error, not %s", id, map[bool]string{true: "both", false: "neither"}[res != nil])
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: finish job %q: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.held(id, owner)
	if err != nil {
		return err
	}
	j.State = quant.JobDone
	if jerr != nil {
		j.State = quant.JobFailed
		e := *jerr
		j.Error = &e
	} else {
		r := *res
		j.Result = &r
		s.bytes += int64(len(r.Body))
		s.done[j.Key] = j.ID
	}
	j.FinishedAt, j.Owner, j.LeaseUntil = s.now(), "", time.Time{}
	delete(s.active, j.Key)
	s.finished = append(s.finished, j.ID)
	if s.stale++; s.stale > len(s.queue)/2 {
		s.dropStale()
	}
	if s.bytes > s.maxBytes {
		s.evict(len(s.finished)-1, s.maxBytes)
	}
	return nil
}

// RequeueJob implements quant.JobStore.
func (s *Jobs) RequeueJob(ctx context.Context, id, owner string, delay time.Duration, refund bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: requeue job %q: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.held(id, owner)
	if err != nil {
		return err
	}
	j.State, j.Owner, j.LeaseUntil, j.NotBefore = quant.JobQueued, "", time.Time{}, s.now().Add(delay)
	if refund && j.Attempts > 0 {
		j.Attempts--
	}
	return nil
}

// JobCounts implements quant.JobStore.
func (s *Jobs) JobCounts(ctx context.Context) (quant.JobCounts, error) {
	if err := ctx.Err(); err != nil {
		return quant.JobCounts{}, fmt.Errorf("inmem: count jobs: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var c quant.JobCounts
	for _, j := range s.jobs {
		switch j.State {
		case quant.JobQueued:
			c.Queued++
		case quant.JobRunning:
			c.Running++
		case quant.JobDone:
			c.Done++
		case quant.JobFailed:
			c.Failed++
		}
	}
	return c, nil
}

// ActiveJobs implements quant.JobStore.
func (s *Jobs) ActiveJobs(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("inmem: count active jobs: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.active)), nil
}

// PruneJobs implements quant.JobStore.
func (s *Jobs) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("inmem: prune jobs: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	kept := s.finished[:0]
	for _, id := range s.finished {
		if j := s.jobs[id]; j.FinishedAt.Before(before) {
			s.forget(j)
			n++
			continue
		}
		kept = append(kept, id)
	}
	clear(s.finished[len(kept):])
	s.finished = kept
	return n, nil
}

// evict forgets the oldest finished jobs: at most n of them, and only
// while more than maxBytes of results are kept (-1: regardless of bytes).
// s.mu must be held.
func (s *Jobs) evict(n int, maxBytes int64) {
	i := 0
	for ; i < min(n, len(s.finished)) && (maxBytes == 0 || s.bytes > maxBytes); i++ {
		s.forget(s.jobs[s.finished[i]])
	}
	s.finished = s.finished[i:]
}

// forget deletes finished job j; the caller drops its id from s.finished.
// s.mu must be held.
func (s *Jobs) forget(j *quant.Job) {
	delete(s.jobs, j.ID)
	if j.Result != nil {
		s.bytes -= int64(len(j.Result.Body))
	}
	if s.done[j.Key] == j.ID {
		delete(s.done, j.Key)
	}
}

// dropStale removes the ids of finished jobs from s.queue. s.mu must be
// held.
func (s *Jobs) dropStale() {
	kept := s.queue[:0]
	for _, id := range s.queue {
		if j, ok := s.jobs[id]; ok && !j.State.Finished() {
			kept = append(kept, id)
		}
	}
	clear(s.queue[len(kept):])
	s.queue, s.stale = kept, 0
}

// clone copies j so callers never share the stored job.
func clone(j *quant.Job) quant.Job {
	c := *j
	c.Request.IDs = append([]string(nil), j.Request.IDs...)
	if j.Result != nil {
		r := *j.Result
		c.Result = &r // Body is never modified in place, so sharing it is safe
	}
	if j.Error != nil {
		e := *j.Error
		c.Error = &e
	}
	return c
}
