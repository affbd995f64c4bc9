package guard

import "errors"

// The guard's refusals. Each is the Cause of the *quant.UnavailableError
// the guard returns, so both errors.Is(err, quant.ErrUnavailable) (the
// server's 503 with Retry-After) and errors.Is(err, guard.ErrQueueFull)
// (which refusal it was) hold.
var (
	// ErrQueueFull: every slot of the pool is busy and its queue is at its
	// bound (or it has no queue).
	ErrQueueFull = errors.New("guard: queue full")
	// ErrWaitTimeout: the call waited the pool's MaxWait without a slot.
	ErrWaitTimeout = errors.New("guard: queue wait timed out")
	// ErrOpen: the analysis' breaker is open after failures.
	ErrOpen = errors.New("guard: breaker open")
	// ErrForcedOpen: an operator forced the analysis' breaker open.
	ErrForcedOpen = errors.New("guard: breaker forced open")
	// ErrProbing: the breaker is half open and its probe calls are out;
	// the others are refused until a probe decides.
	ErrProbing = errors.New("guard: breaker half open, probing")
)
