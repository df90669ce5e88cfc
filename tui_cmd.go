package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// runTUI opens the terminal UI on a scenario.
func runTUI(cmd *cobra.Command, name string, f tuiFlags) error {
	_ = name
	_ = f
	return usageErr(errors.New("the TUI is not built yet; try 'racetape run cache-aside'"))
}
