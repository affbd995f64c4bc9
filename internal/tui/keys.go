package tui

import "charm.land/bubbles/v2/key"

// keyMap is the console's keys.
type keyMap struct {
	Flush, Trip, Reset, Close     key.Binding
	Up, Down                      key.Binding
	Burst, BigBurst, More, Less   key.Binding
	Pause, Help, Quit, Yes, Abort key.Binding
	readOnly                      bool
}

func newKeyMap(readOnly bool) keyMap {
	return keyMap{
		Flush:    key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "flush")),
		Trip:     key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "trip")),
		Reset:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "auto")),
		Close:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "close")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑↓/jk", "select")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "select down")),
		Burst:    key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "burst")),
		BigBurst: key.NewBinding(key.WithKeys("B"), key.WithHelp("B", "big")),
		More:     key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+/-", "size")),
		Less:     key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "smaller burst")),
		Pause:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Yes:      key.NewBinding(key.WithKeys("y", "Y")),
		Abort:    key.NewBinding(key.WithKeys("ctrl+c")),
		readOnly: readOnly,
	}
}

// readOnlyHelp stands for the action keys of a read-only console.
var readOnlyHelp = key.NewBinding(key.WithKeys(""), key.WithHelp("read-only", "actions off"))

// ShortHelp implements help.KeyMap: terse, help and quit first so that
// they survive a narrow terminal.
func (k keyMap) ShortHelp() []key.Binding {
	if k.readOnly {
		return []key.Binding{k.Help, k.Quit, k.Up, k.Pause, readOnlyHelp}
	}
	return []key.Binding{k.Help, k.Quit, k.Flush, k.Trip, k.Reset, k.Close, k.Up, k.Burst, k.BigBurst, k.More, k.Pause}
}

// described returns b with a longer description for the full help.
func described(b key.Binding, keys, desc string) key.Binding {
	b.SetHelp(keys, desc)
	return b
}

// FullHelp implements help.KeyMap.
func (k keyMap) FullHelp() [][]key.Binding {
	view := []key.Binding{
		described(k.Up, "↑/k", "select breaker up"), described(k.Down, "↓/j", "select breaker down"),
		described(k.Pause, "p", "pause/resume refresh"), described(k.Help, "?", "this help"), described(k.Quit, "q", "quit"),
	}
	if k.readOnly {
		return [][]key.Binding{view, {readOnlyHelp}}
	}
	return [][]key.Binding{
		view,
		{described(k.Flush, "f", "flush the cache"), described(k.Trip, "t", "trip (force open)"),
			described(k.Reset, "r", "reset to auto"), described(k.Close, "c", "force closed")},
		{described(k.Burst, "b", "fire a burst"), described(k.BigBurst, "B", "burst 1000 at 100"),
			described(k.More, "+", "bigger burst"), described(k.Less, "-", "smaller burst")},
	}
}
