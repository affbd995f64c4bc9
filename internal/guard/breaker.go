package guard

import (
	"fmt"
	"sync"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// State is a breaker's state.
type State string

// The breaker states.
const (
	StateClosed   State = "closed"    // calls pass; outcomes are counted
	StateOpen     State = "open"      // calls are refused until the open period ends
	StateHalfOpen State = "half_open" // a few probe calls test whether the analysis recovered
)

// Mode says who decides a breaker's state.
type Mode string

// The modes. An operator's forced mode is sticky until its expiry.
const (
	ModeAuto         Mode = "auto"
	ModeForcedOpen   Mode = "forced_open"
	ModeForcedClosed Mode = "forced_closed"
)

// Outcome is how a guarded call ended, for the breaker.
type Outcome int

// The outcomes. Ignored covers cancellations and the caller's own errors
// (bad parameters, unknown or ineligible politicians): they say nothing
// about the analysis' health.
const (
	Success Outcome = iota
	Failure
	Ignored
)

// BreakerConfig configures a Breaker. Zero fields take the defaults named.
type BreakerConfig struct {
	Name string
	// ConsecutiveFailures trips the breaker (default 5).
	ConsecutiveFailures int
	// Window is how many recent calls the rates are computed over
	// (default 20); MinCalls is how many it must hold before a rate can
	// trip the breaker (default 10).
	Window, MinCalls int
	// FailureRate trips the breaker when the window's failures reach this
	// share (default 0.5).
	FailureRate float64
	// SlowCall marks a call slow (default 30 s); SlowRate trips the breaker
	// when the window's slow calls reach this share (default 0.8).
	SlowCall time.Duration
	SlowRate float64
	// OpenFor is how long the breaker stays open before probing (default 60 s).
	OpenFor time.Duration
	// HalfOpenProbes is how many probe calls may run at once while half
	// open (default 1). One probe's success closes the breaker; a failure
	// opens it again.
	HalfOpenProbes int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OnTransition, when set, is called with every change of state, in
	// order, with the breaker's lock held: it must return quickly and must
	// not call the Breaker's methods. (cmd/quant logs each one.)
	OnTransition func(Transition)
}

func (c *BreakerConfig) setDefaults() {
	if c.ConsecutiveFailures <= 0 {
		c.ConsecutiveFailures = 5
	}
	if c.Window <= 0 {
		c.Window = 20
	}
	if c.MinCalls <= 0 {
		c.MinCalls = 10
	}
	c.MinCalls = min(c.MinCalls, c.Window)
	if c.FailureRate <= 0 {
		c.FailureRate = 0.5
	}
	if c.SlowCall <= 0 {
		c.SlowCall = 30 * time.Second
	}
	if c.SlowRate <= 0 {
		c.SlowRate = 0.8
	}
	if c.OpenFor <= 0 {
		c.OpenFor = 60 * time.Second
	}
	if c.HalfOpenProbes <= 0 {
		c.HalfOpenProbes = 1
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Counts are the figures of a breaker's sliding window: the calls it
// holds (successes and failures; ignored outcomes are not in it), its
// failures and slow calls, and the failures in a row.
type Counts struct {
	Calls               int
	Failures            int
	Slow                int
	ConsecutiveFailures int
}

// Successes returns the calls of the window that did not fail.
func (c Counts) Successes() int { return c.Calls - c.Failures }

// FailureRate returns the window's share of failures (0 for no calls).
func (c Counts) FailureRate() float64 {
	if c.Calls == 0 {
		return 0
	}
	return float64(c.Failures) / float64(c.Calls)
}

// Transition is one change of a breaker's state, with the counts of the
// window that caused it (kept, unlike gobreaker's, which clears them
// first). A half-open probe's outcome is in the counts of the transition
// it causes.
type Transition struct {
	Breaker string // the breaker's name
	From    State
	To      State
	// At is when the state changed: for an open period or an override
	// running out, when it ran out (the breaker notices at its next use).
	At     time.Time
	Reason string // what caused it, in words: "5 consecutive failures"
	Counts Counts
	// Override is the operator's action when Force made the change (its
	// Mode is ModeAuto when the operator returned the breaker to
	// automatic operation); nil for the breaker's own changes.
	Override *Override
}

// Override is an operator's forced mode.
type Override struct {
	Mode   Mode
	Reason string
	Since  time.Time
	Until  time.Time // zero: until set back to auto
}

// Breaker is a circuit breaker with sticky operator overrides. It is
// written here rather than taken from sony/gobreaker or failsafe-go: neither
// can force a state that stays until an expiry (gobreaker has no manual
// trip; failsafe-go's manual open half-opens after the delay), gobreaker
// clears the counts before reporting a change, and neither trips on a slow
// call rate and a failure rate over one window at once.
//
// The zero Breaker is a closed breaker in auto mode with the defaults of
// BreakerConfig and no name; NewBreaker names and configures one.
type Breaker struct {
	cfg BreakerConfig

	mu          sync.Mutex
	state       State       // guarded by mu
	gen         uint64      // guarded by mu; bumps on every transition
	openedAt    time.Time   // guarded by mu
	ring        []uint8     // guarded by mu; outcome bits of the last Window calls
	next        int         // guarded by mu; ring write position
	filled      int         // guarded by mu
	consecutive int         // guarded by mu
	probes      int         // guarded by mu; half-open probes running
	override    *Override   // guarded by mu; nil in auto mode
	last        *Transition // guarded by mu
	transitions int64       // guarded by mu
	rejected    int64       // guarded by mu
}

const (
	bitFailure uint8 = 1 << iota
	bitSlow
)

// NewBreaker returns a closed Breaker in auto mode.
func NewBreaker(cfg BreakerConfig) *Breaker {
	b := &Breaker{cfg: cfg}
	b.initLocked()
	return b
}

// initLocked sets a Breaker up at its first use: the zero Breaker gets the
// defaults, NewBreaker's its configuration.
func (b *Breaker) initLocked() {
	if b.ring != nil {
		return
	}
	b.cfg.setDefaults()
	b.state = StateClosed
	b.ring = make([]uint8, b.cfg.Window)
}

// Ticket is a permission to call, returned by Allow and given to Record.
type Ticket struct {
	gen   uint64
	probe bool
}

// Allow reports whether a call may run now. A refusal is a
// *quant.UnavailableError whose Cause is ErrOpen, ErrForcedOpen or
// ErrProbing and whose RetryAfter is the time until the breaker probes
// again (or an operator's override expires).
func (b *Breaker) Allow() (Ticket, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.admitLocked(true)
}

// refuse returns the error Allow would refuse a call with now, or nil,
// without taking a half-open probe: the guard asks it before a call
// queues, so an open breaker refuses at once. (Asking for a ticket there
// and dropping it would leak a probe and keep the breaker half open.)
func (b *Breaker) refuse() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, err := b.admitLocked(false)
	return err
}

// admitLocked decides a call; take says whether a half-open probe is
// taken for it.
func (b *Breaker) admitLocked(take bool) (Ticket, error) {
	b.initLocked()
	now := b.cfg.Now()
	b.expire(now)
	if o := b.override; o != nil {
		if o.Mode == ModeForcedClosed {
			return Ticket{gen: b.gen}, nil
		}
		b.rejected++
		retry := b.cfg.OpenFor
		if !o.Until.IsZero() {
			retry = o.Until.Sub(now)
		}
		// The operator's reason is for operators (the snapshot), not clients.
		return Ticket{}, &quant.UnavailableError{Reason: fmt.Sprintf("breaker %s forced open by an operator", b.cfg.Name), RetryAfter: retry, Cause: ErrForcedOpen}
	}
	switch b.state {
	case StateOpen:
		b.rejected++
		return Ticket{}, &quant.UnavailableError{
			Reason:     fmt.Sprintf("breaker %s open", b.cfg.Name),
			RetryAfter: b.openedAt.Add(b.cfg.OpenFor).Sub(now),
			Cause:      ErrOpen,
		}
	case StateHalfOpen:
		if b.probes >= b.cfg.HalfOpenProbes {
			b.rejected++
			return Ticket{}, &quant.UnavailableError{Reason: fmt.Sprintf("breaker %s half open, probing", b.cfg.Name), RetryAfter: time.Second, Cause: ErrProbing}
		}
		if !take {
			return Ticket{}, nil
		}
		b.probes++
		return Ticket{gen: b.gen, probe: true}, nil
	}
	return Ticket{gen: b.gen}, nil
}

// Record reports how an allowed call ended and how long it took. Outcomes
// of calls allowed before the last transition are not counted.
func (b *Breaker) Record(t Ticket, o Outcome, elapsed time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.initLocked()
	now := b.cfg.Now()
	if t.gen != b.gen {
		return
	}
	if t.probe {
		b.probes--
		if o == Ignored {
			return
		}
		b.countLocked(o, elapsed) // the probe's outcome is what causes the transition
		if o == Success {
			b.transition(now, StateClosed, "half-open probe succeeded", nil)
		} else {
			b.transition(now, StateOpen, "half-open probe failed", nil)
		}
		return
	}
	if o == Ignored {
		return
	}
	b.countLocked(o, elapsed)
	if b.override != nil || b.state != StateClosed {
		return
	}
	c := b.countsLocked()
	switch {
	case c.ConsecutiveFailures >= b.cfg.ConsecutiveFailures:
		b.transition(now, StateOpen, fmt.Sprintf("%d consecutive failures", c.ConsecutiveFailures), nil)
	case c.Calls >= b.cfg.MinCalls && float64(c.Failures) >= b.cfg.FailureRate*float64(c.Calls):
		b.transition(now, StateOpen, fmt.Sprintf("failure rate %d/%d", c.Failures, c.Calls), nil)
	case c.Calls >= b.cfg.MinCalls && float64(c.Slow) >= b.cfg.SlowRate*float64(c.Calls):
		b.transition(now, StateOpen, fmt.Sprintf("slow calls %d/%d over %v", c.Slow, c.Calls, b.cfg.SlowCall), nil)
	}
}

// countLocked adds a call's outcome (a Success or a Failure) to the window.
func (b *Breaker) countLocked(o Outcome, elapsed time.Duration) {
	var bits uint8
	if o == Failure {
		bits |= bitFailure
		b.consecutive++
	} else {
		b.consecutive = 0
	}
	if elapsed >= b.cfg.SlowCall {
		bits |= bitSlow
	}
	b.ring[b.next] = bits
	b.next = (b.next + 1) % len(b.ring)
	b.filled = min(b.filled+1, len(b.ring))
}

// countsLocked sums the window.
func (b *Breaker) countsLocked() Counts {
	c := Counts{Calls: b.filled, ConsecutiveFailures: b.consecutive}
	for i := range b.filled {
		bits := b.ring[(b.next-1-i+2*len(b.ring))%len(b.ring)]
		if bits&bitFailure != 0 {
			c.Failures++
		}
		if bits&bitSlow != 0 {
			c.Slow++
		}
	}
	return c
}

// transition moves to state to at time at, keeping the counts that caused
// it, starts a new window and tells OnTransition. o is the operator's
// action when Force made the change.
func (b *Breaker) transition(at time.Time, to State, reason string, o *Override) {
	t := Transition{Breaker: b.cfg.Name, From: b.state, To: to, At: at, Reason: reason, Counts: b.countsLocked(), Override: o}
	b.last = &t
	b.transitions++
	b.state = to
	b.gen++
	b.probes = 0
	b.filled, b.next, b.consecutive = 0, 0, 0
	if to == StateOpen {
		b.openedAt = at
	}
	if b.cfg.OnTransition != nil {
		if o != nil {
			oc := *o
			t.Override = &oc
		}
		b.cfg.OnTransition(t)
	}
}

// expire ends an override past its expiry and half-opens an open breaker
// whose open period is over.
func (b *Breaker) expire(now time.Time) {
	if o := b.override; o != nil && !o.Until.IsZero() && !now.Before(o.Until) {
		b.override = nil
		b.transition(o.Until, StateClosed, "override "+string(o.Mode)+" expired", nil)
	}
	if end := b.openedAt.Add(b.cfg.OpenFor); b.override == nil && b.state == StateOpen && !now.Before(end) {
		b.transition(end, StateHalfOpen, "open period over", nil)
	}
}

// Force sets an operator's mode: ModeForcedOpen refuses every call,
// ModeForcedClosed lets every call through, ModeAuto returns to automatic
// operation from a closed state with a new window. A forced mode is sticky
// until until (zero: until the next Force).
func (b *Breaker) Force(mode Mode, reason string, until time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.initLocked()
	now := b.cfg.Now()
	switch mode {
	case ModeAuto:
		b.override = nil
		b.transition(now, StateClosed, "operator: auto: "+reason, &Override{Mode: ModeAuto, Reason: reason, Since: now})
	case ModeForcedOpen, ModeForcedClosed:
		if !until.IsZero() && !until.After(now) {
			return quant.Invalid("until", "is not in the future")
		}
		b.override = &Override{Mode: mode, Reason: reason, Since: now, Until: until}
		to := StateOpen
		if mode == ModeForcedClosed {
			to = StateClosed
		}
		o := *b.override
		b.transition(now, to, "operator: "+string(mode)+": "+reason, &o)
	default:
		return quant.Invalid("mode", "must be open, close or auto, got %q", mode)
	}
	return nil
}

// BreakerStats is a breaker's live state.
type BreakerStats struct {
	Name     string
	State    State
	Mode     Mode
	Override *Override
	Counts   Counts // the current window
	// OpenUntil is when an open breaker half-opens (zero otherwise).
	OpenUntil      time.Time
	Rejected       int64
	Transitions    int64
	LastTransition *Transition
}

// Stats returns the breaker's live state.
func (b *Breaker) Stats() BreakerStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.initLocked()
	b.expire(b.cfg.Now())
	s := BreakerStats{
		Name: b.cfg.Name, State: b.state, Mode: ModeAuto, Counts: b.countsLocked(),
		Rejected: b.rejected, Transitions: b.transitions,
	}
	if b.override != nil {
		o := *b.override
		s.Override, s.Mode = &o, o.Mode
	}
	if b.state == StateOpen && b.override == nil {
		s.OpenUntil = b.openedAt.Add(b.cfg.OpenFor)
	}
	if b.last != nil {
		t := *b.last
		if t.Override != nil {
			o := *t.Override
			t.Override = &o
		}
		s.LastTransition = &t
	}
	return s
}
