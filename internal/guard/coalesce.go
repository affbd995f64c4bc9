package guard

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
	"golang.org/x/sync/singleflight"
)

var _ quant.Analyzer = (*Coalescer)(nil)

// Coalescer makes concurrent requests for one key share one computation.
// The shared work runs detached from every caller (context.WithoutCancel)
// under its own deadline, so a caller that gives up leaves, without
// cancelling the work the others wait for. The first caller's result has
// the status the layer below gave it; the others get quant.CacheCoalesced.
type Coalescer struct {
	next    quant.Analyzer
	timeout time.Duration
	group   singleflight.Group

	leaders, joined, inflight atomic.Int64
}

// NewCoalescer wraps next. timeout bounds the shared work (0 means 3 min:
// the network pool's 180 s queue wait and then some).
func NewCoalescer(next quant.Analyzer, timeout time.Duration) *Coalescer {
	if timeout <= 0 {
		timeout = 3 * time.Minute
	}
	return &Coalescer{next: next, timeout: timeout}
}

// Analyze implements quant.Analyzer.
func (c *Coalescer) Analyze(ctx context.Context, req quant.Query) (*quant.Result, error) {
	key := req.Key()
	led := false
	ch := c.group.DoChan(key, func() (any, error) {
		led = true // only the leader's closure runs; read after the channel receive
		c.leaders.Add(1)
		c.inflight.Add(1)
		defer c.inflight.Add(-1)
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		res, err := c.next.Analyze(wctx, req)
		if errors.Is(err, context.DeadlineExceeded) && wctx.Err() != nil {
			err = fmt.Errorf("guard: %s did not finish within %v: %w", key, c.timeout, quant.ErrTimeout)
		}
		return res, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		res := r.Val.(*quant.Result)
		if !led {
			c.joined.Add(1)
			return res.WithStatus(quant.CacheCoalesced), nil
		}
		return res, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// CoalescerStats are a Coalescer's figures.
type CoalescerStats struct {
	InFlight int64 // shared computations running now
	Leaders  int64 // computations started
	Joined   int64 // callers that shared another's computation
}

// Stats returns the live figures.
func (c *Coalescer) Stats() CoalescerStats {
	return CoalescerStats{InFlight: c.inflight.Load(), Leaders: c.leaders.Load(), Joined: c.joined.Load()}
}
