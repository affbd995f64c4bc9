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
type Jobs struct {
	mu     sync.Mutex
	jobs   map[string]*quant.Job // guarded by mu
	active map[string]string     // guarded by mu; key -> id of its queued or running job
	order  []string              // guarded by mu; ids in submission order (pruned lazily)
	now    func() time.Time
	max    int // jobs kept at most: past it, the oldest finished go first
}

// MaxJobs is how many jobs a Jobs keeps at most, finished ones included:
// a submission past it forgets the oldest finished jobs (as PruneJobs
// would later), so memory stays bounded however fast jobs come.
const MaxJobs = 100_000

// NewJobs returns an empty job store.
func NewJobs() *Jobs {
	return &Jobs{jobs: map[string]*quant.Job{}, active: map[string]string{}, now: time.Now, max: MaxJobs}
}

// SubmitJob implements quant.JobStore.
func (s *Jobs) SubmitJob(ctx context.Context, j quant.Job) (quant.Job, bool, error) {
	if err := ctx.Err(); err != nil {
		return quant.Job{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.active[j.Key]; ok {
		return clone(s.jobs[id]), false, nil
	}
	if _, dup := s.jobs[j.ID]; dup {
		return quant.Job{}, false, fmt.Errorf("inmem: job %q exists", j.ID)
	}
	if len(s.jobs) >= s.max {
		s.evict(len(s.jobs) - s.max*9/10)
	}
	now := s.now()
	j.State, j.Attempts, j.Owner = quant.JobQueued, 0, ""
	j.CreatedAt, j.NotBefore = now, now
	j.StartedAt, j.FinishedAt, j.LeaseUntil = time.Time{}, time.Time{}, time.Time{}
	j.Result, j.Error = nil, nil
	s.jobs[j.ID] = &j
	s.active[j.Key] = j.ID
	s.order = append(s.order, j.ID)
	return clone(&j), true, nil
}

// Job implements quant.JobStore.
func (s *Jobs) Job(ctx context.Context, id string) (quant.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return quant.Job{}, fmt.Errorf("inmem: %w", &quant.NotFoundError{What: "job", ID: id})
	}
	return clone(j), nil
}

// ClaimJob implements quant.JobStore.
func (s *Jobs) ClaimJob(ctx context.Context, owner string, lease time.Duration) (quant.Job, bool, error) {
	if err := ctx.Err(); err != nil {
		return quant.Job{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, id := range s.order {
		j, ok := s.jobs[id]
		if !ok {
			continue
		}
		due := j.State == quant.JobQueued && !j.NotBefore.After(now) ||
			j.State == quant.JobRunning && j.LeaseUntil.Before(now)
		if !due {
			continue
		}
		j.State, j.Owner, j.LeaseUntil = quant.JobRunning, owner, now.Add(lease)
		j.Attempts++
		if j.StartedAt.IsZero() {
			j.StartedAt = now
		}
		return clone(j), true, nil
	}
	return quant.Job{}, false, nil
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
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.held(id, owner)
	if err != nil {
		return err
	}
	j.LeaseUntil = s.now().Add(lease)
	return nil
}

// FinishJob implements quant.JobStore.
func (s *Jobs) FinishJob(ctx context.Context, id, owner string, res *quant.Result, jerr *quant.JobError) error {
	if (res == nil) == (jerr == nil) {
		return fmt.Errorf("inmem: finish job %q: want a result or an error, not %s", id, map[bool]string{true: "both", false: "neither"}[res != nil])
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
		r.Body = append([]byte(nil), res.Body...)
		j.Result = &r
	}
	j.FinishedAt, j.Owner, j.LeaseUntil = s.now(), "", time.Time{}
	delete(s.active, j.Key)
	return nil
}

// RequeueJob implements quant.JobStore.
func (s *Jobs) RequeueJob(ctx context.Context, id, owner string, delay time.Duration, refund bool) error {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.active)), nil
}

// PruneJobs implements quant.JobStore.
func (s *Jobs) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	kept := s.order[:0]
	for _, id := range s.order {
		j := s.jobs[id]
		if j.State.Finished() && j.FinishedAt.Before(before) {
			delete(s.jobs, id)
			n++
			continue
		}
		kept = append(kept, id)
	}
	clear(s.order[len(kept):])
	s.order = kept
	return n, nil
}

// evict forgets up to n of the oldest finished jobs. s.mu must be held.
func (s *Jobs) evict(n int) {
	kept := s.order[:0]
	for _, id := range s.order {
		if j := s.jobs[id]; n > 0 && j.State.Finished() {
			delete(s.jobs, id)
			n--
			continue
		}
		kept = append(kept, id)
	}
	clear(s.order[len(kept):])
	s.order = kept
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
