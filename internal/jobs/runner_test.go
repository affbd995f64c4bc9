package jobs

import (
	"bytes"
	"context"
	"errors"
	"github.com/quantops/quant/internal/analyzertest"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// scriptedAnalyzer is analyzertest.Scripted, named for these tests.
type (
	scriptedAnalyzer = analyzertest.Scripted
	outcome          = analyzertest.Outcome
)

// fakeVersions is a dataset version a test sets.
type fakeVersions struct{ v atomic.Int64 }

func (f *fakeVersions) DatasetVersion(context.Context) (int64, error) { return f.v.Load(), nil }

// harness is a running Runner (one worker, 30 s lease, 3 attempts) over
// an in-process job store, at dataset version 3.
type harness struct {
	runner   *Runner
	store    *inmem.Jobs
	versions *fakeVersions
}

func newHarness(t *testing.T, a quant.Analyzer) *harness {
	t.Helper()
	js := inmem.NewJobs()
	versions := &fakeVersions{}
	versions.v.Store(3) // scriptedAnalyzer's results are at version 3
	r := New(Config{Store: js, Analyzer: a, Workers: 1, Lease: 30 * time.Second, MaxAttempts: 3, Versions: versions})
	startRunner(t, r)
	return &harness{runner: r, store: js, versions: versions}
}

// submit submits req, failing the test on an error.
func (h *harness) submit(t *testing.T, req quant.Request) (quant.Job, bool) {
	t.Helper()
	j, created, err := h.runner.Submit(context.Background(), quant.MustQuery(req))
	if err != nil {
		t.Fatalf("Submit(%+v): %v", req, err)
	}
	return j, created
}

// job reads job id, failing the test on an error.
func (h *harness) job(t *testing.T, id string) quant.Job {
	t.Helper()
	j, err := h.runner.Job(context.Background(), id)
	if err != nil {
		t.Fatalf("Job(%s): %v", id, err)
	}
	return j
}

// startRunner runs r until the test ends.
func startRunner(t *testing.T, r *Runner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

var (
	dtw     = quant.Request{Analysis: quant.AnalysisDTW, ID: "alex-a-example", K: 3}
	network = quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1}
)

func TestRunsToResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		a := &scriptedAnalyzer{Outcomes: []outcome{{Gate: gate}}}
		h := newHarness(t, a)
		j, created := h.submit(t, dtw)
		if !created || j.State != quant.JobQueued || !ValidID(j.ID) || j.Key != "dtw/alex-a-example?k=3" {
			t.Fatalf("Submit = %+v created %v; want a new queued job keyed dtw/alex-a-example?k=3", j, created)
		}
		synctest.Wait() // the worker holds the job, blocked in the analysis
		if got := h.job(t, j.ID); got.State != quant.JobRunning || got.Attempts != 1 || got.Owner == "" {
			t.Errorf("while computing: %s attempt %d owner %q; want running, attempt 1, owned", got.State, got.Attempts, got.Owner)
		}
		if again, created := h.submit(t, dtw); again.ID != j.ID || created {
			t.Errorf("the same work submitted again got job %s (created %v); want %s", again.ID, created, j.ID)
		}
		close(gate)
		synctest.Wait()
		done := h.job(t, j.ID)
		if done.State != quant.JobDone || done.FinishedAt.IsZero() || done.Result == nil {
			t.Fatalf("after the analysis: %s finished %v; want done with a result", done.State, done.FinishedAt)
		}
		if string(done.Result.Body) != `{"answer":42}` || done.Result.Key != j.Key || done.Result.DatasetVersion != 3 {
			t.Errorf("result = %s key %q version %d; want the analysis' answer", done.Result.Body, done.Result.Key, done.Result.DatasetVersion)
		}
		if n := a.Calls.Load(); n != 1 {
			t.Errorf("analysis ran %d times; want once", n)
		}
		if st := h.runner.Stats(); st.Done != 1 || st.Submitted != 1 || st.Running != 0 {
			t.Errorf("stats = %+v", st)
		}
	})
}

