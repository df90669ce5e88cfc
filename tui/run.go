package tui

import (
	tea "github.com/charmbracelet/bubbletea"
)

// Run shows the TUI on sources[initial] until the user quits, in the
// terminal's alternate screen with mouse-wheel scrolling (unless
// opts.NoMouse). The terminal is restored on return, also after a panic.
func Run(sources []Source, initial int, opts Options) error {
	m := New(sources, initial, opts)
	po := []tea.ProgramOption{tea.WithAltScreen()}
	if !opts.NoMouse {
		po = append(po, tea.WithMouseCellMotion())
	}
	if opts.Input != nil {
		po = append(po, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		po = append(po, tea.WithOutput(opts.Output))
	}
	_, err := tea.NewProgram(m, po...).Run()
	return err
}
