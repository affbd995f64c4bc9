package cache

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/quantops/quant/internal/quant"
)

// Errors of the lease gate, seen only inside this package.
var (
	// errLeaseGone: the holder of a lease left without storing an answer.
	errLeaseGone = errors.New("cache: lease holder gone")
	// errRefreshElsewhere: another instance holds the key's lease; it is
	// recomputing the answer, which reaches the shared backend when done.
	errRefreshElsewhere = errors.New("cache: being refreshed by another instance")
)

// leaseGate owns the lease protocol between the instances that share a
// cache backend, so that they compute a key's answer once between them.
// A fill takes the key's lease (kept alive by the Leaser until released)
// before it computes. A miss that finds the lease held waits for the
// holder's answer to appear in the backend, polling with backoff, and
// takes the lease over when the holder's expires without an answer (it
// died); a refresh that finds it held leaves the key to the holder. When
// the Leaser fails (Redis down) the caller computes on its own.
//
// A nil *leaseGate (no Options.Lease) lets every fill compute at once.
type leaseGate struct {
	lease   quant.Leaser
	ttl     time.Duration // a lease's lifetime without renewal
	timeout time.Duration // how long a miss waits for the holder's answer
	c       quant.Cache   // where the holder's answer appears
	stats   *counters     // backendErrors, leaseWaits, leaseTakeovers

	waits singleflight.Group // one wait per key for another instance's answer
}

// Backoff of leaseGate.await between two looks at the backend.
const (
	leasePollMin = 10 * time.Millisecond
	leasePollMax = 250 * time.Millisecond
)

func nop() {}

// forMiss takes key's lease for a miss at dataset version ver. It returns
// the lease's release when the caller must compute (it holds the lease, or
// the Leaser failed and release is a no-op), or the answer another
// instance stored, marked COALESCED, when that instance held the lease.
func (g *leaseGate) forMiss(ctx context.Context, key string, ver int64) (release func(), res *quant.Result, err error) {
	if g == nil {
		return nop, nil, nil
	}
	for {
		release, ok, err := g.lease.TryLease(ctx, key, g.ttl)
		if err != nil {
			g.stats.backendErrors.Add(1)
			return nop, nil, nil
		}
		if ok {
			// The answer may have been stored between our miss and the
			// lease (its holder released it just before): look again.
			if e, err := g.c.Get(ctx, key); err == nil && entryAt(e, ver) {
				release()
				return nil, served(e, quant.CacheCoalesced), nil
			}
			return release, nil, nil
		}
		g.stats.leaseWaits.Add(1)
		ch := g.waits.DoChan(key, func() (any, error) { return g.await(context.WithoutCancel(ctx), key, ver) })
		select {
		case r := <-ch:
			if r.Err == nil {
				return nil, r.Val.(*quant.Result).WithStatus(quant.CacheCoalesced), nil
			}
			if !errors.Is(r.Err, errLeaseGone) {
				return nop, nil, nil // the backend failed: compute here
			}
			// The holder died: try to take the lease over.
			g.stats.leaseTakeovers.Add(1)
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// forRefresh takes key's lease for a refresh. It returns the lease's
// release (a no-op when the Leaser failed: refresh here), or
// errRefreshElsewhere when another instance holds it.
func (g *leaseGate) forRefresh(ctx context.Context, key string) (release func(), err error) {
	if g == nil {
		return nop, nil
	}
	release, ok, err := g.lease.TryLease(ctx, key, g.ttl)
	switch {
	case err != nil:
		g.stats.backendErrors.Add(1) // no lease to be had: refresh here
		return nop, nil
	case !ok:
		return nil, errRefreshElsewhere
	}
	return release, nil
}

// await polls the backend for key's answer (at dataset version ver), with
// backoff from leasePollMin to leasePollMax, while the lease is held; it
// gives up after the gate's timeout. It returns errLeaseGone when the
// lease is released or expires without an answer.
func (g *leaseGate) await(ctx context.Context, key string, ver int64) (*quant.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	wait := leasePollMin
	for {
		if e, err := g.c.Get(ctx, key); err != nil {
			return nil, err
		} else if entryAt(e, ver) {
			return e.Result, nil
		}
		held, err := g.lease.Held(ctx, key)
		if err != nil {
			return nil, err
		}
		if !held {
			// Look once more: the holder stores before it releases.
			if e, err := g.c.Get(ctx, key); err == nil && entryAt(e, ver) {
				return e.Result, nil
			}
			return nil, errLeaseGone
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		wait = min(2*wait, leasePollMax)
	}
}
