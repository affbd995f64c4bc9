package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/quant"
)

// JobRunnerConfig configures a JobRunner. Zero fields take the defaults
// named on each.
type JobRunnerConfig struct {
	Store    quant.JobStore // required
	Analyzer quant.Analyzer // required: the protected request path, so jobs share its bulkheads and cache
	Logger   *slog.Logger
	// Instance names this process in job owners ("host:port").
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

// JobRunner runs jobs: the API submits through it, and its workers claim
// jobs from the shared JobStore, run them through the Analyzer and record
// the outcome. Any instance's runner may run any instance's job.
type JobRunner struct {
	cfg  JobRunnerConfig
	wake chan struct{}

	running, done, failed, retried, lost, submitted atomic.Int64
}

// NewJobRunner returns a runner; Run starts its workers.
func NewJobRunner(cfg JobRunnerConfig) *JobRunner {
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
	return &JobRunner{cfg: cfg, wake: make(chan struct{}, cfg.Workers)}
}

// Stats returns the runner's counters (Store left nil: Counts reads it).
func (j *JobRunner) Stats() quant.JobsSnapshot {
	return quant.JobsSnapshot{
		Workers: j.cfg.Workers, Running: j.running.Load(), Done: j.done.Load(), Failed: j.failed.Load(),
		Retried: j.retried.Load(), Lost: j.lost.Load(), Submitted: j.submitted.Load(),
	}
}

// Counts counts the shared store's jobs by state.
func (j *JobRunner) Counts(ctx context.Context) (quant.JobCounts, error) {
	return j.cfg.Store.JobCounts(ctx)
}

// Submit stores a job for req (normalized) and wakes a worker. A queued
// or running job of the same work, or a done one recent enough (see
// ReuseDone), is returned instead (created false).
func (j *JobRunner) Submit(ctx context.Context, req quant.Query) (quant.Job, bool, error) {
	return j.submit(ctx, req, true)
}

// SubmitFresh is Submit without reusing a done job: the work runs again,
// through the cache. It is for a client that wants the answer in the
// cache now (quant warm): a done job would answer without touching the
// cache, which may have been flushed since.
func (j *JobRunner) SubmitFresh(ctx context.Context, req quant.Query) (quant.Job, bool, error) {
	return j.submit(ctx, req, false)
}

func (j *JobRunner) submit(ctx context.Context, q quant.Query, reuse bool) (quant.Job, bool, error) {
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

// Job reads one job.
func (j *JobRunner) Job(ctx context.Context, id string) (quant.Job, error) {
	return j.cfg.Store.Job(ctx, id)
}

// Run runs the workers and the pruning of old jobs until ctx is done, then
// waits for them. A job interrupted by the shutdown is put back in the
// queue for any instance to run.
func (j *JobRunner) Run(ctx context.Context) {
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
func (j *JobRunner) work(ctx context.Context, owner string) {
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
func (j *JobRunner) jobLog(job quant.Job) *slog.Logger {
	return j.cfg.Logger.With("job", job.ID, "key", job.Key, "attempt", job.Attempts)
}

// record makes one store call that records a job's outcome and logs its
// failure; it reports whether the store took the outcome. The call runs
// even when ctx is done (a shutdown), bounded by outcomeTimeout from now.
func (j *JobRunner) record(ctx context.Context, log *slog.Logger, op string, call func(context.Context) error) bool {
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
func (j *JobRunner) run(ctx context.Context, owner string, job quant.Job, claimedAt time.Time) {
	j.running.Add(1)
	defer j.running.Add(-1)
	log := j.jobLog(job)
	fail := func(op string, jerr *quant.JobError) {
		if j.record(ctx, log, op, func(ctx context.Context) error { return j.cfg.Store.FinishJob(ctx, job.ID, owner, nil, jerr) }) {
			j.failed.Add(1)
		}
	}
	if job.Attempts > j.cfg.MaxAttempts {
		fail("give up", &quant.JobError{
			Status: http.StatusServiceUnavailable, Type: problemBase + "unavailable", Title: http.StatusText(http.StatusServiceUnavailable),
			Detail: fmt.Sprintf("gave up after %d attempts (the analysis was refused or its workers stopped each time)", j.cfg.MaxAttempts),
		})
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
		p, _ := classify(err)
		if p.Status == http.StatusInternalServerError {
			log.Error("jobs: analysis failed", "err", err)
		}
		fail("fail", &quant.JobError{
			Status: p.Status, Type: p.Type, Title: http.StatusText(p.Status), Detail: p.Detail, Param: p.Param, Reason: p.Reason,
		})
	}
}

// renew renews the lease on a running job every third of Lease until ctx
// is done, and reports whether the job must be abandoned: the store says
// another worker holds it, or no renewal has succeeded for a whole Lease
// (the store is unreachable or slow), after which another worker may have
// claimed it. Each renewal is bounded by a third of Lease, so one that
// hangs cannot outlive the lease it extends.
func (j *JobRunner) renew(ctx context.Context, log *slog.Logger, id, owner string, since time.Time) bool {
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

// Job API: POST /api/v1/jobs, GET /api/v1/jobs/{id}.

func (s *Server) jobRoutes() {
	s.router.HandleFunc("/api/v1/jobs", s.submitJob).Methods(http.MethodPost)
	s.router.HandleFunc("/api/v1/jobs/{id}", s.getJob).Methods(http.MethodGet)
}

// jobRequestJSON is the body of POST /api/v1/jobs and the "request" member
// of a job.
type jobRequestJSON struct {
	Analysis quant.Analysis `json:"analysis"`
	ID       string         `json:"id,omitempty"`
	Params   jobParamsJSON  `json:"params"`
}

type jobParamsJSON struct {
	K         *int     `json:"k,omitempty"`
	Horizon   *int     `json:"horizon,omitempty"`
	IDs       []string `json:"ids,omitempty"`
	Top       *int     `json:"top,omitempty"`
	MinWeight *float64 `json:"min_weight,omitempty"`
	// The compliance ranking's (a compliance job without an id).
	MinRecords *int                  `json:"min_records,omitempty"`
	Sort       *quant.ComplianceSort `json:"sort,omitempty"`
	Limit      *int                  `json:"limit,omitempty"`
	Chamber    *quant.Chamber        `json:"chamber,omitempty"`
	Party      *string               `json:"party,omitempty"`
	State      *string               `json:"state,omitempty"`
}

// jobJSON is a job on the wire.
type jobJSON struct {
	ID         string          `json:"id"`
	Status     quant.JobState  `json:"status"`
	Request    jobRequestJSON  `json:"request"`
	Key        string          `json:"key"`
	Attempts   int             `json:"attempts"`
	CreatedAt  string          `json:"created_at"`
	StartedAt  *string         `json:"started_at"`
	FinishedAt *string         `json:"finished_at"`
	Location   string          `json:"location"`
	Result     json.RawMessage `json:"result,omitempty"`
	// Cache is where the result came from, as X-Cache says it for GET
	// requests (MISS: computed by this job; HIT: already cached).
	Cache quant.CacheStatus `json:"cache,omitempty"`
	Error *quant.JobError   `json:"error,omitempty"`
}

func timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

func toJobJSON(j quant.Job) jobJSON {
	r := j.Request
	out := jobJSON{
		ID: j.ID, Status: j.State, Key: j.Key, Attempts: j.Attempts,
		Request:   jobRequestJSON{Analysis: r.Analysis, ID: r.ID},
		CreatedAt: j.CreatedAt.UTC().Format(time.RFC3339Nano), StartedAt: timeOrNull(j.StartedAt), FinishedAt: timeOrNull(j.FinishedAt),
		Location: "/api/v1/jobs/" + j.ID, Error: j.Error,
	}
	p := &out.Request.Params
	switch r.Analysis {
	case quant.AnalysisDTW:
		p.K = &r.K
	case quant.AnalysisEnsemble:
		p.Horizon = &r.Horizon
	case quant.AnalysisCorrelation:
		if len(r.IDs) > 0 {
			p.IDs = r.IDs
		} else {
			p.Top = &r.Top
		}
	case quant.AnalysisNetwork:
		p.MinWeight = &r.MinWeight
	case quant.AnalysisCompliance:
		if r.ID != "" {
			break
		}
		p.MinRecords, p.Sort, p.Limit = &r.MinRecords, &r.Sort, &r.Limit
		if r.Chamber != "" {
			p.Chamber = &r.Chamber
		}
		if r.Party != "" {
			p.Party = &r.Party
		}
		if r.State != "" {
			p.State = &r.State
		}
	}
	if j.Result != nil {
		out.Result = resultJSON(j.Result)
		out.Cache = cmp.Or(j.Result.Status, quant.CacheMiss)
	}
	return out
}

// jobRequest reads and checks a job submission, naming the bad field. Its
// ids and party are resolved as GET requests' are (resolveRequest): with
// people merged the job's request names people by bioguide id.
func (s *Server) jobRequest(r *http.Request) (quant.Query, error) {
	req, err := s.jobBody(r)
	if err != nil {
		return quant.Query{}, err
	}
	if err := s.resolveRequest(r.Context(), &req, "params."); err != nil {
		return quant.Query{}, err
	}
	q, err := quant.NewQuery(req)
	var pe *quant.ParamError
	if errors.As(err, &pe) && pe.Param != "id" && pe.Param != "analysis" {
		err = quant.PrefixParam("params.", err)
	}
	return q, err
}

// jobBody reads a job submission's body into a Request, each explicit
// parameter checked (by quant's Check functions) and named "params.<name>".
func (s *Server) jobBody(r *http.Request) (quant.Request, error) {
	var in jobRequestJSON
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return quant.Request{}, fmt.Errorf("%w: the body exceeds %d bytes", errTooLarge, mbe.Limit)
		}
		return quant.Request{}, quant.Invalid("body", "want a JSON object {\"analysis\": ..., \"id\": ..., \"params\": {...}}: %s", clip(strings.TrimPrefix(err.Error(), "json: ")))
	}
	if _, err := dec.Token(); err != io.EOF {
		return quant.Request{}, quant.Invalid("body", "holds more than one JSON value")
	}
	req := quant.Request{Analysis: in.Analysis}
	if !in.Analysis.Valid() {
		return req, quant.Invalid("analysis", "must be one of %v, got %q", quant.Analyses, clip(string(in.Analysis)))
	}
	kind := "a politician id (1..%d of a-z, 0-9 and '-')"
	if s.cfg.MergePeople {
		kind = "a politician id (1..%d of a-z, 0-9 and '-') or a bioguide id (W000779)"
	}
	switch {
	case in.Analysis == quant.AnalysisCompliance && in.ID != "":
		// One politician's compliance; without an id, the ranking.
		if !s.analysisID(in.ID) {
			return req, quant.Invalid("id", "must be "+kind+", or absent for the compliance ranking", maxIDLen)
		}
		req.ID = in.ID
	case in.Analysis.PerPolitician():
		if !s.analysisID(in.ID) {
			return req, quant.Invalid("id", "must be "+kind+" for %s", maxIDLen, in.Analysis)
		}
		req.ID = in.ID
	case in.ID != "" && in.Analysis != quant.AnalysisCompliance:
		return req, quant.Invalid("id", "%s takes no politician id", in.Analysis)
	}
	p := in.Params
	ranking := in.Analysis == quant.AnalysisCompliance && in.ID == ""
	only := func(name string, set bool, a quant.Analysis) error {
		if set && in.Analysis != a {
			return quant.Invalid("params."+name, "applies to %s only, not %s", a, in.Analysis)
		}
		return nil
	}
	for _, e := range []error{
		only("k", p.K != nil, quant.AnalysisDTW),
		only("horizon", p.Horizon != nil, quant.AnalysisEnsemble),
		only("ids", p.IDs != nil, quant.AnalysisCorrelation),
		only("top", p.Top != nil, quant.AnalysisCorrelation),
		only("min_weight", p.MinWeight != nil, quant.AnalysisNetwork),
		only("min_records", p.MinRecords != nil, quant.AnalysisCompliance),
		only("sort", p.Sort != nil, quant.AnalysisCompliance),
		only("limit", p.Limit != nil, quant.AnalysisCompliance),
		only("chamber", p.Chamber != nil, quant.AnalysisCompliance),
		only("party", p.Party != nil, quant.AnalysisCompliance),
		only("state", p.State != nil, quant.AnalysisCompliance),
	} {
		if e != nil {
			return req, e
		}
	}
	if !ranking && in.Analysis == quant.AnalysisCompliance {
		for _, f := range []struct {
			name string
			set  bool
		}{{"min_records", p.MinRecords != nil}, {"sort", p.Sort != nil}, {"limit", p.Limit != nil}, {"chamber", p.Chamber != nil},
			{"party", p.Party != nil}, {"state", p.State != nil}} {
			if f.set {
				return req, quant.Invalid("params."+f.name, "applies to the compliance ranking (no id) only, not to one politician's compliance")
			}
		}
	}
	// Explicit values, 0 included, are checked by quant's Check functions
	// (a zero in a Request means "the default").
	set := func(v *int, check func(int) error, dst *int) error {
		if v == nil {
			return nil
		}
		*dst = *v
		return check(*v)
	}
	var checks []error
	checks = append(checks,
		set(p.K, quant.CheckK, &req.K),
		set(p.Horizon, quant.CheckHorizon, &req.Horizon),
		set(p.Top, quant.CheckTop, &req.Top),
		set(p.MinRecords, quant.CheckMinRecords, &req.MinRecords),
		set(p.Limit, quant.CheckLimit, &req.Limit))
	if p.IDs != nil {
		for _, id := range p.IDs {
			if !s.analysisID(id) {
				return req, s.badAnalysisID("params.ids", id)
			}
		}
		req.IDs = p.IDs
		checks = append(checks, quant.CheckIDs(p.IDs))
	}
	if p.MinWeight != nil {
		req.MinWeight = *p.MinWeight
		checks = append(checks, quant.CheckMinWeight(*p.MinWeight))
	}
	if p.Sort != nil {
		req.Sort = *p.Sort
		checks = append(checks, quant.CheckSort(*p.Sort))
	}
	// A filter given empty is refused: leaving it out means "every".
	text := func(name string, v *string, check func(string) error) error {
		switch {
		case v == nil:
			return nil
		case *v == "":
			return quant.Invalid(name, "is empty; leave it out for every %s", name)
		}
		return check(*v)
	}
	if p.Chamber != nil {
		req.Chamber = *p.Chamber
		checks = append(checks, text("chamber", (*string)(p.Chamber), func(c string) error { return quant.CheckChamber(quant.Chamber(c)) }))
	}
	if p.Party != nil {
		req.Party = *p.Party
		checks = append(checks, text("party", p.Party, quant.CheckParty))
	}
	if p.State != nil {
		req.State = strings.ToUpper(*p.State)
		checks = append(checks, text("state", &req.State, quant.CheckState))
	}
	for _, e := range checks {
		if e != nil {
			return req, quant.PrefixParam("params.", e)
		}
	}
	return req, nil
}

func (s *Server) submitJob(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	q.only()
	err := q.err
	var req quant.Query
	if err == nil {
		req, err = s.jobRequest(r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	submit := s.cfg.Jobs.Submit
	if noCache(r.Header) {
		submit = s.cfg.Jobs.SubmitFresh
	}
	job, created, err := submit(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := toJobJSON(job)
	h := w.Header()
	h.Set("Location", out.Location)
	if !job.State.Finished() {
		h.Set("Retry-After", "1")
	}
	if !created {
		h.Set("X-Job-Existing", "true") // the same work was queued, running or recently done
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(out)
}

// noCache reports whether a request's Cache-Control has no-cache: the
// client wants no stored answer (RFC 9111, 5.2.1.4), here no done job.
func noCache(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-cache") {
				return true
			}
		}
	}
	return false
}

// validJobID reports whether id has the form Submit gives out.
func validJobID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	q := &query{v: r.URL.Query()}
	q.only()
	if q.err == nil && !validJobID(id) {
		q.fail("id", "must be a job id as POST /api/v1/jobs gives it (32 lower-case hex digits)")
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	job, err := s.cfg.Jobs.Job(r.Context(), id)
	if errors.Is(err, quant.ErrNotFound) {
		err = withDetail(err, "no job %q (finished jobs are kept for a day)", id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !job.State.Finished() {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, toJobJSON(job))
}