// TestFailsWithTheProblem: a failed job records the problem a GET request
// failing the same way answers (problem.Classify).
func TestFailsWithTheProblem(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want quant.JobError
	}{
		{"not eligible", &quant.NotEligibleError{Reason: "insufficient_data", Detail: "3 weeks"},
			quant.JobError{Status: 422, Type: problem.Base + "not-eligible", Title: "Unprocessable Entity", Reason: "insufficient_data"}},
		{"not found", &quant.NotFoundError{What: "politician", ID: "alex-a-example"},
			quant.JobError{Status: 404, Type: problem.Base + "not-found", Title: "Not Found"}},
		{"internal", errors.New("disk on fire"),
			quant.JobError{Status: 500, Type: problem.Base + "internal", Title: "Internal Server Error",
				Detail: "internal error; the server log has the details under this request id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, &scriptedAnalyzer{Outcomes: []outcome{{Err: tt.err}}})
				j, _ := h.submit(t, quant.Request{Analysis: quant.AnalysisHMM, ID: "alex-a-example"})
				synctest.Wait()
				got := h.job(t, j.ID)
				if got.State != quant.JobFailed || got.Error == nil || got.Result != nil {
					t.Fatalf("job = %s error %+v; want failed with its problem", got.State, got.Error)
				}
				p, _ := problem.Classify(tt.err)
				want := tt.want
				if want.Detail == "" {
					want.Detail = p.Detail
				}
				if *got.Error != want {
					t.Errorf("job error = %+v, want %+v", *got.Error, want)
				}
				if st := h.runner.Stats(); st.Failed != 1 {
					t.Errorf("stats = %+v; want 1 failed", st)
				}
			})
		})
	}
}

func TestRetriesARefusal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := &quant.UnavailableError{Reason: "ml pool full", RetryAfter: 5 * time.Second}
		a := &scriptedAnalyzer{Outcomes: []outcome{{Err: busy}, {}}}
		h := newHarness(t, a)
		j, _ := h.submit(t, network)
		synctest.Wait()
		if got := h.job(t, j.ID); got.State != quant.JobQueued || a.Calls.Load() != 1 {
			t.Fatalf("after a 503: %s, %d calls; want queued again after one call", got.State, a.Calls.Load())
		}
		time.Sleep(4 * time.Second) // virtual time: still before the refusal's Retry-After
		synctest.Wait()
		if a.Calls.Load() != 1 {
			t.Fatalf("retried before Retry-After")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := h.job(t, j.ID); got.State != quant.JobDone || got.Attempts != 2 || h.runner.Stats().Retried != 1 {
			t.Errorf("after Retry-After: %s attempt %d stats %+v; want done on attempt 2", got.State, got.Attempts, h.runner.Stats())
		}
	})
}

func TestInterruptedByShutdownIsRequeued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		js := inmem.NewJobs()
		a := &scriptedAnalyzer{Outcomes: []outcome{{Gate: make(chan struct{})}}}
		r := New(Config{Store: js, Analyzer: a, Workers: 1})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		j, _, err := r.Submit(context.Background(), quant.MustQuery(network))
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		cancel()
		<-done
		got, _ := js.Job(context.Background(), j.ID)
		if got.State != quant.JobQueued || got.Owner != "" || got.Attempts != 0 {
			t.Errorf("job after shutdown = %s owner %q attempts %d; want queued for any instance, the attempt given back", got.State, got.Owner, got.Attempts)
		}
	})
}

// TestOwnersNameTheInstance: a worker's owner starts with the Instance it
// was given (cmd/quant's instance id), so a job's owner says which
// process runs it.
func TestOwnersNameTheInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		js := inmem.NewJobs()
		gate := make(chan struct{})
		r := New(Config{Store: js, Analyzer: &scriptedAnalyzer{Outcomes: []outcome{{Gate: gate}}}, Workers: 1, Instance: "box:7:abcdef"})
		startRunner(t, r)
		j, _, err := r.Submit(context.Background(), quant.MustQuery(network))
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got, _ := js.Job(context.Background(), j.ID); !strings.HasPrefix(got.Owner, "box:7:abcdef/0/") {
			t.Errorf("running job's owner = %q; want box:7:abcdef/0/...", got.Owner)
		}
		close(gate)
	})
}

