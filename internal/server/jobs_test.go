package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// scriptedAnalyzer answers each call with the next of its outcomes (the
// last repeats); an outcome with a gate blocks until the gate closes or
// the caller's context ends.
type scriptedAnalyzer struct {
	mu       sync.Mutex
	outcomes []outcome
	calls    atomic.Int64
}

type outcome struct {
	err  error
	gate chan struct{}
}

func (a *scriptedAnalyzer) Analyze(ctx context.Context, req quant.Query) (*quant.Result, error) {
	n := a.calls.Add(1)
	a.mu.Lock()
	o := a.outcomes[min(int(n), len(a.outcomes))-1]
	a.mu.Unlock()
	if o.gate != nil {
		select {
		case <-o.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if o.err != nil {
		return nil, o.err
	}
	return &quant.Result{Analysis: req.Analysis, Key: req.Key(), Body: []byte(`{"answer":42}`),
		DatasetVersion: 3, ComputedAt: time.Now(), ComputeTime: time.Millisecond, Status: quant.CacheMiss}, nil
}

// jobHarness is a server with a job runner over an in-process job store,
// driven through its handler (no sockets, so synctest can run it).
type jobHarness struct {
	h        http.Handler
	runner   *JobRunner
	store    *inmem.Jobs
	versions *fakeVersions
}

func newJobHarness(t *testing.T, a quant.Analyzer) *jobHarness {
	t.Helper()
	js := inmem.NewJobs()
	versions := &fakeVersions{}
	versions.v.Store(3) // scriptedAnalyzer's results are at version 3
	r := NewJobRunner(JobRunnerConfig{Store: js, Analyzer: a, Workers: 1, Lease: 30 * time.Second, MaxAttempts: 3, Versions: versions})
	startRunner(t, r)
	return &jobHarness{h: New(Config{Store: inmem.New(), Jobs: r}).Handler(), runner: r, store: js, versions: versions}
}

// fakeVersions is a dataset version a test sets.
type fakeVersions struct{ v atomic.Int64 }

func (f *fakeVersions) DatasetVersion(context.Context) (int64, error) { return f.v.Load(), nil }

func (h *jobHarness) do(t *testing.T, method, path, body string) (*httptest.ResponseRecorder, jobJSON) {
	t.Helper()
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	var j jobJSON
	if w.Code < 300 {
		if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, w.Body)
		}
	}
	return w, j
}

func TestJobRunsToResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		a := &scriptedAnalyzer{outcomes: []outcome{{gate: gate}}}
		h := newJobHarness(t, a)
		w, j := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"dtw","id":"alex-a-example","params":{"k":3}}`)
		if w.Code != http.StatusAccepted || w.Header().Get("Location") != "/api/v1/jobs/"+j.ID || j.Status != quant.JobQueued {
			t.Fatalf("POST = %d Location %q status %s; want 202 at /api/v1/jobs/%s, queued", w.Code, w.Header().Get("Location"), j.Status, j.ID)
		}
		if j.Key != "dtw/alex-a-example?k=3" || j.Request.Params.K == nil || *j.Request.Params.K != 3 {
			t.Errorf("job request = %+v key %q", j.Request, j.Key)
		}
		synctest.Wait() // the worker holds the job, blocked in the analysis
		_, running := h.do(t, "GET", j.Location, "")
		if running.Status != quant.JobRunning || running.Attempts != 1 {
			t.Errorf("while computing: %s attempt %d; want running, attempt 1", running.Status, running.Attempts)
		}
		w2, again := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"dtw","id":"alex-a-example","params":{"k":3}}`)
		if again.ID != j.ID || w2.Header().Get("X-Job-Existing") != "true" {
			t.Errorf("the same work submitted again got job %s (existing %q); want %s", again.ID, w2.Header().Get("X-Job-Existing"), j.ID)
		}
		close(gate)
		synctest.Wait()
		w, done := h.do(t, "GET", j.Location, "")
		if w.Code != 200 || done.Status != quant.JobDone || done.FinishedAt == nil || w.Header().Get("Retry-After") != "" {
			t.Fatalf("after the analysis: %d %s; want 200 done, no Retry-After", w.Code, done.Status)
		}
		var res struct {
			Answer int `json:"answer"`
			Meta   struct {
				Key            string `json:"key"`
				DatasetVersion int64  `json:"dataset_version,string"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(done.Result, &res); err != nil || res.Answer != 42 || res.Meta.Key != j.Key || res.Meta.DatasetVersion != 3 {
			t.Errorf("result = %s (%v); want the analysis' body with its meta", done.Result, err)
		}
		if n := a.calls.Load(); n != 1 {
			t.Errorf("analysis ran %d times; want once", n)
		}
		if st := h.runner.Stats(); st.Done != 1 || st.Submitted != 1 || st.Running != 0 {
			t.Errorf("stats = %+v", st)
		}
	})
}

func TestJobFailsWithTheProblem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{outcomes: []outcome{{err: &quant.NotEligibleError{Reason: "insufficient_data", Detail: "3 weeks"}}}}
		h := newJobHarness(t, a)
		_, j := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"hmm","id":"alex-a-example"}`)
		synctest.Wait()
		_, got := h.do(t, "GET", j.Location, "")
		if got.Status != quant.JobFailed || got.Error == nil || got.Error.Status != 422 || got.Error.Reason != "insufficient_data" || got.Result != nil {
			t.Fatalf("job = %s error %+v; want failed with the 422 and its reason", got.Status, got.Error)
		}
	})
}

