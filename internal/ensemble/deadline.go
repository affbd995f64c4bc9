package ensemble

import (
	"context"
	"time"
)

// Every analysis checks its context at its natural steps (see the package
// doc) with expired and, once the context is done, returns an error that
// wraps its error and names the step: "ensemble: hmm: stopped at
// baum-welch iteration 13: context deadline exceeded". errors.Is(err,
// context.DeadlineExceeded) is what lets the guard answer 504.

// expired returns ctx.Err(), or context.DeadlineExceeded once ctx's
// deadline has passed even if ctx does not say so yet. A context learns
// of its deadline from a timer, run by the scheduler; while an analysis
// keeps every core busy (the forecast, DTW, Brandes and Louvain run a
// goroutine per core) the timer waits for a preemption, 10 ms or more
// late (measured: 16 ms past a 4 ms deadline, median). The clock has no
// such delay. It costs about 65 ns (ctx.Err alone 6 ns), once per step
// of microseconds or more.
func expired(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// checkEvery is the number of cheap steps (a DTW candidate's screening,
// a Louvain node visit, a compliance record) between two checks of the
// context in the loops that take them by the hundred thousand: a step
// costs 50 ns to 1 µs, a check 65 ns, so the checks cost under 1% and
// such a loop notices the deadline within about 0.3 ms. Steps that cost
// more (an HMM iteration, a forecast fit, a DTW recurrence, a correlation
// row, a Jaccard row, a PageRank step, a Brandes source) check every time.
const checkEvery = 256

// stepCheck checks a context once every checkEvery calls of step; the
// first call checks, so a context done before the loop starts stops it at
// once.
type stepCheck struct {
	ctx  context.Context
	left int // calls before the next check
}

func newStepCheck(ctx context.Context) stepCheck { return stepCheck{ctx: ctx} }

// step counts one step and returns expired(ctx) when this step checks.
func (c *stepCheck) step() error {
	if c.left--; c.left > 0 {
		return nil
	}
	c.left = checkEvery
	return expired(c.ctx)
}