// TestLeaseRenewed: a job computing longer than its lease keeps it (the
// worker renews), so another worker never runs it twice.
func TestLeaseRenewed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		a := &scriptedAnalyzer{Outcomes: []outcome{{Gate: gate}, {}}}
		js := inmem.NewJobs()
		r := New(Config{Store: js, Analyzer: a, Workers: 2, Lease: 3 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		j, _, err := r.Submit(ctx, quant.MustQuery(network))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Second) // virtual: many leases long
		synctest.Wait()
		if n := a.Calls.Load(); n != 1 {
			t.Errorf("the job ran %d times while its first run renewed its lease; want once", n)
		}
		close(gate)
		synctest.Wait()
		got, _ := js.Job(ctx, j.ID)
		if got.State != quant.JobDone || got.Attempts != 1 {
			t.Errorf("job = %s, attempt %d; want done on attempt 1", got.State, got.Attempts)
		}
		cancel()
		<-done
	})
}

// lostJobs is a job store in which every renewal finds the job taken over.
type lostJobs struct {
	*inmem.Jobs
	finishes atomic.Int64
}

func (l *lostJobs) RenewJob(context.Context, string, string, time.Duration) error {
	return quant.ErrJobLost
}

func (l *lostJobs) FinishJob(ctx context.Context, id, owner string, res *quant.Result, jerr *quant.JobError) error {
	l.finishes.Add(1)
	return l.Jobs.FinishJob(ctx, id, owner, res, jerr)
}

// TestLeaseLost: a worker that learns its lease is gone stops the
// analysis and records nothing (the new owner will).
func TestLeaseLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{Outcomes: []outcome{{Gate: make(chan struct{})}}}
		js := &lostJobs{Jobs: inmem.NewJobs()}
		r := New(Config{Store: js, Analyzer: a, Workers: 1, Lease: 3 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		if _, _, err := r.Submit(ctx, quant.MustQuery(network)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // past the first renewal (every lease/3)
		synctest.Wait()
		if st := r.Stats(); st.Lost != 1 || st.Running != 0 || js.finishes.Load() != 0 {
			t.Errorf("after losing the lease: stats %+v, %d finishes; want the job abandoned, nothing recorded", st, js.finishes.Load())
		}
		cancel()
		<-done
	})
}

// TestQueueBounded: past MaxActive queued or running jobs, a submission
// that would create a job is refused as unavailable with a Retry-After;
// the same work as a queued job still joins it (it adds nothing).
func TestQueueBounded(t *testing.T) {
	r := New(Config{Store: inmem.NewJobs(), Analyzer: &scriptedAnalyzer{Outcomes: []outcome{{}}}, MaxActive: 3}) // not run: jobs stay queued
	ctx := context.Background()
	var first quant.Job
	for i, id := range []string{"p0", "p1", "p2"} {
		j, created, err := r.Submit(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisDTW, ID: id}))
		if err != nil || !created {
			t.Fatalf("submission %d: created %v, %v; want a new job", i+1, created, err)
		}
		if i == 0 {
			first = j
		}
	}
	_, _, err := r.Submit(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisDTW, ID: "p3"}))
	var ue *quant.UnavailableError
	if !errors.As(err, &ue) || ue.RetryAfter <= 0 || !strings.Contains(ue.Reason, "job queue is full (3 jobs") {
		t.Errorf("submission 4 with 3 queued = %v; want unavailable (queue full) with a Retry-After", err)
	}
	j, created, err := r.Submit(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisDTW, ID: "p0"}))
	if err != nil || created || j.ID != first.ID {
		t.Errorf("the same work, queue full: job %s created %v, %v; want to join %s", j.ID, created, err, first.ID)
	}
	if st := r.Stats(); st.Submitted != 3 {
		t.Errorf("stats = %+v; want 3 submitted", st)
	}
}

