package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/quant"
)

// RunJobs runs the contract of quant.JobStore; each subtest gets a new
// empty job store from newJobs.
func RunJobs(t *testing.T, newJobs func(t *testing.T) quant.JobStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s quant.JobStore)
	}{
		{"SubmitAndRead", testJobSubmit},
		{"OneActiveJobPerKey", testJobDedup},
		{"ClaimRunFinish", testJobLifecycle},
		{"Failed", testJobFailed},
		{"Requeue", testJobRequeue},
		{"RequeueRefund", testJobRefund},
		{"ConcurrentSubmitsOfOneKey", testJobConcurrentSubmits},
		{"ExpiredLeaseIsClaimedAgain", testJobTakeover},
		{"ConcurrentClaimsTakeEachJobOnce", testJobConcurrentClaims},
		{"CountsAndPrune", testJobCountsPrune},
		{"DoneJobReused", testJobReuseDone},
		{"LongKey", testJobLongKey},
		{"QueueFull", testJobQueueFull},
		{"ContextHonoured", testJobContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newJobs(t)) })
	}
}

func job(id string, req quant.Request) quant.Job {
	q := quant.MustQuery(req)
	return quant.Job{ID: id, Request: q.Request, Key: q.Key()}
}

func submit(t *testing.T, s quant.JobStore, j quant.Job) quant.Job {
	t.Helper()
	got, created, err := s.SubmitJob(context.Background(), j, quant.SubmitOptions{})
	if err != nil || !created {
		t.Fatalf("SubmitJob(%s) = created %v, %v; want a new job", j.ID, created, err)
	}
	return got
}

func claim(t *testing.T, s quant.JobStore, owner string, lease time.Duration) quant.Job {
	t.Helper()
	j, ok, err := s.ClaimJob(context.Background(), owner, lease)
	if err != nil || !ok {
		t.Fatalf("ClaimJob(%s) = ok %v, %v; want a job", owner, ok, err)
	}
	return j
}

func noClaim(t *testing.T, s quant.JobStore) {
	t.Helper()
	if j, ok, err := s.ClaimJob(context.Background(), "nobody", time.Minute); err != nil || ok {
		t.Fatalf("ClaimJob = %s ok %v, %v; want nothing to claim", j.ID, ok, err)
	}
}

func testJobSubmit(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	want := job("j1", quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"b-b", "a-a"}})
	got := submit(t, s, want)
	if got.State != quant.JobQueued || got.Attempts != 0 || got.CreatedAt.IsZero() || !got.StartedAt.IsZero() {
		t.Errorf("submitted job = %+v; want queued, no attempts, created now", got)
	}
	read, err := s.Job(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Request, read.Request); diff != "" {
		t.Errorf("request changed in the store (-want +got):\n%s", diff)
	}
	if read.Key != want.Key || read.ID != "j1" {
		t.Errorf("read job = %s %q; want j1 %q", read.ID, read.Key, want.Key)
	}
	if _, err := s.Job(ctx, "nope"); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Job(unknown) error = %v; want ErrNotFound", err)
	}
}

