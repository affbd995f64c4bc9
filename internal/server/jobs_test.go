package server

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/quantops/quant/internal/analyzertest"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/jobs"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// scriptedAnalyzer is analyzertest.Scripted, named for these tests.
type (
	scriptedAnalyzer = analyzertest.Scripted
	outcome          = analyzertest.Outcome
)

// jobHarness is a server with a running job runner over an in-process job
// store, driven through its handler (no sockets, so synctest can run it).
// The runner's own behaviour (leases, retries, shutdown) is tested in
// internal/jobs; these tests hold the API: statuses, headers, the job's
// JSON.
type jobHarness struct {
	h      http.Handler
	runner *jobs.Runner
}

func newJobHarness(t *testing.T, a quant.Analyzer) *jobHarness {
	t.Helper()
	versions := &fakeVersions{}
	versions.v.Store(3) // scriptedAnalyzer's results are at version 3
	r := jobs.New(jobs.Config{Store: inmem.NewJobs(), Analyzer: a, Workers: 1, Lease: 30 * time.Second, MaxAttempts: 3, Versions: versions})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &jobHarness{h: New(Config{Store: inmem.New(), Jobs: r}).Handler(), runner: r}
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
		a := &scriptedAnalyzer{Outcomes: []outcome{{Gate: gate}}}
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
		if n := a.Calls.Load(); n != 1 {
			t.Errorf("analysis ran %d times; want once", n)
		}
		if st := h.runner.Stats(); st.Done != 1 || st.Submitted != 1 || st.Running != 0 {
			t.Errorf("stats = %+v", st)
		}
	})
}

func TestJobFailsWithTheProblem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{Outcomes: []outcome{{Err: &quant.NotEligibleError{Reason: "insufficient_data", Detail: "3 weeks"}}}}
		h := newJobHarness(t, a)
		_, j := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"hmm","id":"alex-a-example"}`)
		synctest.Wait()
		_, got := h.do(t, "GET", j.Location, "")
		if got.Status != quant.JobFailed || got.Error == nil || got.Error.Status != 422 || got.Error.Reason != "insufficient_data" || got.Result != nil {
			t.Fatalf("job = %s error %+v; want failed with the 422 and its reason", got.Status, got.Error)
		}
	})
}

func TestJobAPIValidation(t *testing.T) {
	h := newJobHarness(t, &scriptedAnalyzer{Outcomes: []outcome{{}}})
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
			var p problem.Details
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Param != tt.param {
				t.Errorf("%s %s %.60s: problem names %q (%v); want %q", tt.method, tt.path, tt.body, p.Param, err, tt.param)
			}
		}
	}
}

// TestJobQueueBounded: past MaxActive queued or running jobs, a
// submission is a 503 with Retry-After.
func TestJobQueueBounded(t *testing.T) {
	js := inmem.NewJobs()
	r := jobs.New(jobs.Config{Store: js, Analyzer: &scriptedAnalyzer{Outcomes: []outcome{{}}}, MaxActive: 3})
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

// TestJobDoneReused: the same work submitted again after its job finished
// is answered 202 with the done job (X-Job-Existing, no Retry-After:
// nothing to wait for). When a done job is reused is internal/jobs'
// TestDoneReused.
func TestJobDoneReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{Outcomes: []outcome{{}}}
		h := newJobHarness(t, a)
		const body = `{"analysis":"network","params":{"min_weight":0.2}}`
		_, first := h.do(t, "POST", "/api/v1/jobs", body)
		synctest.Wait()
		time.Sleep(time.Minute)
		w, again := h.do(t, "POST", "/api/v1/jobs", body)
		if w.Code != http.StatusAccepted || again.ID != first.ID || again.Status != quant.JobDone || again.Result == nil ||
			again.Cache != quant.CacheMiss || w.Header().Get("X-Job-Existing") != "true" || w.Header().Get("Retry-After") != "" {
			t.Fatalf("POST after the job finished = %d job %s %s cache %q (existing %q, Retry-After %q); want 202 with done job %s, nothing to wait for",
				w.Code, again.ID, again.Status, again.Cache, w.Header().Get("X-Job-Existing"), w.Header().Get("Retry-After"), first.ID)
		}
		if n := a.Calls.Load(); n != 1 {
			t.Errorf("analysis ran %d times; want once", n)
		}
	})
}

// TestJobNoCacheRunsAgain: a submission with Cache-Control: no-cache (quant
// warm's) gets a new job even when the same work was just done: the client
// wants the answer through the cache now, which may have been flushed.
func TestJobNoCacheRunsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &scriptedAnalyzer{Outcomes: []outcome{{}}}
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
		if n := a.Calls.Load(); n != 3 {
			t.Errorf("analysis ran %d times; want 3", n)
		}
	})
}

// TestJobQueueFullStillJoins: with the queue full, the same work as a
// queued job joins it (it adds nothing to the queue); only new work is
// refused.
func TestJobQueueFullStillJoins(t *testing.T) {
	js := inmem.NewJobs()
	r := jobs.New(jobs.Config{Store: js, Analyzer: &scriptedAnalyzer{Outcomes: []outcome{{}}}, MaxActive: 1}) // not run: jobs stay queued
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
