package racetest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: no bubble, no
// watchdog, no miniredis connection. The one exception is the actor
// TestDeadlockIsReported blocks for ever on purpose.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/racetape/racetape/engine/racetest_test.TestDeadlockIsReported.func1"))
}
