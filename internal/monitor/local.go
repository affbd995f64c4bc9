package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/guard"
	"github.com/quantops/quant/internal/quant"
)

var _ quant.Controller = (*Local)(nil)

// Local is the quant.Controller of this process. Guard and Cache may be
// nil (an unprotected server): their parts of the snapshot
// stay empty and the actions on them report that they are absent.
type Local struct {
	// ID names this process among the instances (cmd/quant makes it once
	// at start): the snapshot's instance, its status in the Cluster and
	// the origin of the actions it publishes, by which Apply knows its
	// own. Set it with a Bus or a Cluster: if empty, Apply cannot tell
	// this process's actions from the others'.
	ID        string
	Version   string
	Addr      string
	StartedAt time.Time
	Store     quant.Store
	Guard     *guard.Guard
	Cache     *cache.Analyzer
	// Requests returns the API's traffic figures (nil: none).
	Requests func() quant.RequestsSnapshot
	// PingTimeout bounds the store check of a snapshot (default 500 ms).
	PingTimeout time.Duration
	// Bus, when set, shares operators' actions with the other instances:
	// an override or a flush made here is published, and Apply carries out
	// the others'. Breaker counts stay local.
	Bus quant.ControlBus
	// Logger reports actions received from other instances (nil: none).
	Logger *slog.Logger
	// Cluster, when set, is where this instance announces itself
	// (Heartbeat) and reads the others for Snapshot.Cluster.
	Cluster quant.ClusterRegistry
	// Jobs returns the jobs figures (nil: none).
	Jobs func(ctx context.Context) *quant.JobsSnapshot
	// Limits returns the process-level limits' figures (nil: none).
	Limits func() quant.LimitsSnapshot

	// mu serializes breaker actions, made here or received, with latest.
	mu sync.Mutex
	// latest is, per breaker, the time of the newest action carried out
	// here (made here or received): an older one arriving later (a replay
	// of the records that read them just before an operator's change) is
	// stale and skipped. The times are the origins' clocks: instances whose
	// clocks disagree by more than the time between two operators' actions
	// on one breaker may order those two differently.
	latest map[string]time.Time
}

// Heartbeat announces this instance's status to the Cluster every period
// until ctx is done, then removes it (the others stop counting this
// instance at once rather than when its status ages out).
func (l *Local) Heartbeat(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s := quant.InstanceStatus{ID: l.ID, Addr: l.Addr, Version: l.Version, StartedAt: l.StartedAt, SeenAt: time.Now().UTC()}
		if l.Cache != nil {
			s = announced(s, l.Cache.Stats())
		}
		if l.Requests != nil {
			s.Requests = l.Requests().Total
		}
		actx, cancel := context.WithTimeout(ctx, every)
		l.Cluster.Announce(actx, s) // Redis down: the others see this instance age out
		cancel()
		select {
		case <-ctx.Done():
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			l.Cluster.Leave(lctx, s.ID)
			cancel()
			return
		case <-t.C:
		}
	}
}

// cluster reads the deployment's figures from the Cluster, or nil.
func (l *Local) cluster(ctx context.Context) *quant.ClusterSnapshot {
	if l.Cluster == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	ins, err := l.Cluster.Instances(ctx)
	if err != nil {
		return nil
	}
	c := clusterSnapshot(ins)
	if ov, err := l.Cluster.RecordedOverrides(ctx); err == nil {
		c.Overrides = ov
	}
	return c
}

