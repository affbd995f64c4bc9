package ensemble

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// workGroup is a sync.WaitGroup whose goroutines' panics are raised again
// by Wait, on the caller's goroutine: there the guard's recover turns a
// bug in an analysis into one failed request, where a panic on a
// goroutine of its own would end the process.
type workGroup struct {
	wg       sync.WaitGroup
	mu       sync.Mutex
	panicked any    // the first panic; guarded by mu
	stack    []byte // its stack; guarded by mu
}

// Go runs f on a goroutine of its own.
func (w *workGroup) Go(f func()) {
	w.wg.Go(func() {
		defer func() {
			if v := recover(); v != nil {
				w.mu.Lock()
				if w.panicked == nil {
					w.panicked, w.stack = v, debug.Stack()
				}
				w.mu.Unlock()
			}
		}()
		f()
	})
}

// Wait waits for every goroutine and then panics with the first panic
// one of them had, if any.
func (w *workGroup) Wait() {
	w.wg.Wait()
	if w.panicked != nil {
		panic(fmt.Sprintf("%v (on a worker goroutine)\n%s", w.panicked, w.stack))
	}
}
