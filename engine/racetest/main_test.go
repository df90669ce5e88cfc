package racetest_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: no bubble, no
// watchdog, no miniredis connection. The one exception is the actor
// TestDeadlockIsReported blocks for ever on purpose. The tapes the tests
// write go to a directory removed afterwards (a user's stay).
func TestMain(m *testing.M) {
	dir := ""
	if os.Getenv("RACETEST_TAPES") == "" {
		var err error
		if dir, err = os.MkdirTemp("", "racetest-tapes-test-"); err != nil {
			panic(err)
		}
		os.Setenv("RACETEST_TAPES", dir)
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/racetape/racetape/engine/racetest_test.TestDeadlockIsReported.func1")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