func TestJobRetriesARefusal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		busy := &quant.UnavailableError{Reason: "ml pool full", RetryAfter: 5 * time.Second}
		a := &scriptedAnalyzer{outcomes: []outcome{{err: busy}, {}}}
		h := newJobHarness(t, a)
		_, j := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"network"}`)
		synctest.Wait()
		if _, got := h.do(t, "GET", j.Location, ""); got.Status != quant.JobQueued || a.calls.Load() != 1 {
			t.Fatalf("after a 503: %s, %d calls; want queued again after one call", got.Status, a.calls.Load())
		}
		time.Sleep(4 * time.Second) // virtual time: still before the refusal's Retry-After
		synctest.Wait()
		if a.calls.Load() != 1 {
			t.Fatalf("retried before Retry-After")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		_, got := h.do(t, "GET", j.Location, "")
		if got.Status != quant.JobDone || got.Attempts != 2 || h.runner.Stats().Retried != 1 {
			t.Errorf("after Retry-After: %s attempt %d stats %+v; want done on attempt 2", got.Status, got.Attempts, h.runner.Stats())
		}
	})
}

func TestJobInterruptedByShutdownIsRequeued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		js := inmem.NewJobs()
		a := &scriptedAnalyzer{outcomes: []outcome{{gate: make(chan struct{})}}}
		r := NewJobRunner(JobRunnerConfig{Store: js, Analyzer: a, Workers: 1})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		j, _, err := r.Submit(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1}))
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

func TestJobAPIValidation(t *testing.T) {
	h := newJobHarness(t, &scriptedAnalyzer{outcomes: []outcome{{}}})
	tests := []struct {
		method, path, body string
		status             int
		param              string
	}{
		{"POST", "/api/v1/jobs", ``, 400, "body"},
		{"POST", "/api/v1/jobs", `[]`, 400, "body"},
		{"POST", "/api/v1/jobs", `{"analysis":"hmm","id":"a"} {}`, 400, "body"},
		{"POST", "/api/v1/jobs", `{"analysis":"hmm","id":"a","extra":1}`, 400, "body"},
		{"POST", "/api/v1/jobs", `{"analysis":"magic"}`, 400, "analysis"},
		{"POST", "/api/v1/jobs", `{"analysis":"hmm"}`, 400, "id"},
		{"POST", "/api/v1/jobs", `{"analysis":"hmm","id":"../etc/passwd"}`, 400, "id"},
		{"POST", "/api/v1/jobs", `{"analysis":"hmm","id":"` + strings.Repeat("a", 129) + `"}`, 400, "id"},
		{"POST", "/api/v1/jobs", `{"analysis":"network","id":"a"}`, 400, "id"},
		{"POST", "/api/v1/jobs", `{"analysis":"dtw","id":"a","params":{"k":51}}`, 400, "params.k"},
		{"POST", "/api/v1/jobs", `{"analysis":"dtw","id":"a","params":{"k":"5"}}`, 400, "body"},
		{"POST", "/api/v1/jobs", `{"analysis":"ensemble","id":"a","params":{"horizon":0}}`, 400, "params.horizon"},
		{"POST", "/api/v1/jobs", `{"analysis":"hmm","id":"a","params":{"horizon":4}}`, 400, "params.horizon"},
		{"POST", "/api/v1/jobs", `{"analysis":"correlation","params":{"ids":["a","a"]}}`, 400, "params.ids"},
		{"POST", "/api/v1/jobs", `{"analysis":"correlation","params":{"ids":[]}}`, 400, "params.ids"},
		{"POST", "/api/v1/jobs", `{"analysis":"correlation","params":{"ids":["a","B"]}}`, 400, "params.ids"},
		{"POST", "/api/v1/jobs", `{"analysis":"correlation","params":{"ids":["a","b"],"top":5}}`, 400, "params.top"},
		{"POST", "/api/v1/jobs", `{"analysis":"correlation","params":{"top":101}}`, 400, "params.top"},
		{"POST", "/api/v1/jobs", `{"analysis":"network","params":{"min_weight":0}}`, 400, "params.min_weight"},
		{"POST", "/api/v1/jobs", `{"analysis":"network","params":{"min_weight":1.5}}`, 400, "params.min_weight"},
		{"POST", "/api/v1/jobs?x=1", `{"analysis":"network"}`, 400, "x"},
		{"POST", "/api/v1/jobs", `{"analysis":"correlation","params":{"ids":["a","b"]}}`, 202, ""},
		{"GET", "/api/v1/jobs/123", ``, 400, "id"},
		{"GET", "/api/v1/jobs/" + strings.Repeat("A", 32), ``, 400, "id"},
		{"GET", "/api/v1/jobs/" + strings.Repeat("a", 32), ``, 404, ""},
		{"DELETE", "/api/v1/jobs/" + strings.Repeat("a", 32), ``, 405, ""},
	}
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = "p"
	}
	tests = append(tests, struct {
		method, path, body string
		status             int
		param              string
	}{"POST", "/api/v1/jobs", `{"analysis":"correlation","params":{"ids":["` + strings.Join(ids, `","`) + `"]}}`, 400, "params.ids"})
	for _, tt := range tests {
		w := httptest.NewRecorder()
		h.h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
		if w.Code != tt.status {
			t.Errorf("%s %s %.60s = %d; want %d: %s", tt.method, tt.path, tt.body, w.Code, tt.status, w.Body)
			continue
		}
		if tt.param != "" {
			var p problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Param != tt.param {
				t.Errorf("%s %s %.60s: problem names %q (%v); want %q", tt.method, tt.path, tt.body, p.Param, err, tt.param)
			}
		}
	}
}

// TestJobLeaseRenewed: a job computing longer than its lease keeps it (the
// worker renews), so another worker never runs it twice.
func TestJobLeaseRenewed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		a := &scriptedAnalyzer{outcomes: []outcome{{gate: gate}, {}}}
		js := inmem.NewJobs()
		r := NewJobRunner(JobRunnerConfig{Store: js, Analyzer: a, Workers: 2, Lease: 3 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		j, _, err := r.Submit(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1}))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Second) // virtual: many leases long
		synctest.Wait()
		if n := a.calls.Load(); n != 1 {
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

// TestJobLeaseLost: a worker that learns its lease is gone stops the
// analysis and records nothing (the new owner will).
func TestJobLeaseLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{outcomes: []outcome{{gate: make(chan struct{})}}}
		js := &lostJobs{Jobs: inmem.NewJobs()}
		r := NewJobRunner(JobRunnerConfig{Store: js, Analyzer: a, Workers: 1, Lease: 3 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		if _, _, err := r.Submit(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1})); err != nil {
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

// TestJobQueueBounded: past MaxActive queued or running jobs, a
// submission is a 503 with Retry-After.
func TestJobQueueBounded(t *testing.T) {
	js := inmem.NewJobs()
	r := NewJobRunner(JobRunnerConfig{Store: js, Analyzer: &scriptedAnalyzer{outcomes: []outcome{{}}}, MaxActive: 3})
	h := New(Config{Store: inmem.New(), Jobs: r}).Handler()
	for i := range 4 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/jobs", strings.NewReader(fmt.Sprintf(`{"analysis":"dtw","id":"p%d"}`, i))))
		want := http.StatusAccepted
		if i == 3 {
			want = http.StatusServiceUnavailable
		}
		if w.Code != want || (i == 3 && w.Header().Get("Retry-After") == "") {
			t.Errorf("submission %d: %d (Retry-After %q); want %d", i+1, w.Code, w.Header().Get("Retry-After"), want)
		}
	}
}

// TestJobLastRefusalFails: a refusal on the last attempt fails the job
// with that refusal's problem.
func TestJobLastRefusalFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{outcomes: []outcome{{err: &quant.UnavailableError{Reason: "breaker network open", RetryAfter: time.Second}}}}
		h := newJobHarness(t, a) // MaxAttempts 3
		_, j := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"network"}`)
		for range 10 {
			time.Sleep(2 * time.Second)
			synctest.Wait()
		}
		_, got := h.do(t, "GET", j.Location, "")
		if got.Status != quant.JobFailed || got.Error == nil || got.Error.Status != 503 || got.Error.Detail != "breaker network open" || a.calls.Load() != 3 {
			t.Errorf("job = %s error %+v after %d calls; want failed with the last refusal after 3", got.Status, got.Error, a.calls.Load())
		}
	})
}

