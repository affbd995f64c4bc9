package guard_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/quantops/quant/internal/guard"
	"github.com/quantops/quant/internal/quant"
)

// A refusal says both that the service is unavailable (the server's 503)
// and which refusal it was.
func ExampleBulkhead_Acquire() {
	b := guard.NewBulkhead(guard.BulkheadConfig{Name: "ml", Capacity: 1})
	if _, err := b.Acquire(context.Background()); err != nil {
		panic(err)
	}
	defer b.Release()
	_, err := b.Acquire(context.Background())
	fmt.Println(errors.Is(err, quant.ErrUnavailable), errors.Is(err, guard.ErrQueueFull))
	// Output: true true
}

// OnTransition sees every change of state with the counts that caused it.
func ExampleBreakerConfig_onTransition() {
	b := guard.NewBreaker(guard.BreakerConfig{Name: "hmm", ConsecutiveFailures: 2, OnTransition: func(t guard.Transition) {
		fmt.Printf("%s: %s -> %s (%s; %d of %d calls failed)\n", t.Breaker, t.From, t.To, t.Reason, t.Counts.Failures, t.Counts.Calls)
	}})
	for range 2 {
		ticket, _ := b.Allow()
		b.Record(ticket, guard.Failure, 0)
	}
	_, err := b.Allow()
	fmt.Println(errors.Is(err, guard.ErrOpen))
	// Output:
	// hmm: closed -> open (2 consecutive failures; 2 of 2 calls failed)
	// true
}
