package guard

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/quantops/quant/internal/quant"
)

var _ quant.Analyzer = (*Guard)(nil)

// PoolConfig configures one bulkhead pool and names the analyses it runs.
type PoolConfig struct {
	BulkheadConfig
	Analyses []quant.Analysis
}

// Config configures a Guard. Zero values take the defaults of DefaultConfig.
type Config struct {
	Pools   []PoolConfig
	Breaker BreakerConfig // one breaker per analysis is made from it
	// Timeout bounds one computation once it has a slot (default 60 s); a
	// computation past it fails with a *quant.TimeoutError (504) and counts
	// as a breaker failure. See Guard.Analyze for its Retry-After.
	Timeout time.Duration
}

// DefaultConfig returns the pools of the system quant replaces: ml
// (fourier, hmm, dtw, ensemble, correlation, and compliance as
// ANALYTICS.md section 11 says) 10 at once with up to 120 s of waiting,
// network 3 at once with up to 180 s; the ml queue holds 100 calls, the
// network queue 30.
func DefaultConfig() Config {
	return Config{
		Pools: []PoolConfig{
			{BulkheadConfig{Name: "ml", Capacity: 10, QueueLimit: 100, MaxWait: 120 * time.Second},
				[]quant.Analysis{quant.AnalysisFourier, quant.AnalysisHMM, quant.AnalysisDTW, quant.AnalysisEnsemble, quant.AnalysisCorrelation, quant.AnalysisCompliance}},
			{BulkheadConfig{Name: "network", Capacity: 3, QueueLimit: 30, MaxWait: 180 * time.Second},
				[]quant.Analysis{quant.AnalysisNetwork}},
		},
		Timeout: 60 * time.Second,
	}
}

// Guard runs each analysis behind its pool's Bulkhead and its own Breaker.
// A Guard must be made by New (it needs its pools); the zero value panics
// when used.
type Guard struct {
	next     quant.Analyzer
	timeout  time.Duration
	openFor  time.Duration // the breakers' open period, bounding Retry-After
	pools    []*Bulkhead
	poolOf   map[quant.Analysis]*Bulkhead
	breakers map[quant.Analysis]*Breaker
	computes map[quant.Analysis]*computeTimes
}

// computeTimes are one analysis' computation times: how long each held
// its slot, apart for answers and errors.
type computeTimes struct {
	ok, failed *histogram // their own locks
}

// New wraps next. Every analysis must belong to exactly one pool.
func New(next quant.Analyzer, cfg Config) (*Guard, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if next == nil {
		return nil, fmt.Errorf("guard: no analyzer to guard")
	}
	defaults := cfg.Breaker
	defaults.setDefaults()
	g := &Guard{next: next, timeout: cfg.Timeout, openFor: defaults.OpenFor, poolOf: map[quant.Analysis]*Bulkhead{},
		breakers: map[quant.Analysis]*Breaker{}, computes: map[quant.Analysis]*computeTimes{}}
	for _, pc := range cfg.Pools {
		if pc.Capacity < 1 || pc.QueueLimit < 0 || pc.MaxWait < 0 {
			return nil, fmt.Errorf("guard: pool %s: capacity must be >= 1, queue and max wait >= 0", pc.Name)
		}
		b := NewBulkhead(pc.BulkheadConfig)
		g.pools = append(g.pools, b)
		for _, a := range pc.Analyses {
			if _, dup := g.poolOf[a]; dup {
				return nil, fmt.Errorf("guard: analysis %s is in two pools", a)
			}
			g.poolOf[a] = b
		}
	}
	for _, a := range quant.Analyses {
		if g.poolOf[a] == nil {
			return nil, fmt.Errorf("guard: analysis %s is in no pool", a)
		}
		bc := cfg.Breaker
		bc.Name = string(a)
		g.breakers[a] = NewBreaker(bc)
		g.computes[a] = &computeTimes{ok: newHistogram(computeBounds), failed: newHistogram(computeBounds)}
	}
	return g, nil
}

// mustBeMade panics on a Guard not made by New.
func (g *Guard) mustBeMade() {
	if g.next == nil {
		panic("guard: Guard used without New")
	}
}

