package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// styles are the console's text styles; with NoColor they are all plain.
type styles struct {
	title, dim, good, bad, warn, forced, sel, banner, prompt lipgloss.Style
	help                                                     help.Styles
}

func newStyles(noColor bool) styles {
	plain := lipgloss.NewStyle()
	if noColor {
		return styles{title: plain, dim: plain, good: plain, bad: plain, warn: plain, forced: plain, sel: plain, banner: plain, prompt: plain}
	}
	fg := func(c string) lipgloss.Style { return lipgloss.NewStyle().Foreground(lipgloss.Color(c)) }
	return styles{
		title:  lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
		dim:    fg("8"),
		good:   fg("10"),
		bad:    fg("9").Bold(true),
		warn:   fg("11"),
		forced: fg("13").Bold(true),
		sel:    lipgloss.NewStyle().Reverse(true),
		banner: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("15")).Background(lipgloss.Color("1")),
		prompt: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("11")),
		help:   help.DefaultDarkStyles(),
	}
}
