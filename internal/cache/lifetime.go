package cache

import (
	"hash/fnv"
	"math"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// lifetime owns how long an answer lives: its jittered TTL, how long it
// may be served stale, the stale-while-revalidate window and XFetch's
// early refresh (see the package documentation's "Entry lifetime").
type lifetime struct {
	ttl      map[quant.Analysis]time.Duration // every analysis, defaults filled in
	jitter   float64                          // 0: exact TTLs
	maxStale time.Duration
	swr      float64        // the SWR window as a fraction of the TTL
	beta     float64        // XFetch's weight; 0: no early refresh
	rand     func() float64 // uniform in (0, 1]
}

// baseTTL returns an's TTL before jitter.
func (l *lifetime) baseTTL(an quant.Analysis) time.Duration {
	ttl, ok := l.ttl[an]
	if !ok {
		ttl = DefaultTTL(an)
	}
	return ttl
}

// ttlOf returns the jittered TTL of the answer of analysis an stored
// under key: the TTL scaled by a factor in [1-jitter, 1+jitter] derived
// from a hash of key, the same on every instance.
func (l *lifetime) ttlOf(an quant.Analysis, key string) time.Duration {
	ttl := l.baseTTL(an)
	if l.jitter == 0 {
		return ttl
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	u := float64(h.Sum64()>>11) / (1 << 53) // uniform in [0, 1)
	return time.Duration(float64(ttl) * (1 + l.jitter*(2*u-1)))
}

// entry returns the cache entry of res (an answer of analysis an) stored
// under key at now: fresh for its TTL, then stale for maxStale. The entry
// holds a copy of res without a status, carrying the entry's lifetime
// (Result.FreshUntil, RevalidateUntil, StaleUntil; the SWR window ends
// no later than StaleUntil).
func (l *lifetime) entry(an quant.Analysis, key string, res *quant.Result, now time.Time) *quant.CacheEntry {
	fresh := now.Add(l.ttlOf(an, key))
	stale := fresh.Add(l.maxStale)
	r := res.WithStatus("")
	r.FreshUntil, r.StaleUntil = fresh, stale
	r.RevalidateUntil = fresh.Add(l.swrWindow(an))
	if r.RevalidateUntil.After(stale) {
		r.RevalidateUntil = stale
	}
	return &quant.CacheEntry{Result: r, FreshUntil: fresh, StaleUntil: stale}
}

// swrWindow is how long past FreshUntil an answer of an is served STALE
// while it is refreshed in the background.
func (l *lifetime) swrWindow(an quant.Analysis) time.Duration {
	return time.Duration(l.swr * float64(l.baseTTL(an)))
}

// xfetch reports whether a fresh entry should be refreshed early:
// now - delta*beta*ln(rand()) >= FreshUntil with delta the entry's compute
// time.
//
// References:
//   - A. Vattani, F. Chierichetti, K. Lowenstein, "Optimal Probabilistic
//     Cache Stampede Prevention", PVLDB 8(8), 2015.
func (l *lifetime) xfetch(e *quant.CacheEntry, now time.Time) bool {
	delta := e.Result.ComputeTime
	if l.beta == 0 || delta <= 0 {
		return false
	}
	r := l.rand()
	if r <= 0 {
		return true // ln(0) = -Inf: refresh at once
	}
	gap := -float64(delta) * l.beta * math.Log(r) // >= 0 for r <= 1
	left := float64(e.FreshUntil.Sub(now))
	return gap >= left
}
