package tui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/quantops/quant/internal/burst"
	"github.com/quantops/quant/internal/monitor"
	"github.com/quantops/quant/internal/quant"
)

// Options configure the console.
type Options struct {
	// Source is the server the console watches and steers (required).
	Source monitor.Source
	// Refresh is the time between the end of one fetch and the start of
	// the next (default 1 s).
	Refresh time.Duration
	// ReadOnly refuses every action key (flush, breakers, bursts).
	ReadOnly bool
	// NoColor draws without colour or text attributes (NO_COLOR).
	NoColor bool
}

// DefaultRefresh is the refresh interval when Options.Refresh is 0.
const DefaultRefresh = time.Second

// Timeouts of the console's calls to its Source.
const (
	fetchTimeout  = 5 * time.Second
	actionTimeout = 10 * time.Second
	burstTick     = 250 * time.Millisecond
)

// burstSizes are the sizes + and - step through; b fires the selected one.
var burstSizes = []monitor.BurstSpec{
	{Requests: 10, Concurrency: 10}, {Requests: 50, Concurrency: 10}, {Requests: 100, Concurrency: 25},
	{Requests: 250, Concurrency: 50}, {Requests: 500, Concurrency: 100}, {Requests: 1000, Concurrency: 100},
	{Requests: 2000, Concurrency: 200}, {Requests: 5000, Concurrency: 250},
}

// bigBurst is what B fires.
var bigBurst = monitor.BurstSpec{Requests: 1000, Concurrency: 100}

// Model is the console's Bubble Tea model.
type Model struct {
	opts  Options
	ctx   context.Context
	now   func() time.Time                     // the clock of stale ages and burst progress
	loc   *time.Location                       // the zone clock times are shown in
	after func(time.Duration, tea.Msg) tea.Cmd // schedules a message (tea.Tick)
	keys  keyMap
	help  help.Model
	st    styles

	width, height int

	snap    *quant.Snapshot // the last good snapshot (nil: none yet)
	hist    *monitor.History
	okAt    time.Time // when snap arrived
	err     error     // the last fetch's error; nil after a good one
	errAt   time.Time
	fails   int // consecutive failed fetches
	fetches int

	fetching bool // a fetch is in flight
	tickGen  int  // only the refresh tick of this generation fetches
	paused   bool

	selected int // index into snap.Breakers
	confirm  *action
	status   string // the outcome of the last action
	showHelp bool

	size     int // index into burstSizes
	analysis string
	run      *burstRun     // the running burst (nil: none)
	last     *burst.Report // the last finished burst
	lastSpec monitor.BurstSpec
	lastErr  error
}

// action is an operator's action awaiting y/N.
type action struct {
	kind   string // flush, open, close, auto, burst
	target string // the breaker's name
	spec   monitor.BurstSpec
	prompt string
}

// burstRun is a burst in progress; its figures are updated from the
// burst's goroutine.
type burstRun struct {
	spec    monitor.BurstSpec
	started time.Time
	cancel  context.CancelFunc

	mu                       sync.Mutex // guards the counts
	done, ok, refused, other int
	hits                     int
}

func (r *burstRun) add(res burst.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	switch res.Kind {
	case "ok":
		r.ok++
	case "503":
		r.refused++
	default:
		r.other++
	}
	if res.Cache == "HIT" || res.Cache == "STALE" {
		r.hits++
	}
}

func (r *burstRun) counts() (done, ok, refused, other, hits int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done, r.ok, r.refused, r.other, r.hits
}

// Messages.
type (
	fetchMsg struct {
		snap *quant.Snapshot
		err  error
	}
	tickMsg       struct{ gen int }
	actionDoneMsg struct {
		what string
		err  error
	}
	burstTickMsg struct{ run *burstRun }
	burstDoneMsg struct {
		run *burstRun
		rep *burst.Report
		err error
	}
)

// NewModel returns the console's model over opts.Source. Run starts it;
// tests drive its Update and View directly.
func NewModel(opts Options) Model {
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultRefresh
	}
	h := help.New()
	st := newStyles(opts.NoColor)
	h.Styles = st.help
	return Model{
		opts:     opts,
		ctx:      context.Background(),
		now:      time.Now,
		loc:      time.Local,
		after:    func(d time.Duration, msg tea.Msg) tea.Cmd { return tea.Tick(d, func(time.Time) tea.Msg { return msg }) },
		keys:     newKeyMap(opts.ReadOnly),
		help:     h,
		st:       st,
		hist:     monitor.NewHistory(0),
		analysis: string(quant.AnalysisEnsemble),
		fetching: true, // Init's fetch
	}
}