// Analyze implements quant.Analyzer: refuse at once if the breaker is open,
// wait for a slot, then run the analysis under the breaker and the timeout.
//
// Refusals are *quant.UnavailableError with the Cause ErrOpen,
// ErrForcedOpen, ErrProbing, ErrQueueFull or ErrWaitTimeout. A computation
// still running at the guard's timeout (the analyses stop at their
// context's deadline) fails with a *quant.TimeoutError whose Cause is
// context.DeadlineExceeded and whose RetryAfter is the timeout itself, at
// least 1 s and at most the breakers' open period: a computation retried
// at once would most likely run out again, holding a slot as long; and
// past a few of them the breaker opens for that period anyway. The slot
// is given back as soon as the analysis returns.
func (g *Guard) Analyze(ctx context.Context, req quant.Query) (*quant.Result, error) {
	g.mustBeMade()
	br, pool := g.breakers[req.Analysis], g.poolOf[req.Analysis]
	if br == nil {
		return nil, quant.Invalid("analysis", "unknown analysis %q", req.Analysis)
	}
	// A fast refusal: an open breaker, or a half-open one with its probes
	// out, rejects before the call queues.
	if err := br.refuse(); err != nil {
		return nil, err
	}
	if _, err := pool.Acquire(ctx); err != nil {
		return nil, err
	}
	ticket, err := br.Allow()
	if err != nil {
		pool.Release()
		return nil, err
	}
	start := time.Now()
	res, err := g.call(ctx, req)
	pool.Release() // call recovers panics: nothing between Acquire and here skips it
	elapsed := time.Since(start)
	br.Record(ticket, classify(ctx, err), elapsed)
	if ct := g.computes[req.Analysis]; err == nil {
		ct.ok.observe(elapsed)
	} else {
		ct.failed.observe(elapsed)
	}
	return res, err
}

// call runs the analysis under the timeout, turning a panic into an
// error: the computation runs on a goroutine of the cache's fill, where a
// panic would end the process (every request in flight with it) rather
// than one request. The error is of no known kind, so its request gets a
// 500 and the server log the stack; the breaker counts it as a failure.
// A failure at the guard's own deadline (the caller's is not over) is a
// *quant.TimeoutError.
func (g *Guard) call(ctx context.Context, req quant.Query) (res *quant.Result, err error) {
	cctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	defer func() {
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && pastDeadline(cctx) {
			err = &quant.TimeoutError{
				Reason:     fmt.Sprintf("%s did not finish within %v", req.Analysis, g.timeout),
				RetryAfter: min(max(g.timeout, time.Second), g.openFor),
				Cause:      cctx.Err(),
			}
		}
	}()
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, fmt.Errorf("guard: %s %s panicked: %v\n%s", req.Analysis, req.Key(), v, debug.Stack())
		}
	}()
	return g.next.Analyze(cctx, req)
}

// pastDeadline reports whether ctx's deadline has passed: by its Err, or
// by the clock, since the analyses read the clock against the deadline
// (a busy machine fires the context's timer late) and may stop before the
// context knows.
func pastDeadline(ctx context.Context) bool {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// classify turns a call's error into a breaker outcome: the caller's own
// errors and cancellations are not the analysis' failures.
func classify(ctx context.Context, err error) Outcome {
	switch {
	case err == nil:
		return Success
	case errors.Is(err, context.Canceled) || ctx.Err() != nil && !errors.Is(err, quant.ErrTimeout):
		return Ignored
	case errors.Is(err, quant.ErrInvalid), errors.Is(err, quant.ErrNotFound), errors.Is(err, quant.ErrNotEligible):
		return Ignored
	}
	return Failure
}

// Breaker returns the breaker of analysis a (nil if a is unknown).
func (g *Guard) Breaker(a quant.Analysis) *Breaker {
	g.mustBeMade()
	return g.breakers[a]
}

// Stats are a Guard's live figures.
type Stats struct {
	Pools    []BulkheadStats
	Breakers []BreakerStats // in quant.Analyses order
	Computes []ComputeStats // in quant.Analyses order
}

// ComputeStats are the times one analysis' computations took once they
// had a slot (the time each held it, from the start of the analysis to
// its return, the breaker's and the timeout's view): OK those that
// answered, Failed those that returned an error (a timeout, a failure, a
// refusal of the request, a caller gone). Their buckets are bounded by
// ComputeBounds.
type ComputeStats struct {
	Analysis   quant.Analysis
	OK, Failed DurationStats
}

// Stats returns the live figures of every pool and breaker.
func (g *Guard) Stats() Stats {
	g.mustBeMade()
	var s Stats
	for _, p := range g.pools {
		s.Pools = append(s.Pools, p.Stats())
	}
	for _, a := range quant.Analyses {
		s.Breakers = append(s.Breakers, g.breakers[a].Stats())
		ct := g.computes[a]
		s.Computes = append(s.Computes, ComputeStats{Analysis: a, OK: ct.ok.stats(), Failed: ct.failed.stats()})
	}
	return s
}

// Analyses lists the analyses a pool runs.
func (g *Guard) Analyses(pool string) []quant.Analysis {
	g.mustBeMade()
	var out []quant.Analysis
	for _, a := range quant.Analyses {
		if p := g.poolOf[a]; p != nil && p.cfg.Name == pool {
			out = append(out, a)
		}
	}
	return slices.Clip(out)
}
