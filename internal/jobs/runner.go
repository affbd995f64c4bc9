// Package jobs runs the analyses clients submit as jobs (POST
// /api/v1/jobs): Runner stores a submission in a shared quant.JobStore,
// joining the same work queued, running or recently done, and its workers
// claim jobs (any instance's), run them through the protected Analyzer
// under a renewed lease, and record the result or the failure's problem
// (internal/problem). It owns the retries of refused work, the bound on
// the queue and the pruning of finished jobs; the HTTP handlers stay in
// internal/server.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// Config configures a Runner. Zero fields take the defaults
// named on each.
type Config struct {
	Store    quant.JobStore // required
	Analyzer quant.Analyzer // required: the protected request path, so jobs share its bulkheads and cache
	Logger   *slog.Logger
	// Instance names this process in job owners: cmd/quant's instance id,
	// the one the admin snapshot and the cluster registry show (default
	// "quant"). Each worker's owner is "<Instance>/<worker>/<run>", where
	// run is drawn by each Run, so two runs never share an owner.
	Instance string
	// Workers run jobs at once in this process (default 2). The bulkheads
	// behind Analyzer still bound how many compute.
	Workers int
	// Lease is how long a claimed job stays this worker's without a renewal
	// (default 30 s; renewed every third of it). A job whose worker died is
	// claimed again once its lease runs out.
	Lease time.Duration
	// MaxAttempts bounds the claims of one job (default 5): a job still
	// refused (overload, timeout) or abandoned after them fails.
	MaxAttempts int
	// Retention keeps finished jobs this long (default 24 h).
	Retention time.Duration
	// IdlePoll is the longest pause between claims when there is no work
	// (default 1 s); a job submitted to this process wakes it at once.
	IdlePoll time.Duration
	// MaxActive bounds the jobs queued or running in the store (default
	// 10,000): past it, a submission that would create a job is refused
	// with 503 and Retry-After, so a flood of distinct submissions cannot
	// grow the queue without end. One that joins an existing job is
	// answered as usual: it adds no work.
	MaxActive int64
	// ReuseDone is how long a done job answers new submissions of the
	// same work, at the same dataset version, instead of a new job that
	// would store the same result again (default 10 min; negative: never).
	// Without it every POST after the previous job finished stored a copy
	// of the answer (~273 KB for network), for a day. The cache already
	// serves answers up to their TTL old (30 min to 2 h), so a result up
	// to a third of the shortest TTL older is of the same freshness, and
	// one of an older dataset version is never reused.
	ReuseDone time.Duration
	// Versions reads the current dataset version for ReuseDone. If nil,
	// Store serves when it has a DatasetVersion method (the PostgreSQL
	// store does); else done jobs are never reused.
	Versions interface {
		DatasetVersion(ctx context.Context) (int64, error)
	}
}

// The runner's bounds on its own store calls.
const (
	// outcomeTimeout bounds each call that records a job's outcome. The
	// call runs even when the runner is stopping, so it needs a bound of
	// its own, counted from the call: a job may run far longer.
	outcomeTimeout = 10 * time.Second
	// maxClaimTimeout bounds a claim (or a third of the lease, if less: a
	// claim slower than that would eat the lease it takes).
	maxClaimTimeout = 5 * time.Second
	// maxRetryWait bounds how long a refused job waits before its next
	// attempt, whatever the refusal's Retry-After: an operator may force
	// a breaker open for days, and every submission of the same work
	// would join a job parked that long.
	maxRetryWait = 30 * time.Second
)

// Runner runs jobs: the API submits through it, and its workers claim
// jobs from the shared JobStore, run them through the Analyzer and record
// the outcome. Any instance's runner may run any instance's job.
type Runner struct {
	cfg  Config
	wake chan struct{}

	running, done, failed, retried, lost, submitted atomic.Int64
}

// New returns a runner; Run starts its workers.
func New(cfg Config) *Runner {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 24 * time.Hour
	}
	if cfg.IdlePoll <= 0 {
		cfg.IdlePoll = time.Second
	}
	if cfg.Instance == "" {
		cfg.Instance = "quant"
	}
	if cfg.MaxActive <= 0 {
		cfg.MaxActive = 10000
	}
	if cfg.ReuseDone == 0 {
		cfg.ReuseDone = 10 * time.Minute
	}
	if v, ok := cfg.Store.(interface {
		DatasetVersion(ctx context.Context) (int64, error)
	}); ok && cfg.Versions == nil {
		cfg.Versions = v
	}
	return &Runner{cfg: cfg, wake: make(chan struct{}, cfg.Workers)}
}

// Stats returns the runner's counters (Store left nil: Counts reads it).
func (j *Runner) Stats() quant.JobsSnapshot {
	return quant.JobsSnapshot{
		Workers: j.cfg.Workers, Running: j.running.Load(), Done: j.done.Load(), Failed: j.failed.Load(),
		Retried: j.retried.Load(), Lost: j.lost.Load(), Submitted: j.submitted.Load(),
	}
}

// Counts counts the shared store's jobs by state.
func (j *Runner) Counts(ctx context.Context) (quant.JobCounts, error) {
	return j.cfg.Store.JobCounts(ctx)
}

