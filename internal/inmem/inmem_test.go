package inmem_test

import (
	"testing"

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