// startRunner runs r until the test ends.
func startRunner(t *testing.T, r *JobRunner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestJobOutcomeRecordedAfterLongAnalysis: the outcome of an analysis
// longer than the bound on recording it (10 s) is recorded. The bound once
// started with the job, so a store that honours ctx (PostgreSQL) refused
// the outcome of every job longer than 10 s, which then ran again once
// its lease ran out.
func TestJobOutcomeRecordedAfterLongAnalysis(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		a := &scriptedAnalyzer{outcomes: []outcome{{gate: gate}}}
		h := newJobHarness(t, a) // the in-process store honours ctx too
		_, j := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"network"}`)
		time.Sleep(15 * time.Second) // virtual: the analysis runs 15 s
		close(gate)
		synctest.Wait()
		if _, got := h.do(t, "GET", j.Location, ""); got.Status != quant.JobDone || got.Result == nil {
			t.Errorf("after a 15 s analysis: %s; want done with its result", got.Status)
		}
		if st := h.runner.Stats(); st.Done != 1 || a.calls.Load() != 1 {
			t.Errorf("stats %+v after %d calls; want 1 done after 1", st, a.calls.Load())
		}
	})
}

// TestJobDoneReused: the same work submitted again after its job finished
// gets that job back while it is recent and at the current dataset
// version, rather than a new job storing the same answer again (1,000
// POSTs of a network job once stored 1,000 copies of a 273 KB answer).
func TestJobDoneReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{outcomes: []outcome{{}}}
		h := newJobHarness(t, a)
		const body = `{"analysis":"network","params":{"min_weight":0.2}}`
		_, first := h.do(t, "POST", "/api/v1/jobs", body)
		synctest.Wait()
		for range 3 {
			time.Sleep(time.Minute)
			w, again := h.do(t, "POST", "/api/v1/jobs", body)
			if w.Code != http.StatusAccepted || again.ID != first.ID || again.Status != quant.JobDone || again.Result == nil ||
				w.Header().Get("X-Job-Existing") != "true" || w.Header().Get("Retry-After") != "" {
				t.Fatalf("POST after the job finished = %d job %s %s (existing %q, Retry-After %q); want 202 with done job %s, nothing to wait for",
					w.Code, again.ID, again.Status, w.Header().Get("X-Job-Existing"), w.Header().Get("Retry-After"), first.ID)
			}
		}
		if n := a.calls.Load(); n != 1 {
			t.Errorf("analysis ran %d times; want once", n)
		}
		if counts, _ := h.store.JobCounts(context.Background()); counts.Done != 1 {
			t.Errorf("job counts %+v; want the one done job", counts)
		}

		// New data: the old answer no longer answers.
		h.versions.v.Store(4)
		_, fresh := h.do(t, "POST", "/api/v1/jobs", body)
		if fresh.ID == first.ID || fresh.Status != quant.JobQueued {
			t.Errorf("POST at a new dataset version = job %s %s; want a new queued job", fresh.ID, fresh.Status)
		}
		synctest.Wait()

		// Past the reuse window (10 min by default) an answer is computed
		// again (through the cache, whose TTLs decide whether it is new).
		h.versions.v.Store(3)
		time.Sleep(11 * time.Minute)
		if _, later := h.do(t, "POST", "/api/v1/jobs", body); later.ID == first.ID {
			t.Errorf("POST 14 min after the job finished got it back; want a new job")
		}
	})
}

// TestJobNoCacheRunsAgain: a submission with Cache-Control: no-cache (quant
// warm's) gets a new job even when the same work was just done: the client
// wants the answer through the cache now, which may have been flushed.
func TestJobNoCacheRunsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{outcomes: []outcome{{}}}
		h := newJobHarness(t, a)
		const body = `{"analysis":"hmm","id":"alex-a-example"}`
		_, first := h.do(t, "POST", "/api/v1/jobs", body)
		synctest.Wait()
		for _, cc := range []string{"no-cache", "max-age=0, No-Cache"} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/api/v1/jobs", strings.NewReader(body))
			r.Header.Set("Cache-Control", cc)
			h.h.ServeHTTP(w, r)
			var again jobJSON
			if err := json.Unmarshal(w.Body.Bytes(), &again); err != nil || w.Code != http.StatusAccepted || again.ID == first.ID ||
				w.Header().Get("X-Job-Existing") != "" {
				t.Errorf("POST with Cache-Control %q after the job finished = %d job %s (existing %q, %v); want a new job",
					cc, w.Code, again.ID, w.Header().Get("X-Job-Existing"), err)
			}
			synctest.Wait()
		}
		if n := a.calls.Load(); n != 3 {
			t.Errorf("analysis ran %d times; want 3", n)
		}
	})
}

// TestJobRefusalWaitCapped: a refusal's Retry-After parks a job 30 s at
// most. A breaker forced open for 7 days said "retry after 7 days", and
// every submission of the same work joined the parked job.
func TestJobRefusalWaitCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		open := &quant.UnavailableError{Reason: "breaker network forced open", RetryAfter: 7 * 24 * time.Hour}
		a := &scriptedAnalyzer{outcomes: []outcome{{err: open}, {}}}
		h := newJobHarness(t, a)
		_, j := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"network"}`)
		synctest.Wait()
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if n := a.calls.Load(); n != 1 {
			t.Fatalf("%d calls 29 s after the refusal; want it still waiting (backoff 30 s)", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if _, got := h.do(t, "GET", j.Location, ""); got.Status != quant.JobDone || a.calls.Load() != 2 {
			t.Errorf("31 s after a refusal with Retry-After 7 days: %s after %d calls; want done on the second", got.Status, a.calls.Load())
		}
	})
}