// TestLastRefusalFails: a refusal on the last attempt fails the job with
// that refusal's problem.
func TestLastRefusalFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{Outcomes: []outcome{{Err: &quant.UnavailableError{Reason: "breaker network open", RetryAfter: time.Second}}}}
		h := newHarness(t, a) // MaxAttempts 3
		j, _ := h.submit(t, network)
		for range 10 {
			time.Sleep(2 * time.Second)
			synctest.Wait()
		}
		got := h.job(t, j.ID)
		if got.State != quant.JobFailed || got.Error == nil || got.Error.Status != 503 || got.Error.Type != problem.Base+"unavailable" ||
			got.Error.Detail != "breaker network open" || a.Calls.Load() != 3 {
			t.Errorf("job = %s error %+v after %d calls; want failed with the last refusal after 3", got.State, got.Error, a.Calls.Load())
		}
	})
}

// TestGivesUpAfterMaxAttempts: a job claimed more than MaxAttempts times
// (its workers died or stopped each time) fails as unavailable, unrun.
func TestGivesUpAfterMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		js := inmem.NewJobs()
		a := &scriptedAnalyzer{Outcomes: []outcome{{}}}
		r := New(Config{Store: js, Analyzer: a, Workers: 1, Lease: 3 * time.Second, MaxAttempts: 2})
		ctx := context.Background()
		j, _, err := r.Submit(ctx, quant.MustQuery(network))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // two workers that die holding it: their leases run out
			if _, ok, err := js.ClaimJob(ctx, "dead", 3*time.Second); !ok || err != nil {
				t.Fatalf("claim: %v %v", ok, err)
			}
			time.Sleep(4 * time.Second)
		}
		startRunner(t, r)
		synctest.Wait()
		got, _ := js.Job(ctx, j.ID)
		want := quant.JobError{Status: 503, Type: problem.Base + "unavailable", Title: "Service Unavailable",
			Detail: "gave up after 2 attempts (the analysis was refused or its workers stopped each time)"}
		if got.State != quant.JobFailed || got.Error == nil || *got.Error != want || a.Calls.Load() != 0 {
			t.Errorf("job claimed a 3rd time = %s error %+v, %d calls; want failed with %+v, not run", got.State, got.Error, a.Calls.Load(), want)
		}
	})
}

// TestOutcomeRecordedAfterLongAnalysis: the outcome of an analysis longer
// than the bound on recording it (10 s) is recorded. The bound once
// started with the job, so a store that honours ctx (PostgreSQL) refused
// the outcome of every job longer than 10 s, which then ran again once
// its lease ran out.
func TestOutcomeRecordedAfterLongAnalysis(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		a := &scriptedAnalyzer{Outcomes: []outcome{{Gate: gate}}}
		h := newHarness(t, a) // the in-process store honours ctx too
		j, _ := h.submit(t, network)
		time.Sleep(15 * time.Second) // virtual: the analysis runs 15 s
		close(gate)
		synctest.Wait()
		if got := h.job(t, j.ID); got.State != quant.JobDone || got.Result == nil {
			t.Errorf("after a 15 s analysis: %s; want done with its result", got.State)
		}
		if st := h.runner.Stats(); st.Done != 1 || a.Calls.Load() != 1 {
			t.Errorf("stats %+v after %d calls; want 1 done after 1", st, a.Calls.Load())
		}
	})
}

// TestDoneReused: the same work submitted again after its job finished
// gets that job back while it is recent and at the current dataset
// version, rather than a new job storing the same answer again (1,000
// POSTs of a network job once stored 1,000 copies of a 273 KB answer).
func TestDoneReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{Outcomes: []outcome{{}}}
		h := newHarness(t, a)
		req := quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.2}
		first, _ := h.submit(t, req)
		synctest.Wait()
		for range 3 {
			time.Sleep(time.Minute)
			again, created := h.submit(t, req)
			if again.ID != first.ID || created || again.State != quant.JobDone || again.Result == nil {
				t.Fatalf("Submit after the job finished = job %s %s (created %v); want done job %s", again.ID, again.State, created, first.ID)
			}
		}
		if n := a.Calls.Load(); n != 1 {
			t.Errorf("analysis ran %d times; want once", n)
		}
		if counts, _ := h.store.JobCounts(context.Background()); counts.Done != 1 {
			t.Errorf("job counts %+v; want the one done job", counts)
		}

		// New data: the old answer no longer answers.
		h.versions.v.Store(4)
		if fresh, created := h.submit(t, req); fresh.ID == first.ID || !created || fresh.State != quant.JobQueued {
			t.Errorf("Submit at a new dataset version = job %s %s; want a new queued job", fresh.ID, fresh.State)
		}
		synctest.Wait()

		// Past the reuse window (10 min by default) an answer is computed
		// again (through the cache, whose TTLs decide whether it is new).
		h.versions.v.Store(3)
		time.Sleep(11 * time.Minute)
		if later, _ := h.submit(t, req); later.ID == first.ID {
			t.Errorf("Submit 14 min after the job finished got it back; want a new job")
		}
	})
}

