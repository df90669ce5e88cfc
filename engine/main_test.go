package engine

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a run leaves goroutines behind
// (go-redis pools, miniredis connections).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