// TestJobQueueFullStillJoins: with the queue full, the same work as a
// queued job joins it (it adds nothing to the queue); only new work is
// refused.
func TestJobQueueFullStillJoins(t *testing.T) {
	js := inmem.NewJobs()
	r := NewJobRunner(JobRunnerConfig{Store: js, Analyzer: &scriptedAnalyzer{outcomes: []outcome{{}}}, MaxActive: 1}) // not run: jobs stay queued
	h := New(Config{Store: inmem.New(), Jobs: r}).Handler()
	post := func(body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/jobs", strings.NewReader(body)))
		return w
	}
	if w := post(`{"analysis":"dtw","id":"p1"}`); w.Code != http.StatusAccepted {
		t.Fatalf("first submission: %d; want 202", w.Code)
	}
	if w := post(`{"analysis":"dtw","id":"p1"}`); w.Code != http.StatusAccepted || w.Header().Get("X-Job-Existing") != "true" {
		t.Errorf("the same work, queue full: %d (existing %q); want 202 joining the queued job: %s", w.Code, w.Header().Get("X-Job-Existing"), w.Body)
	}
	if w := post(`{"analysis":"dtw","id":"p2"}`); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("new work, queue full: %d (Retry-After %q); want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
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

// TestJobRenewalBounded: a renewal that hangs is cut off after a third of
// the lease and logged, and a worker whose renewals have all failed for a
// whole lease abandons the job (another worker may hold it by then). An
// unbounded renewal once hung the renewer for good, and the worker never
// noticed its lease had lapsed.
func TestJobRenewalBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{outcomes: []outcome{{gate: make(chan struct{})}}}
		js := &stuckRenewals{Jobs: inmem.NewJobs()}
		logs := &logBuffer{}
		r := NewJobRunner(JobRunnerConfig{Store: js, Analyzer: a, Workers: 1, Lease: 3 * time.Second,
			Logger: slog.New(slog.NewTextHandler(logs, nil))})
		startRunner(t, r)
		if _, _, err := r.Submit(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1})); err != nil {
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

// TestJobClaimedAsShutdownBeginsIsRequeued: a job claimed as the runner
// stops is put back at once, its attempt given back. The claim once used
// the shutdown's context: cancelled after the commit, it left the job
// running for nobody until its lease ran out.
func TestJobClaimedAsShutdownBeginsIsRequeued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		js := &lateClaims{Jobs: inmem.NewJobs(), claimed: make(chan struct{}), release: make(chan struct{})}
		a := &scriptedAnalyzer{outcomes: []outcome{{}}}
		r := NewJobRunner(JobRunnerConfig{Store: js, Analyzer: a, Workers: 1})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		j, _, err := r.Submit(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1}))
		if err != nil {
			t.Fatal(err)
		}
		<-js.claimed
		cancel()
		close(js.release)
		<-done
		got, _ := js.Job(context.Background(), j.ID)
		if got.State != quant.JobQueued || got.Owner != "" || got.Attempts != 0 || a.calls.Load() != 0 {
			t.Errorf("job claimed as the shutdown began = %s owner %q attempts %d, %d calls; want queued for any instance, the attempt given back, not run",
				got.State, got.Owner, got.Attempts, a.calls.Load())
		}
	})
}

// refusedOutcomes is a job store that takes no outcome.
type refusedOutcomes struct{ *inmem.Jobs }

var errStoreDown = errors.New("store down")

func (refusedOutcomes) FinishJob(context.Context, string, string, *quant.Result, *quant.JobError) error {
	return errStoreDown
}

// TestJobCountsOnlyRecordedOutcomes: done and failed count outcomes the
// store took; one it refused is not an outcome (the job runs again).
func TestJobCountsOnlyRecordedOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{outcomes: []outcome{{}, {err: &quant.NotEligibleError{Reason: "insufficient_data"}}}}
		js := refusedOutcomes{inmem.NewJobs()}
		r := NewJobRunner(JobRunnerConfig{Store: js, Analyzer: a, Workers: 1})
		startRunner(t, r)
		for _, id := range []string{"a", "b"} {
			if _, _, err := r.Submit(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: id})); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if st := r.Stats(); a.calls.Load() != 2 || st.Done != 0 || st.Failed != 0 {
			t.Errorf("after %d analyses whose outcomes the store refused: stats %+v; want none done or failed", a.calls.Load(), st)
		}
	})
}
