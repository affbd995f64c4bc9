package tui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/quantops/quant/internal/monitor"
	"github.com/quantops/quant/internal/quant"
)

// Fallback size before the terminal reports its own.
const (
	defaultWidth  = 80
	defaultHeight = 24
)

// View implements tea.Model.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "quant console"
	return v
}

// render draws the whole screen: exactly height lines of width cells.
func (m Model) render() string {
	w, h := m.width, m.height
	if w <= 0 {
		w = defaultWidth
	}
	if h <= 0 {
		h = defaultHeight
	}
	top := []string{m.header(w)}
	for _, b := range m.banner() {
		top = append(top, m.st.banner.Render(fit(b, w)))
	}
	m.help.SetWidth(w)
	bottom := []string{m.footer(), m.help.ShortHelpView(m.keys.ShortHelp())}
	bodyH := max(h-len(top)-len(bottom), 0)
	var body []string
	if m.showHelp {
		body = m.helpScreen(w)
	} else {
		body = m.body(w, bodyH)
	}
	lines := make([]string, 0, h)
	lines = append(lines, top...)
	for i := range bodyH {
		l := ""
		if i < len(body) {
			l = body[i]
		}
		lines = append(lines, l)
	}
	lines = append(lines, bottom...)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = fit(l, w)
	}
	return strings.Join(lines, "\n")
}

// fit truncates or pads s (which may hold ANSI) to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", max(w-ansi.StringWidth(s), 0))
}

func (m Model) header(w int) string {
	parts := []string{m.st.title.Render("quant console")}
	if m.paused {
		parts = append(parts, m.st.warn.Render("PAUSED"))
	}
	if m.opts.ReadOnly {
		parts = append(parts, m.st.warn.Render("READ-ONLY"))
	}
	parts = append(parts, m.opts.Source.Name())
	if s := m.snap; s != nil {
		id := s.Instance.ID
		if s.Instance.Version != "" {
			id += " " + s.Instance.Version
		}
		parts = append(parts, id, fmt.Sprintf("data v%d", s.DatasetVersion))
		if !s.Instance.StartedAt.IsZero() {
			parts = append(parts, "up "+fmtDur(s.Instance.Now.Sub(s.Instance.StartedAt)))
		}
		parts = append(parts, s.Instance.Now.In(m.loc).Format("15:04:05"))
	}
	parts = append(parts, "every "+fmtDur(m.opts.Refresh))
	// Leave out the instance's identity, then its uptime, when they do not fit.
	for _, drop := range []string{"up ", "box"} {
		if ansi.StringWidth(strings.Join(parts, " · ")) <= w {
			break
		}
		parts = slices.DeleteFunc(parts, func(p string) bool {
			return strings.HasPrefix(p, drop) || drop == "box" && m.snap != nil && strings.HasPrefix(p, m.snap.Instance.ID)
		})
	}
	return strings.Join(parts, " · ")
}

// banner is the stale-data warning (none when the data is fresh): what
// is shown and since when, then the error.
func (m Model) banner() []string {
	if m.err == nil {
		return nil
	}
	fails := "1 failed fetch"
	if m.fails > 1 {
		fails = fmt.Sprintf("%d failed fetches", m.fails)
	}
	retry := "retrying every " + fmtDur(m.opts.Refresh)
	if m.paused {
		retry = "paused"
	}
	last := " error: " + m.err.Error()
	if m.snap == nil {
		return []string{fmt.Sprintf(" NO DATA from %s · %s · %s", m.opts.Source.Name(), fails, retry), last}
	}
	return []string{fmt.Sprintf(" STALE: showing %s, %s old · %s · %s",
		m.snap.Instance.Now.In(m.loc).Format("15:04:05"), fmtDur(m.now().Sub(m.okAt)), fails, retry), last}
}