// Submit stores a job for req (normalized) and wakes a worker. A queued
// or running job of the same work, or a done one recent enough (see
// ReuseDone), is returned instead (created false).
func (j *Runner) Submit(ctx context.Context, req quant.Query) (quant.Job, bool, error) {
	return j.submit(ctx, req, true)
}

// SubmitFresh is Submit without reusing a done job: the work runs again,
// through the cache. It is for a client that wants the answer in the
// cache now (quant warm): a done job would answer without touching the
// cache, which may have been flushed since.
func (j *Runner) SubmitFresh(ctx context.Context, req quant.Query) (quant.Job, bool, error) {
	return j.submit(ctx, req, false)
}

func (j *Runner) submit(ctx context.Context, q quant.Query, reuse bool) (quant.Job, bool, error) {
	opt := quant.SubmitOptions{MaxActive: j.cfg.MaxActive}
	if reuse && j.cfg.ReuseDone > 0 && j.cfg.Versions != nil {
		// Without the version nothing is reused; the submission itself
		// says whether the store answers.
		if v, err := j.cfg.Versions.DatasetVersion(ctx); err == nil {
			opt.ReuseDone, opt.DatasetVersion = j.cfg.ReuseDone, v
		}
	}
	var b [16]byte
	rand.Read(b[:])
	job, created, err := j.cfg.Store.SubmitJob(ctx, quant.Job{ID: hex.EncodeToString(b[:]), Request: q.Request, Key: q.Key()}, opt)
	if errors.Is(err, quant.ErrJobQueueFull) {
		return quant.Job{}, false, &quant.UnavailableError{
			Reason:     fmt.Sprintf("the job queue is full (%d jobs queued or running); retry later", j.cfg.MaxActive),
			RetryAfter: 5 * time.Second,
		}
	}
	if err != nil {
		return job, false, err
	}
	if created {
		j.submitted.Add(1)
		select {
		case j.wake <- struct{}{}:
		default:
		}
	}
	return job, created, nil
}

// ValidID reports whether id has the form Submit gives job ids: 32
// lower-case hex digits.
func ValidID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// Job reads one job.
func (j *Runner) Job(ctx context.Context, id string) (quant.Job, error) {
	return j.cfg.Store.Job(ctx, id)
}

