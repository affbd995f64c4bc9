package cache

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/quantops/quant/internal/quant"
)

// versionMemo owns the dataset version that keys carry. It reads the
// version from its Versioner at most once per refresh, by one caller while
// the others keep the previous value; the first callers, who have no
// previous value, share one read. A read runs detached from its caller
// (one that leaves must neither cut the read short for the others nor
// count a failure) within timeout. When a read fails the last good version
// is kept, stamped with the time of the failure so that the next read
// waits refresh, and the failure is counted in errs.
type versionMemo struct {
	src     Versioner
	refresh time.Duration // reuse a version this long; 0: read every time
	timeout time.Duration // bounds one read
	errs    *atomic.Int64 // failed reads

	cur   atomic.Pointer[versionState] // nil until a first good read
	busy  atomic.Bool                  // one caller re-reads the version at a time
	first singleflight.Group           // the first callers share the first read
}

// versionState is one memoized version.
type versionState struct {
	v      int64
	prefix string    // KeyPrefix + v + ":", the start of every key at v
	at     time.Time // when v was read or last confirmed
}

// key returns the cache key of q at this version; the same as Key(s.v, q).
func (s *versionState) key(q quant.Query) string { return s.prefix + q.Key() }

// stamped returns s confirmed at now, or a new state for v read at now.
func (s *versionState) stamped(v int64, now time.Time) *versionState {
	if s != nil && s.v == v {
		return &versionState{v: v, prefix: s.prefix, at: now}
	}
	return &versionState{v: v, prefix: KeyPrefix + strconv.FormatInt(v, 10) + ":", at: now}
}

// get returns the memoized version, reading it first when it is older than
// refresh; nil until a first read has succeeded.
func (m *versionMemo) get(ctx context.Context, now time.Time) *versionState {
	s := m.cur.Load()
	if s == nil {
		// No version yet: the first callers share one read.
		r, _, _ := m.first.Do("", func() (any, error) {
			st, _ := m.read(ctx, now)
			return st, nil
		})
		return r.(*versionState)
	}
	if now.Sub(s.at) < m.refresh {
		return s
	}
	if !m.busy.CompareAndSwap(false, true) {
		return s // another caller is re-reading it
	}
	defer m.busy.Store(false)
	st, _ := m.read(ctx, now)
	return st
}

// read reads the version now and memoizes it. On failure it keeps the last
// good version, stamped now, and returns it (nil if none) with the error.
func (m *versionMemo) read(ctx context.Context, now time.Time) (*versionState, error) {
	vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.timeout)
	v, err := m.src.DatasetVersion(vctx)
	cancel()
	last := m.cur.Load()
	if err != nil {
		m.errs.Add(1)
		if last != nil {
			last = last.stamped(last.v, now)
			m.cur.Store(last)
		}
		return last, err
	}
	st := last.stamped(v, now)
	m.cur.Store(st)
	return st, nil
}