func (m Model) footer() string {
	if m.confirm != nil {
		return m.st.prompt.Render(upperFirst(m.confirm.prompt) + "? y/N")
	}
	return m.status
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (m Model) helpScreen(w int) []string {
	m.help.ShowAll = true
	lines := []string{m.st.title.Render("Keys"), ""}
	lines = append(lines, strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n")...)
	lines = append(lines, "",
		"f, t, r, c, b and B ask y/N first and name their target.",
		"t forces the selected breaker open: its requests get 503 or a STALE",
		"cached answer. c forces it closed; r returns it to automatic.",
		"b fires the burst size +/- select; B fires 1000 requests at 100.",
		"",
		m.st.title.Render("Breakers"),
		"● closed   ○ open   ◐ half_open   FORCED: an operator override",
		"half-open in 42s (◐ 42s when narrow): when an open breaker probes again;",
		"5/9 failed: failures/calls of the current window.",
		"",
		"The screen refreshes after each fetch returns; a failed fetch keeps",
		"the last data under a STALE banner and retries.",
		"",
		m.st.dim.Render("any key closes this help"))
	if m.opts.ReadOnly {
		lines = append(lines, "", m.st.warn.Render("read-only console: flush, breaker and burst keys are disabled (--readonly)"))
	}
	for i, l := range lines {
		lines[i] = " " + l
	}
	return lines
}

// panel is one box of the console.
type panel struct {
	title string
	lines []string
	focus int // the line to keep visible (-1: none)
}

func (m Model) body(w, h int) []string {
	if m.snap == nil {
		msg := "connecting to " + m.opts.Source.Name() + "…"
		if m.err != nil {
			msg = "no data yet: the source does not answer; retrying"
		}
		return []string{"", " " + msg}
	}
	boxed := w >= 100 && h >= 30
	if w < 60 {
		return m.column(m.fitting(w, h, boxed, true, true), w, h, boxed)
	}
	lw := (w - 1) / 2
	rw := w - 1 - lw
	left := m.column(m.fitting(lw, h, boxed, true, false), lw, h, boxed)
	right := m.column(m.fitting(rw, h, boxed, false, true), rw, h, boxed)
	out := make([]string, h)
	for i := range h {
		out[i] = fit(left[i], lw) + " " + right[i]
	}
	return out
}

// fitting returns a column's panels in full when they fit in h lines,
// else compact.
func (m Model) fitting(colW, h int, boxed, left, right bool) []panel {
	ps := m.panels(colW, boxed, left, right, false)
	over := 1
	if boxed {
		over = 2
	}
	need := 0
	for _, p := range ps {
		need += len(p.lines) + over
	}
	if need <= h {
		return ps
	}
	return m.panels(colW, boxed, left, right, true)
}

// panels returns the left column's panels (pools, breakers, cache), the
// right's (store, requests, burst), or both for a single column; compact
// ones put sparklines inline and leave out secondary lines.
func (m Model) panels(colW int, boxed, left, right, compact bool) []panel {
	iw := colW
	if boxed {
		iw = colW - 4
	}
	var ps []panel
	if left {
		ps = append(ps, m.poolsPanel(iw, compact), m.breakersPanel(iw), m.cachePanel(iw, compact))
	}
	if right {
		ps = append(ps, m.storePanel(iw), m.requestsPanel(iw, compact))
		if cp, ok := m.clusterPanel(); ok {
			ps = append(ps, cp)
		}
		ps = append(ps, m.burstPanel(iw))
	}
	return ps
}

// column stacks panels into h lines of width w: each gets what it asks
// for while there is room, shares fairly when there is not, and the last
// takes what is left.
func (m Model) column(ps []panel, w, h int, boxed bool) []string {
	over := 1
	if boxed {
		over = 2
	}
	want := make([]int, len(ps))
	for i, p := range ps {
		want[i] = len(p.lines) + over
	}
	got := allocate(h, want)
	var out []string
	for i, p := range ps {
		n := got[i]
		if i == len(ps)-1 {
			n = h - len(out)
		}
		out = append(out, m.box(p, w, n, boxed)...)
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out[:h]
}

// allocate shares total among wants: water-filling, so a panel that
// needs less than a fair share leaves the rest to the others.
func allocate(total int, want []int) []int {
	got := make([]int, len(want))
	left := total
	open := make([]int, 0, len(want))
	for i := range want {
		open = append(open, i)
	}
	for len(open) > 0 && left > 0 {
		share := max(left/len(open), 1)
		var next []int
		progressed := false
		for _, i := range open {
			if need := want[i] - got[i]; need <= share {
				got[i] += need
				left -= need
				progressed = true
			} else {
				next = append(next, i)
			}
		}
		if !progressed {
			for _, i := range next {
				give := min(share, left)
				got[i] += give
				left -= give
			}
			break
		}
		open = next
	}
	return got
}

// box draws a panel in h lines of width w.
func (m Model) box(p panel, w, h int, boxed bool) []string {
	if h <= 0 {
		return nil
	}
	title := m.st.title.Render(p.title)
	if !boxed {
		out := []string{title + " " + m.st.dim.Render(strings.Repeat("─", max(w-ansi.StringWidth(p.title)-1, 0)))}
		for _, l := range visible(p, h-1) {
			out = append(out, fit(l, w))
		}
		for len(out) < h {
			out = append(out, strings.Repeat(" ", w))
		}
		return out
	}
	bc := m.st.dim
	out := []string{bc.Render("┌─ ") + title + " " + bc.Render(strings.Repeat("─", max(w-ansi.StringWidth(p.title)-5, 0))+"┐")}
	if h == 1 {
		return out
	}
	for _, l := range visible(p, h-2) {
		out = append(out, bc.Render("│")+" "+fit(l, w-4)+" "+bc.Render("│"))
	}
	for len(out) < h-1 {
		out = append(out, bc.Render("│")+strings.Repeat(" ", max(w-2, 0))+bc.Render("│"))
	}
	return append(out, bc.Render("└"+strings.Repeat("─", max(w-2, 0))+"┘"))
}

// visible returns the n lines of p to show: scrolled to keep its focus
// in view, with a "… more" line when lines are cut.
func visible(p panel, n int) []string {
	if n <= 0 {
		return nil
	}
	if len(p.lines) <= n {
		return p.lines
	}
	start := 0
	if p.focus >= n {
		start = p.focus - n + 1
	}
	out := slices.Clone(p.lines[start : start+n])
	if hidden := len(p.lines) - start - n; hidden > 0 && p.focus != start+n-1 {
		out[n-1] = fmt.Sprintf("… %d more", hidden+1)
	}
	return out
}

// bar draws frac (0..1) as a w-cell bar.
func bar(frac float64, w int) string {
	if w <= 0 {
		return ""
	}
	if math.IsNaN(frac) {
		frac = 0
	}
	n := int(math.Round(min(max(frac, 0), 1) * float64(w)))
	return strings.Repeat("█", n) + strings.Repeat("░", w-n)
}

func (m Model) rate(name string) string {
	v, ok := m.hist.Last(name)
	if !ok {
		return "-/s"
	}
	return fmtRate(v)
}

func fmtRate(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fk/s", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f/s", v)
	}
	return fmt.Sprintf("%.1f/s", v)
}

func fmtMS(v float64) string {
	switch {
	case v <= 0:
		return "0"
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 1000:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fs", v/1000)
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// withSpark appends a sparkline of series to s filling width w (when at
// least 6 cells are left).
func (m Model) withSpark(s string, w int, series string, ceil float64) string {
	room := w - ansi.StringWidth(s) - 1
	if room < 6 {
		return s
	}
	return s + " " + m.st.dim.Render(monitor.Sparkline(m.hist.Series(series), room, ceil))
}

func (m Model) poolsPanel(w int, compact bool) panel {
	p := panel{title: "Pools", focus: -1}
	if len(m.snap.Pools) == 0 {
		p.lines = []string{"no pools (an unprotected server)"}
		return p
	}
	narrow := w < 50
	for _, pl := range m.snap.Pools {
		frac := 0.0
		if pl.Capacity > 0 {
			frac = float64(pl.InFlight) / float64(pl.Capacity)
		}
		st := m.st.good
		switch {
		case frac >= 1:
			st = m.st.bad
		case frac >= 0.7:
			st = m.st.warn
		}
		rej := m.rate(monitor.PoolSeries(pl.Name, monitor.PoolRejectedPerS))
		tout := m.rate(monitor.PoolSeries(pl.Name, monitor.PoolTimedOutPerS))
		queue := monitor.PoolSeries(pl.Name, monitor.PoolWaiting)
		var l1, l2 string
		if narrow {
			l1 = fmt.Sprintf("%-7s %s %d/%d queue %d/%d", pl.Name, st.Render(bar(frac, 6)), pl.InFlight, pl.Capacity, pl.Waiting, pl.QueueLimit)
			l2 = fmt.Sprintf("  rej %s t/o %s p95 %s", rej, tout, fmtMS(pl.Wait.P95MS))
		} else {
			l1 = fmt.Sprintf("%-7s %s %3d/%-3d queue %3d/%-4d", pl.Name, st.Render(bar(frac, 10)), pl.InFlight, pl.Capacity, pl.Waiting, pl.QueueLimit)
			l2 = fmt.Sprintf("  rejected %s  timed out %s  wait p95 %s", rej, tout, fmtMS(pl.Wait.P95MS))
		}
		if compact {
			p.lines = append(p.lines, m.withSpark(l1, w, queue, 0), l2)
			continue
		}
		p.lines = append(p.lines, l1, l2, m.withSpark("  queue", w, queue, 0))
	}
	return p
}

// breakerGlyph is a state's glyph: readable without colour.
func breakerGlyph(state string) string {
	switch state {
	case "closed":
		return "●"
	case "open":
		return "○"
	case "half_open":
		return "◐"
	}
	return "?"
}

func (m Model) breakersPanel(w int) panel {
	p := panel{title: "Breakers", focus: -1}
	if len(m.snap.Breakers) == 0 {
		p.lines = []string{"no breakers (an unprotected server)"}
		return p
	}
	now := m.snap.Instance.Now
	narrow := w < 50
	for i, b := range m.snap.Breakers {
		st := m.st.good
		switch b.State {
		case "open":
			st = m.st.bad
		case "half_open":
			st = m.st.warn
		}
		sel := "  "
		if i == m.selected {
			sel = "▸ "
			p.focus = len(p.lines)
		}
		state := st.Render(fmt.Sprintf("%s %-9s", breakerGlyph(b.State), b.State))
		forced := b.Mode != "" && b.Mode != "auto" || b.Override != nil
		var detail []string
		if forced {
			detail = append(detail, m.st.forced.Render("FORCED"))
		} else if b.State == "open" && !b.OpenUntil.IsZero() {
			if narrow {
				detail = append(detail, "◐ "+fmtDur(b.OpenUntil.Sub(now)))
			} else {
				detail = append(detail, "half-open in "+fmtDur(b.OpenUntil.Sub(now))+" ·")
			}
		}
		win := b.Window
		if narrow {
			detail = append(detail, fmt.Sprintf("%d/%d", win.Failures, win.Calls))
		} else {
			f := fmt.Sprintf("%d/%d failed", win.Failures, win.Calls)
			if win.ConsecutiveFailures > 0 {
				f += fmt.Sprintf(" (%d in a row)", win.ConsecutiveFailures)
			}
			detail = append(detail, f)
		}
		line := sel + state + " " + fmt.Sprintf("%-11s", b.Name) + " " + strings.Join(detail, " ")
		if i == m.selected {
			line = m.st.sel.Render(ansi.Strip(fit(line, w)))
		}
		p.lines = append(p.lines, line)
		if !forced {
			continue
		}
		f := "  └ " + strings.ReplaceAll(b.Mode, "_", " ")
		if o := b.Override; o != nil {
			if o.Reason != "" {
				f += ": " + printable(o.Reason)
			}
			if !o.Until.IsZero() {
				f += fmt.Sprintf(" · until %s (%s)", o.Until.In(m.loc).Format("15:04:05"), fmtDur(o.Until.Sub(now)))
			} else {
				f += " · no expiry"
			}
		}
		p.lines = append(p.lines, m.st.forced.Render(f))
	}
	return p
}

func (m Model) cachePanel(w int, compact bool) panel {
	c := m.snap.Cache
	p := panel{title: "Cache", focus: -1}
	if c.Backend == "" {
		p.lines = []string{"no cache (an unprotected server)"}
		return p
	}
	now := "-"
	if v, ok := m.hist.Last(monitor.CacheHitRate); ok {
		now = fmt.Sprintf("%.1f%%", 100*v)
	}
	health := m.st.good.Render("healthy")
	if !c.Healthy {
		health = m.st.bad.Render("UNREACHABLE")
	}
	rate := fmt.Sprintf("hit rate %.1f%%, now %s", 100*c.HitRate, now)
	if compact {
		p.lines = []string{m.withSpark(rate, w, monitor.CacheHitRate, 1)}
	} else {
		p.lines = []string{rate, m.withSpark(" ", w, monitor.CacheHitRate, 1)}
	}
	p.lines = append(p.lines,
		fmt.Sprintf("hit %s miss %s stale %s coalesced %s", m.rate(monitor.CacheHitsPerS), m.rate(monitor.CacheMissesPerS),
			m.rate(monitor.CacheStalePerS), m.rate(monitor.CacheCoalescedPerS)),
		fmt.Sprintf("%s %s · %d entries · %s", c.Backend, health, c.Entries, fmtBytes(c.Bytes)))
	if !compact {
		p.lines = append(p.lines, fmt.Sprintf("refreshes %d, early %d · errors %d", c.Refreshes, c.EarlyRefreshes, c.Errors))
	}
	return p
}

func (m Model) storePanel(w int) panel {
	s := m.snap.Store
	p := panel{title: "Store", focus: -1}
	reach := m.st.good.Render("reachable")
	if !s.Reachable {
		reach = m.st.bad.Render("UNREACHABLE")
	}
	p.lines = []string{fmt.Sprintf("%s · %s · %d trades", s.Backend, reach, s.Trades)}
	if s.MaxConns == 0 {
		p.lines = append(p.lines, "no connection pool (in-memory store)")
		return p
	}
	frac := float64(s.AcquiredConns) / float64(s.MaxConns)
	p.lines = append(p.lines,
		m.withSpark(fmt.Sprintf("%s acq %d idle %d total %d/%d", bar(frac, 8), s.AcquiredConns, s.IdleConns, s.TotalConns, s.MaxConns),
			w, monitor.StoreAcquired, float64(s.MaxConns)),
		fmt.Sprintf("acquire waits %s cancels %s · waited %s", m.rate(monitor.StoreWaitsPerS), m.rate(monitor.StoreCancelsPerS), fmtMS(s.AcquireWaitMS)))
	return p
}

func (m Model) requestsPanel(w int, compact bool) panel {
	r := m.snap.Requests
	p := panel{title: "Requests", focus: -1}
	l := r.Latency
	classes := make([]string, 0, len(r.ByStatus))
	for k := range r.ByStatus {
		classes = append(classes, k)
	}
	slices.Sort(classes)
	var sc []string
	for _, k := range classes {
		sc = append(sc, fmt.Sprintf("%s %d (%s)", k, r.ByStatus[k], m.rate(monitor.StatusSeries(k))))
	}
	if len(sc) == 0 {
		sc = []string{"no requests yet"}
	}
	head := fmt.Sprintf("%s · in flight %d · total %d", m.rate(monitor.RequestsPerS), r.InFlight, r.Total)
	if compact {
		head = m.withSpark(head, w, monitor.RequestsPerS, 0)
	}
	p.lines = []string{
		head,
		fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s", fmtMS(l.P50MS), fmtMS(l.P95MS), fmtMS(l.P99MS), fmtMS(l.MaxMS)),
		strings.Join(sc, "  "),
	}
	if lim := m.snap.Limits; lim != nil {
		p.lines = append(p.lines, m.limitsLines(lim)...)
	}
	if !compact {
		p.lines = append(p.lines, m.withSpark(" ", w, monitor.RequestsPerS, 0))
	}
	return p
}

// limitsLines are the process-level limits: connections and the rate
// limit with its refusals, then memory against its limit and the shedding
// (first, so a narrow panel still shows it), the requests shed and the
// bytes the answer cache gave back.
func (m Model) limitsLines(l *quant.LimitsSnapshot) []string {
	rate := "rate limit off"
	if l.RateLimit > 0 {
		rate = fmt.Sprintf("rate %g/s per client, 429 %d", l.RateLimit, l.RateLimited)
	}
	mem := "memory: "
	if l.Memory.Shedding {
		mem += m.st.bad.Render("SHEDDING") + " "
	}
	mem += "heap " + fmtBytes(int64(l.Memory.HeapLive))
	if l.Memory.Limit > 0 {
		mem += fmt.Sprintf(" of %s limit", fmtBytes(l.Memory.Limit))
	}
	if l.Memory.Shed > 0 {
		mem += fmt.Sprintf(", shed %d", l.Memory.Shed)
	}
	if l.Memory.ReclaimedBytes > 0 {
		// What the answer cache gave back under pressure.
		mem += ", cache gave " + fmtBytes(l.Memory.ReclaimedBytes)
	}
	return []string{fmt.Sprintf("conns %d/%d · %s", l.Conns, l.MaxConns, rate), mem}
}

// clusterPanel shows the instances sharing this one's Redis, their shared
// cache hit rate and the overrides in force for all, and the jobs; it is
// left out when there is neither a cluster nor any job.
func (m Model) clusterPanel() (panel, bool) {
	c, j := m.snap.Cluster, m.snap.Jobs
	p := panel{title: "Cluster · jobs", focus: -1}
	if c != nil {
		p.lines = append(p.lines, fmt.Sprintf("%d instances · shared hit rate %.1f%%", len(c.Instances), 100*c.HitRate))
		if len(c.Overrides) == 0 {
			p.lines = append(p.lines, "overrides: none")
		}
		for _, o := range c.Overrides {
			line := fmt.Sprintf("override: %s %s", o.Breaker, o.Action)
			if o.Reason != "" {
				line += " (" + printable(o.Reason) + ")"
			}
			if !o.Until.IsZero() {
				line += " until " + o.Until.Local().Format("15:04:05")
			}
			p.lines = append(p.lines, line)
		}
	}
	if j != nil && (j.Submitted > 0 || j.Store != nil && *j.Store != (quant.JobCounts{})) {
		line := fmt.Sprintf("jobs here: %d workers, %d running, done %d, failed %d", j.Workers, j.Running, j.Done, j.Failed)
		p.lines = append(p.lines, line)
		if s := j.Store; s != nil {
			p.lines = append(p.lines, fmt.Sprintf("all jobs: queued %d running %d done %d failed %d", s.Queued, s.Running, s.Done, s.Failed))
		}
	}
	return p, len(p.lines) > 0
}

func (m Model) burstPanel(w int) panel {
	p := panel{title: "Burst", focus: -1}
	next := fmt.Sprintf("b: %d at %d · B: %d at %d · %s", burstSizes[m.size].Requests, burstSizes[m.size].Concurrency,
		bigBurst.Requests, bigBurst.Concurrency, m.analysis)
	if m.opts.ReadOnly {
		next = "bursts disabled (read-only)"
	}
	p.lines = []string{m.st.dim.Render(next)}
	if r := m.run; r != nil {
		done, ok, refused, other, hits := r.counts()
		el := m.now().Sub(r.started)
		thr := 0.0
		if el > 0 {
			thr = float64(done) / el.Seconds()
		}
		frac := float64(done) / float64(max(r.spec.Requests, 1))
		p.lines = append(p.lines,
			m.st.warn.Render(fmt.Sprintf("running: %s", specText(r.spec))),
			fmt.Sprintf("%s %d/%d", bar(frac, max(min(w-14, 30), 5)), done, r.spec.Requests),
			fmt.Sprintf("ok %d · 503 %d · other %d · hits %d · %s", ok, refused, other, hits, fmtRate(thr)))
	}
	switch {
	case m.lastErr != nil && m.last == nil:
		p.lines = append(p.lines, m.st.bad.Render("last burst failed: "+m.lastErr.Error()))
	case m.last != nil:
		r := m.last
		ok := m.st.good
		if r.SuccessRate < 1 {
			ok = m.st.warn
		}
		if r.SuccessRate < 0.5 {
			ok = m.st.bad
		}
		p.lines = append(p.lines,
			fmt.Sprintf("last: %s in %.2fs", specText(m.lastSpec), r.DurationS),
			ok.Render(fmt.Sprintf("success %.1f%% (%d/%d)", 100*r.SuccessRate, r.Successes, r.Requests))+fmt.Sprintf(" · answered %.1f%%", 100*r.AnsweredRate),
			fmt.Sprintf("avg %s · %.1f req/s · cache hits %.1f%%", fmtMS(r.Latency.MeanMS), r.Throughput, 100*r.CacheHitRate),
			fmt.Sprintf("p50 %s p95 %s p99 %s max %s", fmtMS(r.Latency.P50MS), fmtMS(r.Latency.P95MS), fmtMS(r.Latency.P99MS), fmtMS(r.Latency.MaxMS)),
			"codes "+counts(r.StatusCodes))
		if len(r.Errors) > 0 {
			p.lines = append(p.lines, "not 2xx "+counts(r.Errors))
		}
		peak := 0
		for _, b := range r.Histogram {
			peak = max(peak, b.Count)
		}
		bw := max(w-18, 4)
		for _, b := range r.Histogram {
			n := 0
			if peak > 0 {
				n = (b.Count*bw + peak - 1) / peak
			}
			p.lines = append(p.lines, fmt.Sprintf("≤%8s %5d %s", fmtMS(b.LeMS), b.Count, strings.Repeat("▇", n)))
		}
		if m.lastErr != nil {
			p.lines = append(p.lines, m.st.bad.Render("stopped: "+m.lastErr.Error()))
		}
	case m.run == nil:
		p.lines = append(p.lines, "no burst yet")
	}
	return p
}

func counts(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, c[k])
	}
	return strings.Join(parts, ", ")
}

// printable replaces the control characters of a string another process
// sent (an operator's override reason, from any instance) with spaces: a
// newline would break the panel, an escape sequence drive the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}
