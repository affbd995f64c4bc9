package tui

import (
	"context"
	"errors"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"
)

// frameRate caps the console's redraws: an idle console stays near zero CPU.
const frameRate = 15

// Run runs the console on in and out until the operator quits or ctx is
// done (which is not an error). NO_COLOR in the environment has the effect
// of opts.NoColor.
func Run(ctx context.Context, opts Options, in io.Reader, out io.Writer) error {
	if opts.Source == nil {
		return errors.New("tui: no source")
	}
	env := os.Environ()
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	if opts.NoColor {
		env = append(env, "NO_COLOR=1")
	}
	m := NewModel(opts)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.ctx = ctx
	p := tea.NewProgram(m,
		tea.WithContext(ctx),
		tea.WithInput(in),
		tea.WithOutput(out),
		tea.WithEnvironment(env),
		tea.WithFPS(frameRate),
		// The size of an output that is not a terminal (a terminal reports its own).
		tea.WithWindowSize(defaultWidth, defaultHeight),
	)
	_, err := p.Run()
	if err != nil && errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
