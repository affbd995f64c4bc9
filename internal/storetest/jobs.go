package storetest

import (
	"context"
	"errors"
	"fmt"
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newJobs(t)) })
	}
}

func job(id string, req quant.Request) quant.Job {
	n, err := req.Normalize()
	if err != nil {
		panic(err)
	}
	return quant.Job{ID: id, Request: n, Key: n.Key()}
}

func submit(t *testing.T, s quant.JobStore, j quant.Job) quant.Job {
	t.Helper()
	got, created, err := s.SubmitJob(context.Background(), j)
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
	again, created, err := s.SubmitJob(ctx, job("second", req))
	if err != nil || created || again.ID != "first" {
		t.Fatalf("second submission = %s created %v, %v; want the queued job first", again.ID, created, err)
	}
	other := submit(t, s, job("other", quant.Request{Analysis: quant.AnalysisDTW, ID: "x", K: 4}))
	if other.ID != "other" {
		t.Errorf("a different key joined job %s", other.ID)
	}
	j := claim(t, s, "w1", time.Minute)
	if again, created, _ := s.SubmitJob(ctx, job("third", j.Request)); created || again.ID != j.ID {
		t.Errorf("submission while running = %s created %v; want the running job %s", again.ID, created, j.ID)
	}
	if err := s.FinishJob(ctx, j.ID, "w1", &quant.Result{Analysis: quant.AnalysisDTW, Key: j.Key, Body: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	// Finished work no longer absorbs submissions: the answer may be stale.
	if fresh, created, err := s.SubmitJob(ctx, job("fourth", j.Request)); err != nil || !created || fresh.ID != "fourth" {
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
			j, c, err := s.SubmitJob(ctx, job(fmt.Sprintf("j%02d", i), req))
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