// Init implements tea.Model: the first fetch (NewModel marks it in
// flight).
func (m Model) Init() tea.Cmd {
	return m.fetch()
}

// fetch returns the command that reads a snapshot.
func (m Model) fetch() tea.Cmd {
	src, ctx := m.opts.Source, m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		defer cancel()
		s, err := src.Snapshot(ctx)
		return fetchMsg{snap: s, err: err}
	}
}

// fetchNow starts a fetch at once (the caller sets fetching).
func (m *Model) fetchNow() tea.Cmd {
	m.fetching = true
	m.tickGen++ // a tick armed before now must not fetch again
	return m.fetch()
}

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case fetchMsg:
		return m.onFetch(msg)
	case tickMsg:
		if msg.gen != m.tickGen || m.paused || m.fetching {
			return m, nil
		}
		return m, m.fetchNow()
	case actionDoneMsg:
		var ns *quant.NotSharedError
		switch {
		case errors.As(msg.err, &ns):
			// Done on this instance only: a warning, not a failure.
			m.status = "⚠ " + msg.what + " here only, not shared: " + ns.What
		case msg.err != nil:
			m.status = "✗ " + msg.what + ": " + msg.err.Error()
		default:
			m.status = "✓ " + msg.what
		}
		if !m.fetching && !m.paused {
			return m, m.fetchNow()
		}
		return m, nil
	case burstTickMsg:
		if msg.run != m.run || m.run == nil {
			return m, nil
		}
		return m, m.after(burstTick, burstTickMsg{run: msg.run})
	case burstDoneMsg:
		if msg.run != m.run {
			return m, nil
		}
		m.run.cancel()
		m.run = nil
		m.lastSpec = msg.run.spec
		m.last, m.lastErr = msg.rep, msg.err
		if msg.err != nil {
			m.status = "✗ burst: " + msg.err.Error()
		} else {
			m.status = fmt.Sprintf("✓ burst of %d done", msg.run.spec.Requests)
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.onKey(msg)
	}
	return m, nil
}

func (m Model) onFetch(msg fetchMsg) (tea.Model, tea.Cmd) {
	m.fetching = false
	m.fetches++
	if msg.err != nil || msg.snap == nil {
		m.err = msg.err
		if m.err == nil {
			m.err = fmt.Errorf("tui: empty snapshot")
		}
		m.errAt = m.now()
		m.fails++
	} else {
		m.snap, m.err, m.fails, m.okAt = msg.snap, nil, 0, m.now()
		m.hist.Add(msg.snap)
		m.selected = min(max(m.selected, 0), max(len(msg.snap.Breakers)-1, 0))
	}
	if m.paused {
		return m, nil
	}
	m.tickGen++
	return m, m.after(m.opts.Refresh, tickMsg{gen: m.tickGen})
}

func (m Model) onKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.confirm != nil {
		a := m.confirm
		m.confirm = nil
		switch {
		case keyIs(msg, k.Abort):
			return m.quit()
		case keyIs(msg, k.Yes):
			return m.do(a)
		}
		m.status = "canceled: " + a.prompt
		return m, nil
	}
	if m.showHelp {
		m.showHelp = false
		if keyIs(msg, k.Quit) {
			return m.quit()
		}
		return m, nil
	}
	switch {
	case keyIs(msg, k.Quit):
		return m.quit()
	case keyIs(msg, k.Help):
		m.showHelp = true
	case keyIs(msg, k.Up):
		m.selected = max(m.selected-1, 0)
	case keyIs(msg, k.Down):
		if m.snap != nil {
			m.selected = min(m.selected+1, max(len(m.snap.Breakers)-1, 0))
		}
	case keyIs(msg, k.Pause):
		m.paused = !m.paused
		if m.paused {
			m.status = "refresh paused (p resumes)"
			return m, nil
		}
		m.status = "refresh resumed"
		if !m.fetching {
			return m, m.fetchNow()
		}
	case keyIs(msg, k.More):
		m.size = min(m.size+1, len(burstSizes)-1)
		m.status = "burst size: " + m.spec(burstSizes[m.size]).String()
	case keyIs(msg, k.Less):
		m.size = max(m.size-1, 0)
		m.status = "burst size: " + m.spec(burstSizes[m.size]).String()
	case keyIs(msg, k.Flush, k.Trip, k.Reset, k.Close, k.Burst, k.BigBurst):
		return m.ask(msg)
	}
	return m, nil
}

func keyIs(msg tea.KeyPressMsg, b ...key.Binding) bool { return key.Matches(msg, b...) }