// TestSubmitFreshRunsAgain: SubmitFresh (quant warm's Cache-Control:
// no-cache) gets a new job even when the same work was just done: the
// client wants the answer through the cache now, which may have been
// flushed.
func TestSubmitFreshRunsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{Outcomes: []outcome{{}}}
		h := newHarness(t, a)
		req := quant.Request{Analysis: quant.AnalysisHMM, ID: "alex-a-example"}
		first, _ := h.submit(t, req)
		synctest.Wait()
		for range 2 {
			again, created, err := h.runner.SubmitFresh(context.Background(), quant.MustQuery(req))
			if err != nil || !created || again.ID == first.ID {
				t.Errorf("SubmitFresh after the job finished = job %s created %v, %v; want a new job", again.ID, created, err)
			}
			synctest.Wait()
		}
		if n := a.Calls.Load(); n != 3 {
			t.Errorf("analysis ran %d times; want 3", n)
		}
	})
}

// TestRefusalWaitCapped: a refusal's Retry-After parks a job 30 s at
// most. A breaker forced open for 7 days said "retry after 7 days", and
// every submission of the same work joined the parked job.
func TestRefusalWaitCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		open := &quant.UnavailableError{Reason: "breaker network forced open", RetryAfter: 7 * 24 * time.Hour}
		a := &scriptedAnalyzer{Outcomes: []outcome{{Err: open}, {}}}
		h := newHarness(t, a)
		j, _ := h.submit(t, network)
		synctest.Wait()
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if n := a.Calls.Load(); n != 1 {
			t.Fatalf("%d calls 29 s after the refusal; want it still waiting (backoff 30 s)", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := h.job(t, j.ID); got.State != quant.JobDone || a.Calls.Load() != 2 {
			t.Errorf("31 s after a refusal with Retry-After 7 days: %s after %d calls; want done on the second", got.State, a.Calls.Load())
		}
	})
}

// logBuffer collects a logger's output for a test.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// stuckRenewals is a job store whose renewals hang until their context
// ends, as on a PostgreSQL that stopped answering.
type stuckRenewals struct {
	*inmem.Jobs
	renewals atomic.Int64
}

func (s *stuckRenewals) RenewJob(ctx context.Context, id, owner string, lease time.Duration) error {
	s.renewals.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

// TestRenewalBounded: a renewal that hangs is cut off after a third of the
// lease and logged, and a worker whose renewals have all failed for a
// whole lease abandons the job (another worker may hold it by then). An
// unbounded renewal once hung the renewer for good, and the worker never
// noticed its lease had lapsed.
func TestRenewalBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{Outcomes: []outcome{{Gate: make(chan struct{})}}}
		js := &stuckRenewals{Jobs: inmem.NewJobs()}
		logs := &logBuffer{}
		r := New(Config{Store: js, Analyzer: a, Workers: 1, Lease: 3 * time.Second,
			Logger: slog.New(slog.NewTextHandler(logs, nil))})
		startRunner(t, r)
		if _, _, err := r.Submit(context.Background(), quant.MustQuery(network)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2500 * time.Millisecond) // renewals at 1 s (cut off at 2 s) and 2 s
		synctest.Wait()
		if st := r.Stats(); st.Lost != 0 || st.Running != 1 {
			t.Errorf("2.5 s into a 3 s lease: stats %+v; want the job still running", st)
		}
		if n := js.renewals.Load(); n != 2 {
			t.Errorf("%d renewals in 2.5 s; want 2 (each cut off after 1 s)", n)
		}
		if !strings.Contains(logs.String(), "cannot renew") {
			t.Errorf("a failed renewal was not logged; logs:\n%s", logs)
		}
		time.Sleep(time.Second) // the last renewal that succeeded (the claim) is 3.5 s old
		synctest.Wait()
		if st := r.Stats(); st.Lost < 1 {
			t.Errorf("a whole lease without a renewal: stats %+v; want the job abandoned as lost", st)
		}
	})
}