func testJobDedup(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	req := quant.Request{Analysis: quant.AnalysisDTW, ID: "x", K: 3}
	submit(t, s, job("first", req))
	again, created, err := s.SubmitJob(ctx, job("second", req), quant.SubmitOptions{})
	if err != nil || created || again.ID != "first" {
		t.Fatalf("second submission = %s created %v, %v; want the queued job first", again.ID, created, err)
	}
	other := submit(t, s, job("other", quant.Request{Analysis: quant.AnalysisDTW, ID: "x", K: 4}))
	if other.ID != "other" {
		t.Errorf("a different key joined job %s", other.ID)
	}
	j := claim(t, s, "w1", time.Minute)
	if again, created, _ := s.SubmitJob(ctx, job("third", j.Request), quant.SubmitOptions{}); created || again.ID != j.ID {
		t.Errorf("submission while running = %s created %v; want the running job %s", again.ID, created, j.ID)
	}
	if err := s.FinishJob(ctx, j.ID, "w1", &quant.Result{Analysis: quant.AnalysisDTW, Key: j.Key, Body: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	// Finished work no longer absorbs submissions: the answer may be stale.
	if fresh, created, err := s.SubmitJob(ctx, job("fourth", j.Request), quant.SubmitOptions{}); err != nil || !created || fresh.ID != "fourth" {
		t.Errorf("submission after the job finished = %s created %v, %v; want a new job", fresh.ID, created, err)
	}
}

func testJobLifecycle(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	submit(t, s, job("j1", quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}))
	j := claim(t, s, "w1", time.Minute)
	if j.ID != "j1" || j.State != quant.JobRunning || j.Owner != "w1" || j.Attempts != 1 || j.StartedAt.IsZero() || !j.LeaseUntil.After(j.StartedAt) {
		t.Fatalf("claimed job = %+v; want j1 running for w1, attempt 1, leased", j)
	}
	noClaim(t, s)
	if err := s.RenewJob(ctx, "j1", "w2", time.Minute); !errors.Is(err, quant.ErrJobLost) {
		t.Errorf("RenewJob by another worker = %v; want ErrJobLost", err)
	}
	if err := s.RenewJob(ctx, "j1", "w1", time.Minute); err != nil {
		t.Errorf("RenewJob by its worker: %v", err)
	}
	computed := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	res := &quant.Result{Analysis: quant.AnalysisHMM, Key: j.Key, Body: []byte(`{"z":1.50,"a":[1e-7]}`),
		DatasetVersion: 7, ComputedAt: computed, ComputeTime: 1234 * time.Microsecond, Status: quant.CacheMiss}
	if err := s.FinishJob(ctx, "j1", "w2", res, nil); !errors.Is(err, quant.ErrJobLost) {
		t.Errorf("FinishJob by another worker = %v; want ErrJobLost", err)
	}
	if err := s.FinishJob(ctx, "j1", "w1", res, &quant.JobError{Status: 500}); err == nil {
		t.Error("FinishJob with a result and an error: no error")
	}
	if err := s.FinishJob(ctx, "j1", "w1", res, nil); err != nil {
		t.Fatal(err)
	}
	done, err := s.Job(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	if done.State != quant.JobDone || done.FinishedAt.IsZero() || done.Error != nil || done.Result == nil {
		t.Fatalf("finished job = %+v; want done with a result", done)
	}
	got := *done.Result
	if string(got.Body) != string(res.Body) {
		t.Errorf("result body = %s; want %s byte for byte", got.Body, res.Body)
	}
	if got.DatasetVersion != 7 || !got.ComputedAt.Equal(computed) || got.ComputeTime != res.ComputeTime || got.Status != quant.CacheMiss || got.Analysis != quant.AnalysisHMM || got.Key != j.Key {
		t.Errorf("result = %+v; want the provenance of %+v", got, res)
	}
	if err := s.FinishJob(ctx, "j1", "w1", res, nil); !errors.Is(err, quant.ErrJobLost) {
		t.Errorf("finishing twice = %v; want ErrJobLost", err)
	}
	noClaim(t, s)
}

func testJobFailed(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	submit(t, s, job("j1", quant.Request{Analysis: quant.AnalysisFourier, ID: "a"}))
	claim(t, s, "w1", time.Minute)
	want := quant.JobError{Status: 422, Type: "t", Title: "Unprocessable Entity", Detail: "too few weeks", Reason: "insufficient_data"}
	if err := s.FinishJob(ctx, "j1", "w1", nil, &want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != quant.JobFailed || got.Result != nil || got.Error == nil || *got.Error != want {
		t.Errorf("failed job = %+v, error %+v; want failed with %+v", got, got.Error, want)
	}
}

func testJobRequeue(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	submit(t, s, job("j1", quant.Request{Analysis: quant.AnalysisFourier, ID: "a"}))
	claim(t, s, "w1", time.Minute)
	if err := s.RequeueJob(ctx, "j1", "w2", 0, false); !errors.Is(err, quant.ErrJobLost) {
		t.Errorf("RequeueJob by another worker = %v; want ErrJobLost", err)
	}
	if err := s.RequeueJob(ctx, "j1", "w1", -time.Second, false); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.Job(ctx, "j1"); j.State != quant.JobQueued || j.Owner != "" {
		t.Errorf("requeued job = %s owner %q; want queued, no owner", j.State, j.Owner)
	}
	if j := claim(t, s, "w2", time.Minute); j.Attempts != 2 || j.Owner != "w2" {
		t.Errorf("claim after requeue = owner %s attempt %d; want w2, attempt 2", j.Owner, j.Attempts)
	}
	if err := s.RequeueJob(ctx, "j1", "w2", time.Hour, false); err != nil {
		t.Fatal(err)
	}
	noClaim(t, s) // not before an hour from now
}

func testJobRefund(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	submit(t, s, job("j1", quant.Request{Analysis: quant.AnalysisFourier, ID: "a"}))
	for range 3 {
		// A worker that lets the job go (a shutdown) gives its attempt back.
		j := claim(t, s, "w", time.Minute)
		if j.Attempts != 1 {
			t.Fatalf("attempts after released claims = %d; want 1", j.Attempts)
		}
		if err := s.RequeueJob(ctx, "j1", "w", -time.Second, true); err != nil {
			t.Fatal(err)
		}
	}
}

func testJobConcurrentSubmits(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	req := quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.5}
	var (
		mu      sync.Mutex
		ids     = map[string]bool{}
		created int
		wg      sync.WaitGroup
	)
	for i := range 16 {
		wg.Go(func() {
			j, c, err := s.SubmitJob(ctx, job(fmt.Sprintf("j%02d", i), req), quant.SubmitOptions{})
			if err != nil {
				t.Errorf("SubmitJob: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[j.ID] = true
			if c {
				created++
			}
		})
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Errorf("16 concurrent submissions of one key: %d created, %d distinct jobs; want 1 and 1", created, len(ids))
	}
}

func testJobTakeover(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	submit(t, s, job("j1", quant.Request{Analysis: quant.AnalysisFourier, ID: "a"}))
	// A lease that has already run out: what a dead worker leaves behind.
	claim(t, s, "dead", -time.Second)
	j := claim(t, s, "alive", time.Minute)
	if j.ID != "j1" || j.Owner != "alive" || j.Attempts != 2 {
		t.Fatalf("takeover = %s owner %s attempts %d; want j1 by alive, attempt 2", j.ID, j.Owner, j.Attempts)
	}
	if err := s.RenewJob(ctx, "j1", "dead", time.Minute); !errors.Is(err, quant.ErrJobLost) {
		t.Errorf("the dead worker's late renewal = %v; want ErrJobLost", err)
	}
	res := &quant.Result{Analysis: quant.AnalysisFourier, Key: j.Key, Body: []byte(`{}`)}
	if err := s.FinishJob(ctx, "j1", "dead", res, nil); !errors.Is(err, quant.ErrJobLost) {
		t.Errorf("the dead worker's late finish = %v; want ErrJobLost", err)
	}
	if err := s.FinishJob(ctx, "j1", "alive", res, nil); err != nil {
		t.Errorf("the new owner's finish: %v", err)
	}
}

func testJobConcurrentClaims(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	const jobs, workers = 40, 8
	for i := range jobs {
		submit(t, s, job(fmt.Sprintf("j%02d", i), quant.Request{Analysis: quant.AnalysisHMM, ID: fmt.Sprintf("p%d", i)}))
	}
	var (
		mu     sync.Mutex
		claims = map[string]int{}
		wg     sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			for {
				j, ok, err := s.ClaimJob(ctx, owner, time.Minute)
				if err != nil {
					t.Errorf("ClaimJob: %v", err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				claims[j.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claims) != jobs {
		t.Errorf("%d of %d jobs claimed", len(claims), jobs)
	}
	for id, n := range claims {
		if n != 1 {
			t.Errorf("job %s claimed %d times", id, n)
		}
	}
}

func testJobCountsPrune(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	for i := range 4 {
		submit(t, s, job(fmt.Sprintf("j%d", i), quant.Request{Analysis: quant.AnalysisHMM, ID: fmt.Sprintf("p%d", i)}))
	}
	a := claim(t, s, "w", time.Minute)
	b := claim(t, s, "w", time.Minute)
	c := claim(t, s, "w", time.Minute)
	if err := s.FinishJob(ctx, a.ID, "w", &quant.Result{Body: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishJob(ctx, b.ID, "w", nil, &quant.JobError{Status: 404}); err != nil {
		t.Fatal(err)
	}
	got, err := s.JobCounts(ctx)
	if want := (quant.JobCounts{Queued: 1, Running: 1, Done: 1, Failed: 1}); err != nil || got != want {
		t.Fatalf("JobCounts = %+v, %v; want %+v", got, err, want)
	}
	if n, err := s.PruneJobs(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("PruneJobs(an hour ago) = %d, %v; want 0", n, err)
	}
	if n, err := s.PruneJobs(ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("PruneJobs(in an hour) = %d, %v; want the 2 finished", n, err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if _, err := s.Job(ctx, id); !errors.Is(err, quant.ErrNotFound) {
			t.Errorf("pruned job %s: %v; want ErrNotFound", id, err)
		}
	}
	if _, err := s.Job(ctx, c.ID); err != nil {
		t.Errorf("running job %s pruned: %v", c.ID, err)
	}
}

// finish claims the job (the only claimable one) for w and finishes it
// with res.
func finish(t *testing.T, s quant.JobStore, id string, res *quant.Result) {
	t.Helper()
	if j := claim(t, s, "w", time.Minute); j.ID != id {
		t.Fatalf("claimed %s; want %s", j.ID, id)
	}
	if err := s.FinishJob(context.Background(), id, "w", res, nil); err != nil {
		t.Fatal(err)
	}
}

// testJobReuseDone: with ReuseDone, a recent done job of the key at the
// given dataset version answers a submission; a job done at another
// version, a failed one or an older one does not.
func testJobReuseDone(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	req := quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.3}
	submit(t, s, job("v7", req))
	body := []byte(`{"graph":{}}`)
	finish(t, s, "v7", &quant.Result{Analysis: quant.AnalysisNetwork, Key: job("", req).Key, Body: body, DatasetVersion: 7})
	reuse := func(version int64) quant.SubmitOptions {
		return quant.SubmitOptions{ReuseDone: time.Hour, DatasetVersion: version}
	}

	got, created, err := s.SubmitJob(ctx, job("again", req), reuse(7))
	if err != nil || created || got.ID != "v7" || got.State != quant.JobDone || got.Result == nil || string(got.Result.Body) != string(body) {
		t.Fatalf("submission at version 7 = %s %s created %v, %v; want done job v7 with its result", got.ID, got.State, created, err)
	}
	if _, err := s.Job(ctx, "again"); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("a reused submission stored job \"again\" (%v); want nothing stored", err)
	}
	// The dataset changed: v7's answer may be wrong for it.
	got, created, err = s.SubmitJob(ctx, job("v8", req), reuse(8))
	if err != nil || !created || got.ID != "v8" {
		t.Fatalf("submission at version 8 = %s created %v, %v; want a new job v8", got.ID, created, err)
	}
	if got, created, err := s.SubmitJob(ctx, job("join", req), reuse(8)); err != nil || created || got.ID != "v8" {
		t.Errorf("submission at version 8 while v8 is queued = %s created %v, %v; want v8", got.ID, created, err)
	}

	finish(t, s, "v8", &quant.Result{Body: []byte(`{}`), DatasetVersion: 8})

	// A done job older than ReuseDone is not reused.
	old := quant.Request{Analysis: quant.AnalysisFourier, ID: "q"}
	submit(t, s, job("old", old))
	finish(t, s, "old", &quant.Result{Body: []byte(`{}`), DatasetVersion: 1})
	time.Sleep(20 * time.Millisecond) // time passes on the store's clock; nothing to wait for
	opt := quant.SubmitOptions{ReuseDone: 10 * time.Millisecond, DatasetVersion: 1}
	if got, created, err := s.SubmitJob(ctx, job("newer", old), opt); err != nil || !created || got.ID != "newer" {
		t.Fatalf("submission 20 ms after the job finished, reusing 10 ms = %s created %v, %v; want a new job", got.ID, created, err)
	}
	finish(t, s, "newer", &quant.Result{Body: []byte(`{}`), DatasetVersion: 1})

	// A failed job is not reused: the failure may have been passing.
	other := quant.Request{Analysis: quant.AnalysisHMM, ID: "p"}
	submit(t, s, job("failed", other))
	claim(t, s, "w", time.Minute)
	if err := s.FinishJob(ctx, "failed", "w", nil, &quant.JobError{Status: 503}); err != nil {
		t.Fatal(err)
	}
	if got, created, err := s.SubmitJob(ctx, job("retry", other), reuse(0)); err != nil || !created || got.ID != "retry" {
		t.Errorf("submission after a failed job = %s created %v, %v; want a new job", got.ID, created, err)
	}
}

// testJobLongKey: a key longer than a btree entry (a correlation of 100
// ids of 30 characters, 3.1 KB) is stored, deduplicated and reused.
func testJobLongKey(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	// Random ids: PostgreSQL compresses a long value before indexing it,
	// so a repetitive key would fit.
	rng := rand.New(rand.NewPCG(1, 2))
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	ids := make([]string, quant.MaxSetSize)
	for i := range ids {
		b := make([]byte, 30)
		for k := range b {
			b[k] = chars[rng.IntN(len(chars))]
		}
		ids[i] = string(b)
	}
	req := quant.Request{Analysis: quant.AnalysisCorrelation, IDs: ids}
	first := submit(t, s, job("first", req))
	if len(first.Key) < 3000 {
		t.Fatalf("key is %d bytes; want a long one", len(first.Key))
	}
	if got, created, err := s.SubmitJob(ctx, job("second", req), quant.SubmitOptions{}); err != nil || created || got.ID != "first" {
		t.Fatalf("second submission = %s created %v, %v; want first", got.ID, created, err)
	}
	// Keys that differ in their last byte only are different work.
	ids2 := append([]string(nil), ids...)
	ids2[len(ids2)-1] += "y"
	other := submit(t, s, job("other", quant.Request{Analysis: quant.AnalysisCorrelation, IDs: ids2}))
	if other.Key == first.Key {
		t.Fatal("test keys are equal")
	}
	finish(t, s, "first", &quant.Result{Body: []byte(`{}`), DatasetVersion: 2})
	got, created, err := s.SubmitJob(ctx, job("third", req), quant.SubmitOptions{ReuseDone: time.Hour, DatasetVersion: 2})
	if err != nil || created || got.ID != "first" || got.Key != first.Key {
		t.Errorf("submission after first finished = %s created %v, %v; want first reused, its key whole", got.ID, created, err)
	}
}

// testJobQueueFull: MaxActive refuses a submission that would create a job
// past it, never one that joins an active job.
func testJobQueueFull(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	opt := quant.SubmitOptions{MaxActive: 2}
	a := quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}
	for _, j := range []quant.Job{job("a", a), job("b", quant.Request{Analysis: quant.AnalysisHMM, ID: "b"})} {
		if _, created, err := s.SubmitJob(ctx, j, opt); err != nil || !created {
			t.Fatalf("SubmitJob(%s) = created %v, %v; want a new job", j.ID, created, err)
		}
	}
	c := job("c", quant.Request{Analysis: quant.AnalysisHMM, ID: "c"})
	if got, created, err := s.SubmitJob(ctx, c, opt); !errors.Is(err, quant.ErrJobQueueFull) || created {
		t.Errorf("third job past MaxActive 2 = %s created %v, %v; want ErrJobQueueFull", got.ID, created, err)
	}
	if got, created, err := s.SubmitJob(ctx, job("a2", a), opt); err != nil || created || got.ID != "a" {
		t.Errorf("the same work as a, queue full = %s created %v, %v; want a", got.ID, created, err)
	}
	finish(t, s, "a", &quant.Result{Body: []byte(`{}`)})
	if got, created, err := s.SubmitJob(ctx, c, opt); err != nil || !created || got.ID != "c" {
		t.Errorf("third job once one finished = %s created %v, %v; want c", got.ID, created, err)
	}
}

// testJobContext: every method fails with a done context, with an error
// wrapping the context's, and changes nothing. The job runner relies on
// it: it bounds its calls by contexts of their own.
func testJobContext(t *testing.T, s quant.JobStore) {
	ctx := context.Background()
	submit(t, s, job("run", quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}))
	submit(t, s, job("queued", quant.Request{Analysis: quant.AnalysisHMM, ID: "b"}))
	before := claim(t, s, "w", time.Hour)
	done, cancel := context.WithCancel(ctx)
	cancel()
	res := &quant.Result{Body: []byte(`{}`)}
	for name, call := range map[string]func() error{
		"SubmitJob": func() error {
			_, _, err := s.SubmitJob(done, job("new", quant.Request{Analysis: quant.AnalysisHMM, ID: "c"}), quant.SubmitOptions{})
			return err
		},
		"Job":        func() error { _, err := s.Job(done, "run"); return err },
		"ClaimJob":   func() error { _, _, err := s.ClaimJob(done, "w2", time.Hour); return err },
		"RenewJob":   func() error { return s.RenewJob(done, "run", "w", 2*time.Hour) },
		"FinishJob":  func() error { return s.FinishJob(done, "run", "w", res, nil) },
		"RequeueJob": func() error { return s.RequeueJob(done, "run", "w", 0, true) },
		"JobCounts":  func() error { _, err := s.JobCounts(done); return err },
		"ActiveJobs": func() error { _, err := s.ActiveJobs(done); return err },
		"PruneJobs":  func() error { _, err := s.PruneJobs(done, time.Now().Add(time.Hour)); return err },
	} {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s(canceled context) = %v; want an error wrapping context.Canceled", name, err)
		}
	}
	after, err := s.Job(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	if after.State != quant.JobRunning || after.Owner != "w" || after.Attempts != 1 || !after.LeaseUntil.Equal(before.LeaseUntil) {
		t.Errorf("claimed job after the calls = %s owner %q attempt %d lease %v; want unchanged (running, w, 1, %v)",
			after.State, after.Owner, after.Attempts, after.LeaseUntil, before.LeaseUntil)
	}
	if _, err := s.Job(ctx, "new"); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("job submitted with a canceled context: %v; want ErrNotFound", err)
	}
	if got, err := s.JobCounts(ctx); err != nil || got != (quant.JobCounts{Queued: 1, Running: 1}) {
		t.Errorf("JobCounts = %+v, %v; want 1 queued, 1 running", got, err)
	}
}
