package inmem_test

import (
	"context"
	"fmt"
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
		req, _ := quant.Request{Analysis: quant.AnalysisHMM, ID: fmt.Sprintf("p%d", i)}.Normalize()
		j, _, err := s.SubmitJob(ctx, quant.Job{ID: fmt.Sprintf("j%02d", i), Request: req, Key: req.Key()})
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
