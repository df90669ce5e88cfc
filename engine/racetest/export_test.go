package racetest

// Failures exposes what Explore fails the test with, for the tests.
func (h *Harness) Failures(rep *Report) []string { return h.failures(rep) }