// Snapshot implements quant.Controller.
func (l *Local) Snapshot(ctx context.Context) (*quant.Snapshot, error) {
	s := &quant.Snapshot{
		Instance: quant.InstanceInfo{ID: l.ID, Version: l.Version, StartedAt: l.StartedAt, Now: time.Now().UTC(), Addr: l.Addr},
	}
	timeout := l.PingTimeout
	if timeout <= 0 {
		timeout = 500 * time.Millisecond
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	reachable := l.Store.Ping(pctx) == nil
	if reachable {
		s.DatasetVersion, _ = l.Store.DatasetVersion(pctx)
	}
	cancel()
	s.Store = storeSnapshot(l.Store.Stats(), reachable)
	if l.Guard != nil {
		st := l.Guard.Stats()
		for _, p := range st.Pools {
			s.Pools = append(s.Pools, poolSnapshot(p, l.Guard.Analyses(p.Name)))
		}
		for _, b := range st.Breakers {
			s.Breakers = append(s.Breakers, breakerSnapshot(b))
		}
		for _, c := range st.Computes {
			s.Computes = append(s.Computes, computeSnapshot(c))
		}
	}
	if l.Cache != nil {
		cs := l.Cache.Stats()
		s.Cache, s.Coalescing = cacheSnapshot(cs), coalescing(cs)
	}
	if l.Requests != nil {
		s.Requests = l.Requests()
	}
	if l.Jobs != nil {
		s.Jobs = l.Jobs(ctx)
	}
	if l.Limits != nil {
		lim := l.Limits()
		s.Limits = &lim
	}
	s.Cluster = l.cluster(ctx)
	return s, nil
}

// FlushCache implements quant.Controller; with a Bus, every instance
// removes what sel selects. Flushed here but not on the shared level or
// not on the other instances (Redis down), it is a *quant.NotSharedError
// saying which, with what was removed; not flushed at all, a
// *quant.UnavailableError.
func (l *Local) FlushCache(ctx context.Context, sel quant.CacheSelection, reason string) (quant.Flushed, error) {
	if l.Cache == nil {
		return quant.Flushed{}, fmt.Errorf("monitor: this server runs without a cache: %w", quant.ErrNotFound)
	}
	f, err := l.Cache.Flush(ctx, sel)
	var level *quant.NotSharedError
	if err != nil && !errors.As(err, &level) {
		return f, &quant.UnavailableError{Reason: "the answer cache did not answer; nothing was flushed", RetryAfter: time.Second, Cause: err}
	}
	e := quant.ControlEvent{Kind: "flush", Analysis: sel.Analysis, ID: sel.ID, Reason: reason}
	bus := l.publish(ctx, e, "the other instances were not told to flush what they hold")
	switch {
	case level == nil && bus == nil:
		return f, nil
	case level == nil:
		return f, bus
	case bus == nil:
		return f, level
	}
	return f, &quant.NotSharedError{What: level.What + "; " + bus.What, Cause: errors.Join(level.Cause, bus.Cause)}
}

// publish shares an action carried out here with the other instances. If
// the bus fails, the answer is a *quant.NotSharedError saying, in what,
// what did not reach them; nil when published or when there is no bus.
func (l *Local) publish(ctx context.Context, e quant.ControlEvent, what string) *quant.NotSharedError {
	if l.Bus == nil {
		return nil
	}
	e.Origin = l.ID
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	if err := l.Bus.Publish(ctx, e); err != nil {
		return &quant.NotSharedError{What: what, Cause: fmt.Errorf("monitor: done on this instance, not shared with the others: %w", err)}
	}
	return nil
}

// Apply carries out an action another instance published. Its own events,
// actions already in force and actions older than the latest carried out
// here (by the time their origin gave them) are skipped, so the periodic
// replays are harmless; only what changes something is logged.
func (l *Local) Apply(e quant.ControlEvent) {
	if l.ID != "" && e.Origin == l.ID {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		err     error
		changed bool
		removed int64 // a flush's entries removed here
	)
	switch e.Kind {
	case "flush":
		// The origin flushed the shared level: this instance drops only
		// what it holds itself.
		if l.Cache != nil {
			var f quant.Flushed
			f, err = l.Cache.FlushLocal(ctx, quant.CacheSelection{Analysis: e.Analysis, ID: e.ID})
			changed, removed = true, f.Memory
		}
	case "breaker":
		l.mu.Lock()
		if l.latest == nil {
			l.latest = map[string]time.Time{}
		}
		if e.At.Before(l.latest[e.Breaker]) {
			l.mu.Unlock()
			return
		}
		l.latest[e.Breaker] = e.At
		changed, err = l.setBreaker(e.Breaker, e.Action, e.Reason, e.Until, true)
		l.mu.Unlock()
	}
	if l.Logger != nil && (changed || err != nil) {
		attrs := []any{"kind", e.Kind, "origin", e.Origin, "reason", e.Reason}
		if e.Kind == "flush" {
			attrs = append(attrs, "analysis", e.Analysis, "id", e.ID, "removed", removed)
		} else {
			attrs = append(attrs, "breaker", e.Breaker, "action", e.Action)
		}
		l.Logger.Info("operator action from another instance", append(attrs, "err", err)...)
	}
}

// Breaker actions of SetBreaker.
var actions = map[string]guard.Mode{"open": guard.ModeForcedOpen, "close": guard.ModeForcedClosed, "auto": guard.ModeAuto}

// SetBreaker implements quant.Controller; with a Bus, every instance's
// breaker of that name follows. Set here but not published (Redis down),
// it is a *quant.NotSharedError.
func (l *Local) SetBreaker(ctx context.Context, name, action, reason string, until time.Time) error {
	l.mu.Lock()
	e := quant.ControlEvent{Kind: "breaker", Breaker: name, Action: action, Reason: reason, Until: until, At: time.Now().UTC()}
	_, err := l.setBreaker(name, action, reason, until, false)
	if err == nil {
		if l.latest == nil {
			l.latest = map[string]time.Time{}
		}
		l.latest[name] = e.At
	}
	l.mu.Unlock()
	if err != nil {
		return err
	}
	if ns := l.publish(ctx, e, "the other instances were not told, nor was the override recorded for instances starting later"); ns != nil {
		return ns
	}
	return nil
}

// setBreaker forces the named breaker and reports whether that changed
// its mode or override (with skipIfSame, the same again is skipped).
func (l *Local) setBreaker(name, action, reason string, until time.Time, skipIfSame bool) (bool, error) {
	mode, ok := actions[action]
	if !ok {
		return false, quant.Invalid("action", "must be open, close or auto, got %q", action)
	}
	if l.Guard == nil {
		return false, fmt.Errorf("monitor: this server runs without breakers: %w", quant.ErrNotFound)
	}
	b := l.Guard.Breaker(quant.Analysis(name))
	if b == nil {
		return false, fmt.Errorf("monitor: breaker %q (the analyses are %v): %w", name, quant.Analyses, quant.ErrNotFound)
	}
	if skipIfSame {
		st := b.Stats()
		if st.Mode == mode && (mode == guard.ModeAuto || st.Override != nil && st.Override.Reason == reason && st.Override.Until.Equal(until)) {
			return false, nil
		}
	}
	return true, b.Force(mode, reason, until)
}
