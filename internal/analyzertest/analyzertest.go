// Package analyzertest holds a scripted quant.Analyzer for the tests of
// the packages that drive one (the job runner, the server): each call
// answers the next of its outcomes, and an outcome may block until its
// gate closes, so a test can hold a computation in flight.
package analyzertest

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
)

var _ quant.Analyzer = (*Scripted)(nil)

// Scripted answers each call with the next of its Outcomes (the last
// repeats); an outcome with a Gate blocks until the gate closes or the
// caller's context ends. A success is {"answer":42} at dataset version 3.
// Outcomes must not be empty once calls begin.
type Scripted struct {
	mu       sync.Mutex
	Outcomes []Outcome
	Calls    atomic.Int64 // calls so far
}

// Outcome is one answer of a Scripted: Err, or a success; Gate, when set,
// holds the call until it is closed.
type Outcome struct {
	Err  error
	Gate chan struct{}
}

// Analyze implements quant.Analyzer.
func (a *Scripted) Analyze(ctx context.Context, req quant.Query) (*quant.Result, error) {
	n := a.Calls.Add(1)
	a.mu.Lock()
	o := a.Outcomes[min(int(n), len(a.Outcomes))-1]
	a.mu.Unlock()
	if o.Gate != nil {
		select {
		case <-o.Gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if o.Err != nil {
		return nil, o.Err
	}
	return &quant.Result{Analysis: req.Analysis, Key: req.Key(), Body: []byte(`{"answer":42}`),
		DatasetVersion: 3, ComputedAt: time.Now(), ComputeTime: time.Millisecond, Status: quant.CacheMiss}, nil
}