// Run runs the workers and the pruning of old jobs until ctx is done, then
// waits for them. A job interrupted by the shutdown is put back in the
// queue for any instance to run.
func (j *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range j.cfg.Workers {
		owner := fmt.Sprintf("%s/%d/%s", j.cfg.Instance, i, rand.Text()[:6])
		wg.Go(func() { j.work(ctx, owner) })
	}
	wg.Go(func() {
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			if n, err := j.cfg.Store.PruneJobs(ctx, time.Now().Add(-j.cfg.Retention)); err == nil && n > 0 {
				j.cfg.Logger.Info("jobs: pruned finished jobs", "jobs", n, "older_than", j.cfg.Retention)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	wg.Wait()
}

// work claims and runs jobs until ctx is done; with nothing to claim it
// polls, backing off from 50 ms to IdlePoll.
func (j *Runner) work(ctx context.Context, owner string) {
	idle := 50 * time.Millisecond
	var lastErr time.Time
	for ctx.Err() == nil {
		// The claim is not cut short by a shutdown: cancelled in flight, it
		// could commit on PostgreSQL while we saw only the cancellation,
		// leaving the job running for nobody until its lease ran out.
		claimedAt := time.Now() // the lease starts after this
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(maxClaimTimeout, j.cfg.Lease/3))
		job, ok, err := j.cfg.Store.ClaimJob(cctx, owner, j.cfg.Lease)
		cancel()
		if err != nil && ctx.Err() == nil && time.Since(lastErr) > 30*time.Second {
			j.cfg.Logger.Warn("jobs: cannot claim; retrying", "err", err)
			lastErr = time.Now()
		}
		if ok && ctx.Err() != nil {
			// Claimed as the shutdown began: let any instance run it, and
			// give the attempt back.
			j.record(ctx, j.jobLog(job), "requeue", func(ctx context.Context) error {
				return j.cfg.Store.RequeueJob(ctx, job.ID, owner, 0, true)
			})
			return
		}
		if ok {
			j.run(ctx, owner, job, claimedAt)
			idle = 50 * time.Millisecond
			continue
		}
		t := time.NewTimer(idle)
		select {
		case <-ctx.Done():
		case <-j.wake:
			idle = 50 * time.Millisecond
		case <-t.C:
			idle = min(2*idle, j.cfg.IdlePoll)
		}
		t.Stop()
	}
}

// jobLog is the logger of one job's events.
func (j *Runner) jobLog(job quant.Job) *slog.Logger {
	return j.cfg.Logger.With("job", job.ID, "key", job.Key, "attempt", job.Attempts)
}

// record makes one store call that records a job's outcome and logs its
// failure; it reports whether the store took the outcome. The call runs
// even when ctx is done (a shutdown), bounded by outcomeTimeout from now.
func (j *Runner) record(ctx context.Context, log *slog.Logger, op string, call func(context.Context) error) bool {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeTimeout)
	defer cancel()
	err := call(rctx)
	switch {
	case errors.Is(err, quant.ErrJobLost):
		j.lost.Add(1)
		log.Warn("jobs: lost the job to another worker (lease ran out)", "op", op)
	case err != nil:
		log.Warn("jobs: cannot record the outcome; the job runs again when its lease runs out", "op", op, "err", err)
	}
	return err == nil
}

// run runs one claimed job, renewing its lease meanwhile. claimedAt is
// when the claim was sent: the lease runs out Lease after it at the
// latest unless renewed.
func (j *Runner) run(ctx context.Context, owner string, job quant.Job, claimedAt time.Time) {
	j.running.Add(1)
	defer j.running.Add(-1)
	log := j.jobLog(job)
	fail := func(op string, jerr *quant.JobError) {
		if j.record(ctx, log, op, func(ctx context.Context) error { return j.cfg.Store.FinishJob(ctx, job.ID, owner, nil, jerr) }) {
			j.failed.Add(1)
		}
	}
	if job.Attempts > j.cfg.MaxAttempts {
		fail("give up", jobError(&quant.UnavailableError{
			Reason: fmt.Sprintf("gave up after %d attempts (the analysis was refused or its workers stopped each time)", j.cfg.MaxAttempts),
		}))
		return
	}
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var lost atomic.Bool
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		if j.renew(jctx, log, job.ID, owner, claimedAt) {
			lost.Store(true)
			cancel()
		}
	}()
	// A stored request comes from outside this process (another instance
	// or release may have written it): it is a new edge, checked again.
	q, err := quant.NewQuery(job.Request)
	var res *quant.Result
	if err == nil {
		res, err = j.cfg.Analyzer.Analyze(jctx, q)
	}
	cancel()
	<-renewed
	switch {
	case lost.Load():
		j.lost.Add(1)
	case err == nil:
		if j.record(ctx, log, "finish", func(ctx context.Context) error { return j.cfg.Store.FinishJob(ctx, job.ID, owner, res, nil) }) {
			j.done.Add(1)
		}
	case ctx.Err() != nil: // shutting down: let any instance run it, and give the attempt back
		j.record(ctx, log, "requeue", func(ctx context.Context) error { return j.cfg.Store.RequeueJob(ctx, job.ID, owner, 0, true) })
	case (errors.Is(err, quant.ErrUnavailable) || errors.Is(err, quant.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)) &&
		job.Attempts < j.cfg.MaxAttempts:
		// Overload, an open breaker or a store outage: try again later,
		// when the refusal says or with exponential backoff, within
		// maxRetryWait either way. The last attempt's refusal fails the
		// job with its own problem (below).
		wait := time.Duration(math.Min(maxRetryWait.Seconds(), math.Pow(2, float64(job.Attempts)))) * time.Second
		var ue *quant.UnavailableError
		if errors.As(err, &ue) && ue.RetryAfter > 0 {
			wait = min(ue.RetryAfter, maxRetryWait)
		}
		log.Info("jobs: refused; retrying later", "err", err, "after", wait)
		if j.record(ctx, log, "requeue", func(ctx context.Context) error { return j.cfg.Store.RequeueJob(ctx, job.ID, owner, wait, false) }) {
			j.retried.Add(1)
		}
	default:
		jerr := jobError(err)
		if jerr.Status == http.StatusInternalServerError {
			log.Error("jobs: analysis failed", "err", err)
		}
		fail("fail", jerr)
	}
}

// jobError is the problem a failed job records: the one a GET request
// failing with err would answer.
func jobError(err error) *quant.JobError {
	p, _ := problem.Classify(err)
	return &quant.JobError{Status: p.Status, Type: p.Type, Title: p.Title, Detail: p.Detail, Param: p.Param, Reason: p.Reason}
}

// renew renews the lease on a running job every third of Lease until ctx
// is done, and reports whether the job must be abandoned: the store says
// another worker holds it, or no renewal has succeeded for a whole Lease
// (the store is unreachable or slow), after which another worker may have
// claimed it. Each renewal is bounded by a third of Lease, so one that
// hangs cannot outlive the lease it extends.
func (j *Runner) renew(ctx context.Context, log *slog.Logger, id, owner string, since time.Time) bool {
	t := time.NewTicker(j.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		sent := time.Now()
		rctx, cancel := context.WithTimeout(ctx, j.cfg.Lease/3)
		err := j.cfg.Store.RenewJob(rctx, id, owner, j.cfg.Lease)
		cancel()
		switch {
		case err == nil:
			since = sent
			continue
		case errors.Is(err, quant.ErrJobLost):
			log.Warn("jobs: lease lost while running; abandoning the job")
			return true
		case ctx.Err() != nil: // the job ended meanwhile
			return false
		case time.Since(since) < j.cfg.Lease:
			log.Warn("jobs: cannot renew the lease; retrying", "err", err, "lease_left", j.cfg.Lease-time.Since(since))
		default:
			log.Warn("jobs: cannot renew the lease, which has run out; abandoning the job (another worker may run it)", "err", err)
			return true
		}
	}
}
