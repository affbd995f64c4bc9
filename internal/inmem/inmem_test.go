package inmem_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) quant.Store { return inmem.New() })
}

// BenchmarkSeries loads storetest.BenchFile (the real Senate data by
// default) and times reading every politician's weekly series. The
// in-memory store maintains the Dataset on import, so this is the read cost.
func BenchmarkSeries(b *testing.B) {
	s := inmem.New()
	storetest.LoadFile(b, s, storetest.BenchFile())
	storetest.BenchmarkSeries(b, s, nil)
}

func TestJobsContract(t *testing.T) {
	storetest.RunJobs(t, func(t *testing.T) quant.JobStore { return inmem.NewJobs() })
}

// TestJobsBounded submits past the store's bound: the oldest finished
// jobs are forgotten, active ones never.
func TestJobsBounded(t *testing.T) {
	s := inmem.NewJobsWithMax(10)
	ctx := context.Background()
	for i := range 30 {
		req, _ := quant.NewQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: fmt.Sprintf("p%d", i)})
		j, _, err := s.SubmitJob(ctx, quant.Job{ID: fmt.Sprintf("j%02d", i), Request: req.Request, Key: req.Key()}, quant.SubmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			continue // this one stays queued
		}
		c, ok, _ := s.ClaimJob(ctx, "w", time.Minute)
		for ok && c.ID != j.ID { // claim up to the new job, leaving the queued ones claimed too
			s.RequeueJob(ctx, c.ID, "w", time.Hour, true)
			c, ok, _ = s.ClaimJob(ctx, "w", time.Minute)
		}
		if err := s.FinishJob(ctx, j.ID, "w", &quant.Result{Body: []byte(`{}`)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	counts, _ := s.JobCounts(ctx)
	if total := counts.Queued + counts.Running + counts.Done + counts.Failed; total > 10+1 {
		t.Errorf("%d jobs kept (%+v); want at most the bound (10) and the one being submitted", total, counts)
	}
	if counts.Queued != 10 {
		t.Errorf("queued jobs = %d; want all 10 kept", counts.Queued)
	}
}

// runJob submits a job for politician id, claims it and finishes it with
// body (a failure when body is nil).
func runJob(t *testing.T, s *inmem.Jobs, jobID, id string, body []byte) {
	t.Helper()
	ctx := context.Background()
	req, _ := quant.NewQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: id})
	if _, created, err := s.SubmitJob(ctx, quant.Job{ID: jobID, Request: req.Request, Key: req.Key()}, quant.SubmitOptions{}); err != nil || !created {
		t.Fatalf("SubmitJob(%s) = created %v, %v", jobID, created, err)
	}
	c, ok, err := s.ClaimJob(ctx, "w", time.Minute)
	if err != nil || !ok || c.ID != jobID {
		t.Fatalf("ClaimJob = %s ok %v, %v; want %s", c.ID, ok, err, jobID)
	}
	var res *quant.Result
	var jerr *quant.JobError
	if body != nil {
		res = &quant.Result{Analysis: req.Analysis, Key: req.Key(), Body: body}
	} else {
		jerr = &quant.JobError{Status: 422}
	}
	if err := s.FinishJob(ctx, jobID, "w", res, jerr); err != nil {
		t.Fatal(err)
	}
}

// TestJobsResultShared: a job keeps the result body it is given rather
// than a copy (bodies are immutable): a network answer is ~273 KB, and
// the answer cache holds the same body.
func TestJobsResultShared(t *testing.T) {
	s := inmem.NewJobs()
	body := []byte(`{"graph":{"nodes":[]}}`)
	runJob(t, s, "j1", "p", body)
	got, err := s.Job(context.Background(), "j1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Result == nil || &got.Result.Body[0] != &body[0] {
		t.Errorf("stored result body is a copy; want the body given to FinishJob")
	}
	if n := s.ResultBytes(); n != int64(len(body)) {
		t.Errorf("ResultBytes = %d; want %d", n, len(body))
	}
}

// TestJobsResultBytesBounded: past its bound on result bytes the store
// forgets the oldest finished jobs first, never an active one, and keeps
// the latest result even when it alone passes the bound.
func TestJobsResultBytesBounded(t *testing.T) {
	const bound = 1000
	s := inmem.NewJobsWithMaxBytes(bound)
	ctx := context.Background()
	req, _ := quant.NewQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "queued"})
	if _, _, err := s.SubmitJob(ctx, quant.Job{ID: "queued", Request: req.Request, Key: req.Key()}, quant.SubmitOptions{}); err != nil {
		t.Fatal(err)
	}
	// Park the queued job so that the claims below take the new ones.
	if c, ok, _ := s.ClaimJob(ctx, "parker", time.Minute); !ok || c.ID != "queued" {
		t.Fatalf("claim = %s; want queued", c.ID)
	}
	if err := s.RequeueJob(ctx, "queued", "parker", time.Hour, true); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"x":"` + strings.Repeat("a", 292) + `"}`) // 300 bytes
	for i := range 5 {
		runJob(t, s, fmt.Sprintf("j%d", i), fmt.Sprintf("p%d", i), body)
		runJob(t, s, fmt.Sprintf("f%d", i), fmt.Sprintf("f%d", i), nil) // failures count no bytes
		if n := s.ResultBytes(); n > bound {
			t.Fatalf("after job %d: %d result bytes kept; want at most %d", i, n, bound)
		}
	}
	for i, want := range []bool{false, false, true, true, true} {
		_, err := s.Job(ctx, fmt.Sprintf("j%d", i))
		if kept := err == nil; kept != want {
			t.Errorf("job j%d kept = %v (%v); want %v (the oldest finished go first)", i, kept, err, want)
		}
	}
	if j, err := s.Job(ctx, "queued"); err != nil || j.State != quant.JobQueued {
		t.Errorf("queued job = %+v, %v; want it kept", j, err)
	}
	big := []byte(`{"x":"` + strings.Repeat("b", 2*bound) + `"}`)
	runJob(t, s, "big", "big", big)
	if _, err := s.Job(ctx, "big"); err != nil {
		t.Errorf("a result larger than the bound: %v; want it kept", err)
	}
	if n := s.ResultBytes(); n != int64(len(big)) {
		t.Errorf("after a result larger than the bound: %d bytes kept; want that result alone (%d)", n, len(big))
	}
}

// TestJobsClaimWalksActiveOnly: finished jobs leave the claim queue, so
// a claim costs the active jobs, not every job kept for a day (with
// 100,000 finished jobs each claim walked them all under the lock).
func TestJobsClaimWalksActiveOnly(t *testing.T) {
	s := inmem.NewJobs()
	for i := range 1000 {
		runJob(t, s, fmt.Sprintf("j%04d", i), fmt.Sprintf("p%d", i), []byte(`{}`))
	}
	if _, ok, err := s.ClaimJob(context.Background(), "w", time.Minute); ok || err != nil {
		t.Fatalf("ClaimJob = ok %v, %v; want nothing to claim", ok, err)
	}
	if n := s.QueueLen(); n != 0 {
		t.Errorf("claim queue holds %d ids with no active job; want 0", n)
	}
}