func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.run != nil {
		m.run.cancel()
	}
	return m, tea.Quit
}

// spec fills in the console's analysis.
func (m Model) spec(s monitor.BurstSpec) specText {
	s.Analysis = m.analysis
	return specText(s)
}

// specText prints a burst spec.
type specText monitor.BurstSpec

func (s specText) String() string {
	return fmt.Sprintf("%d %s requests at concurrency %d", s.Requests, s.Analysis, s.Concurrency)
}

// ask turns an action key into a y/N question naming its target, or
// refuses it in a read-only console.
func (m Model) ask(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.opts.ReadOnly {
		m.status = "read-only console: " + actionName(msg.String()) + " is disabled (started with --readonly)"
		return m, nil
	}
	var a action
	switch {
	case keyIs(msg, k.Flush):
		what := m.opts.Source.Name()
		if m.snap != nil && m.snap.Cache.Backend != "" {
			what += fmt.Sprintf(" (%s, %d entries)", m.snap.Cache.Backend, m.snap.Cache.Entries)
		}
		a = action{kind: "flush", prompt: "flush the answer cache of " + what}
	case keyIs(msg, k.Trip, k.Reset, k.Close):
		b := m.selectedBreaker()
		if b == nil {
			m.status = "no breaker to " + actionName(msg.String()) + " (no snapshot yet)"
			return m, nil
		}
		switch {
		case keyIs(msg, k.Trip):
			a = action{kind: "open", target: b.Name, prompt: fmt.Sprintf("force breaker %q OPEN (its requests get 503 or STALE)", b.Name)}
		case keyIs(msg, k.Reset):
			a = action{kind: "auto", target: b.Name, prompt: fmt.Sprintf("return breaker %q to automatic", b.Name)}
		default:
			a = action{kind: "close", target: b.Name, prompt: fmt.Sprintf("force breaker %q CLOSED (no protection)", b.Name)}
		}
	case keyIs(msg, k.Burst, k.BigBurst):
		if m.run != nil {
			done, _, _, _, _ := m.run.counts()
			m.status = fmt.Sprintf("a burst is running (%d of %d)", done, m.run.spec.Requests)
			return m, nil
		}
		s := burstSizes[m.size]
		if keyIs(msg, k.BigBurst) {
			s = bigBurst
		}
		s.Analysis = m.analysis
		target := m.opts.Source.Name()
		if bt, ok := m.opts.Source.(interface{ BurstTarget() string }); ok {
			target = bt.BurstTarget() // the API the burst goes to, not the admin API watched
		}
		a = action{kind: "burst", spec: s, prompt: "fire a burst of " + specText(s).String() + " at " + target}
	}
	m.confirm = &a
	m.status = ""
	return m, nil
}

func actionName(k string) string {
	switch k {
	case "f":
		return "flush"
	case "t":
		return "trip"
	case "r":
		return "reset"
	case "c":
		return "force closed"
	}
	return "burst"
}

func (m Model) selectedBreaker() *quant.BreakerSnapshot {
	if m.snap == nil || len(m.snap.Breakers) == 0 {
		return nil
	}
	return &m.snap.Breakers[min(max(m.selected, 0), len(m.snap.Breakers)-1)]
}

// do carries out a confirmed action.
func (m Model) do(a *action) (tea.Model, tea.Cmd) {
	src, ctx := m.opts.Source, m.ctx
	switch a.kind {
	case "flush":
		m.status = "flushing the cache…"
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, actionTimeout)
			defer cancel()
			return actionDoneMsg{what: "cache flushed", err: src.FlushCache(ctx)}
		}
	case "open", "close", "auto":
		verb := map[string]string{"open": "forced open", "close": "forced closed", "auto": "returned to auto"}[a.kind]
		m.status = "breaker " + a.target + ": " + verb + "…"
		name, kind := a.target, a.kind
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, actionTimeout)
			defer cancel()
			reason := ""
			if kind != "auto" {
				reason = "operator console"
			}
			return actionDoneMsg{what: "breaker " + name + " " + verb, err: src.SetBreaker(ctx, name, kind, reason, time.Time{})}
		}
	case "burst":
		ctx, cancel := context.WithCancel(ctx)
		run := &burstRun{spec: a.spec, started: m.now(), cancel: cancel}
		m.run = run
		m.status = "burst: " + specText(a.spec).String()
		return m, tea.Batch(
			func() tea.Msg {
				rep, err := src.Burst(ctx, run.spec, run.add)
				return burstDoneMsg{run: run, rep: rep, err: err}
			},
			m.after(burstTick, burstTickMsg{run: run}),
		)
	}
	return m, nil
}
