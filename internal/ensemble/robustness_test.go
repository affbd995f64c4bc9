package ensemble

import (
	"math"
	"strings"
	"testing"
)

// A worker's panic reaches Wait's caller, after every worker ended.
func TestWorkGroupPanicReachesWait(t *testing.T) {
	var w workGroup
	done := make(chan struct{})
	w.Go(func() { panic("bug in a worker") })
	w.Go(func() { close(done) })
	defer func() {
		v := recover()
		if s, ok := v.(string); !ok || !strings.Contains(s, "bug in a worker") {
			t.Errorf("Wait panicked with %v, want the worker's panic", v)
		}
		select {
		case <-done:
		default:
			t.Error("Wait returned before every worker ended")
		}
	}()
	w.Wait()
	t.Error("Wait returned without panicking")
}

// Infinite values are left out of a ranking like NaN ones, rather than
// making it index out of range.
func TestRankTiesSkipsInfinities(t *testing.T) {
	got := rankTies([]float64{1, math.Inf(1), 3, math.NaN(), math.Inf(-1)}, func(v float64) float64 { return v }, true, 0, 0,
		func(a, b float64) bool { return a < b }, -1)
	if len(got) != 2 || got[0] != 3 || got[1] != 1 {
		t.Errorf("rankTies = %v, want [3 1]", got)
	}
}
