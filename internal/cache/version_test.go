package cache

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestVersionMemo(t *testing.T) {
	const refresh = time.Second
	type step struct {
		advance   time.Duration
		want      int64 // 0: no version
		wantCalls int   // Versioner calls so far
		wantErrs  int64 // failed reads so far
	}
	tests := []struct {
		name    string
		refresh time.Duration
		answers []verAnswer
		steps   []step
	}{
		{"first read, then reused within refresh", refresh, []verAnswer{{v: 4}},
			[]step{{0, 4, 1, 0}, {0, 4, 1, 0}, {refresh - 1, 4, 1, 0}}},
		{"read again after refresh", refresh, []verAnswer{{v: 4}, {v: 5}},
			[]step{{0, 4, 1, 0}, {refresh, 5, 2, 0}}},
		{"a version may go down", refresh, []verAnswer{{v: 5}, {v: 4}},
			[]step{{0, 5, 1, 0}, {refresh, 4, 2, 0}}},
		{"failure keeps the last good version and waits refresh", refresh,
			[]verAnswer{{v: 4}, {err: errX}, {v: 6}},
			[]step{{0, 4, 1, 0}, {refresh, 4, 2, 1}, {refresh - 1, 4, 2, 1}, {1, 6, 3, 1}}},
		{"no version until a read succeeds", refresh, []verAnswer{{err: errX}, {err: errX}, {v: 7}},
			[]step{{0, 0, 1, 1}, {0, 0, 2, 2}, {0, 7, 3, 2}}},
		{"refresh 0 reads every time", 0, []verAnswer{{v: 1}, {v: 2}, {v: 3}},
			[]step{{0, 1, 1, 0}, {0, 2, 2, 0}, {0, 3, 3, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &stepVersions{answers: tt.answers}
			var errs atomic.Int64
			m := &versionMemo{src: src, refresh: tt.refresh, timeout: time.Second, errs: &errs}
			now := t0
			for i, s := range tt.steps {
				now = now.Add(s.advance)
				st := m.get(context.Background(), now)
				got := int64(0)
				if st != nil {
					got = st.v
					if k := st.key(q1); k != Key(st.v, q1) {
						t.Errorf("step %d: key = %q, want Key(%d, q) = %q", i, k, st.v, Key(st.v, q1))
					}
				}
				if got != s.want || src.calls != s.wantCalls || errs.Load() != s.wantErrs {
					t.Errorf("step %d: get = %d after %d calls, %d errors; want %d after %d calls, %d errors",
						i, got, src.calls, errs.Load(), s.want, s.wantCalls, s.wantErrs)
				}
			}
		})
	}
}

// A caller that has left does not cut the read short: it is detached.
func TestVersionMemoReadDetached(t *testing.T) {
	var errs atomic.Int64
	m := &versionMemo{src: ctxVersioner{}, refresh: time.Second, timeout: time.Second, errs: &errs}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if st := m.get(ctx, t0); st == nil || st.v != 9 || errs.Load() != 0 {
		t.Errorf("get(cancelled ctx) = %+v with %d errors, want version 9, no error", st, errs.Load())
	}
}

// ctxVersioner answers 9 unless its context is done.
type ctxVersioner struct{}

func (ctxVersioner) DatasetVersion(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return 9, nil
}
