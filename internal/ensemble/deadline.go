package ensemble

import "context"

// Every analysis checks its context at its natural steps (see the package
// doc) and, once the context is done, returns an error that wraps
// ctx.Err() and names the step: "ensemble: hmm: stopped at baum-welch
// iteration 13: context deadline exceeded". errors.Is(err,
// context.DeadlineExceeded) is what lets the guard answer 504.

// checkEvery is the number of cheap steps (a DTW candidate's screening, a
// Jaccard row, a compliance record) between two checks of the context in
// the loops that take them by the hundred thousand: a step costs 50 ns to
// 1 µs, a check a few ns, so the checks cost well under 1% and a loop
// notices the deadline within about 0.3 ms. Steps that cost more (an HMM
// iteration, a PageRank step, a Brandes source, a Louvain sweep, a
// correlation row, a DTW recurrence) check the context every time.
const checkEvery = 256

// stepCheck checks a context once every checkEvery calls of step; the
// first call checks, so a context done before the loop starts stops it at
// once.
type stepCheck struct {
	ctx  context.Context
	left int // calls before the next check
}

func newStepCheck(ctx context.Context) stepCheck { return stepCheck{ctx: ctx} }

// step counts one step and returns ctx.Err() when this step checks.
func (c *stepCheck) step() error {
	if c.left--; c.left > 0 {
		return nil
	}
	c.left = checkEvery
	return c.ctx.Err()
}
