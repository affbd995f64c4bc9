package cache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// Fakes for the tests of the Analyzer's parts (package cache); the tests
// of the exported API have their own in helpers_test.go.

var (
	t0   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	q1   = quant.MustQuery(quant.Request{Analysis: quant.AnalysisEnsemble, ID: "p1"})
	errX = errors.New("fake failure")
)

// stepVersions answers DatasetVersion from a list of answers, one per
// call, repeating the last.
type stepVersions struct {
	mu      sync.Mutex
	answers []verAnswer // guarded by mu
	calls   int         // guarded by mu
}

type verAnswer struct {
	v   int64
	err error
}

func (s *stepVersions) DatasetVersion(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.answers[min(s.calls, len(s.answers)-1)]
	s.calls++
	return a.v, a.err
}

// scriptLease is a quant.Leaser driven by a script: TryLease answers
// from tries (one per call, repeating the last), Held from held likewise.
// An answer's store, when set, is run before it is returned (another
// instance storing its answer).
type scriptLease struct {
	mu       sync.Mutex
	tries    []leaseAnswer // guarded by mu
	held     []leaseAnswer // guarded by mu
	nTry     int           // guarded by mu
	nHeld    int           // guarded by mu
	released int           // guarded by mu
}

type leaseAnswer struct {
	ok    bool // TryLease: taken; Held: held
	err   error
	store func()
}

func (s *scriptLease) next(list []leaseAnswer, n *int) leaseAnswer {
	s.mu.Lock()
	a := list[min(*n, len(list)-1)]
	*n++
	s.mu.Unlock()
	if a.store != nil {
		a.store()
	}
	return a
}

func (s *scriptLease) TryLease(context.Context, string, time.Duration) (func(), bool, error) {
	a := s.next(s.tries, &s.nTry)
	if !a.ok || a.err != nil {
		return nil, false, a.err
	}
	return func() { s.mu.Lock(); s.released++; s.mu.Unlock() }, true, nil
}

func (s *scriptLease) Held(context.Context, string) (bool, error) {
	a := s.next(s.held, &s.nHeld)
	return a.ok, a.err
}

// countNext is a quant.Analyzer answering at version ver (one per call,
// repeating the last), or failing with err. While gate is non-nil a call
// waits for it to close.
type countNext struct {
	mu    sync.Mutex
	calls int     // guarded by mu
	vers  []int64 // guarded by mu
	err   error
	gate  chan struct{}
}

func (n *countNext) Analyze(ctx context.Context, q quant.Query) (*quant.Result, error) {
	if n.gate != nil {
		<-n.gate
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls++
	if n.err != nil {
		return nil, n.err
	}
	v := int64(0)
	if len(n.vers) > 0 {
		v = n.vers[min(n.calls-1, len(n.vers)-1)]
	}
	return &quant.Result{Analysis: q.Analysis, Key: q.Key(), DatasetVersion: v, Body: []byte(`{}`)}, nil
}

func (n *countNext) count() int { n.mu.Lock(); defer n.mu.Unlock(); return n.calls }