// lateClaims is a job store whose first claim commits and then reports
// its context's cancellation if the context ended meanwhile: what
// PostgreSQL does when a claim is cancelled after its commit.
type lateClaims struct {
	*inmem.Jobs
	claimed, release chan struct{}
	once             sync.Once
}

func (l *lateClaims) ClaimJob(ctx context.Context, owner string, lease time.Duration) (quant.Job, bool, error) {
	j, ok, err := l.Jobs.ClaimJob(ctx, owner, lease)
	if !ok {
		return j, ok, err
	}
	first := false
	l.once.Do(func() { first = true })
	if first {
		close(l.claimed)
		<-l.release
		if ctx.Err() != nil {
			return quant.Job{}, false, ctx.Err()
		}
	}
	return j, ok, err
}

// TestClaimedAsShutdownBeginsIsRequeued: a job claimed as the runner stops
// is put back at once, its attempt given back. The claim once used the
// shutdown's context: cancelled after the commit, it left the job running
// for nobody until its lease ran out.
func TestClaimedAsShutdownBeginsIsRequeued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		js := &lateClaims{Jobs: inmem.NewJobs(), claimed: make(chan struct{}), release: make(chan struct{})}
		a := &scriptedAnalyzer{Outcomes: []outcome{{}}}
		r := New(Config{Store: js, Analyzer: a, Workers: 1})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		j, _, err := r.Submit(context.Background(), quant.MustQuery(network))
		if err != nil {
			t.Fatal(err)
		}
		<-js.claimed
		cancel()
		close(js.release)
		<-done
		got, _ := js.Job(context.Background(), j.ID)
		if got.State != quant.JobQueued || got.Owner != "" || got.Attempts != 0 || a.Calls.Load() != 0 {
			t.Errorf("job claimed as the shutdown began = %s owner %q attempts %d, %d calls; want queued for any instance, the attempt given back, not run",
				got.State, got.Owner, got.Attempts, a.Calls.Load())
		}
	})
}

// refusedOutcomes is a job store that takes no outcome.
type refusedOutcomes struct{ *inmem.Jobs }

var errStoreDown = errors.New("store down")

func (refusedOutcomes) FinishJob(context.Context, string, string, *quant.Result, *quant.JobError) error {
	return errStoreDown
}

// TestCountsOnlyRecordedOutcomes: done and failed count outcomes the store
// took; one it refused is not an outcome (the job runs again).
func TestCountsOnlyRecordedOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{Outcomes: []outcome{{}, {Err: &quant.NotEligibleError{Reason: "insufficient_data"}}}}
		js := refusedOutcomes{inmem.NewJobs()}
		r := New(Config{Store: js, Analyzer: a, Workers: 1})
		startRunner(t, r)
		for _, id := range []string{"a", "b"} {
			if _, _, err := r.Submit(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: id})); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if st := r.Stats(); a.Calls.Load() != 2 || st.Done != 0 || st.Failed != 0 {
			t.Errorf("after %d analyses whose outcomes the store refused: stats %+v; want none done or failed", a.Calls.Load(), st)
		}
	})
}

func TestValidID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"32 lower-case hex digits", strings.Repeat("a0", 16), true},
		{"short", "123", false},
		{"upper case", strings.Repeat("A", 32), false},
		{"not hex", strings.Repeat("g", 32), false},
		{"long", strings.Repeat("a", 33), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidID(tt.id); got != tt.want {
				t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}
