package racetest

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A watchdog watches the scheduler's waits from outside the bubble, on the
// wall clock: a wait for the actors to block that lasts longer than its
// timeout means one of them holds what another waits for without the
// scheduler knowing (a sync.Mutex held across a yield point blocks the
// other actor in a way synctest.Wait cannot see: golang/go#77687), or
// spins. Nothing outside a bubble may wake a goroutine inside it (the
// runtime stops the process), and nothing inside is running: the watchdog
// stops the process itself, with a message naming the actors and the
// goroutines' stacks. A hang is never the outcome.
type watchdog struct {
	test    string // the test's name, for the message
	timeout time.Duration
	w       atomic.Pointer[world]
	quit    chan struct{}
	wg      sync.WaitGroup
}

func startWatchdog(test string, timeout time.Duration) *watchdog {
	wd := &watchdog{test: test, timeout: timeout, quit: make(chan struct{})}
	wd.wg.Add(1)
	go wd.run()
	return wd
}

func (wd *watchdog) watch(w *world) { wd.w.Store(w) }

func (wd *watchdog) stop() {
	close(wd.quit)
	wd.wg.Wait()
}

func (wd *watchdog) run() {
	defer wd.wg.Done()
	tick := time.NewTicker(wd.timeout / 8)
	defer tick.Stop()
	var last int64
	var since time.Time
	for {
		select {
		case <-wd.quit:
			return
		case now := <-tick.C:
			w := wd.w.Load()
			if w == nil {
				continue
			}
			seq := w.waits.Load()
			if seq%2 == 0 || seq != last {
				last, since = seq, now
				continue
			}
			if stuck := now.Sub(since); stuck >= wd.timeout {
				// Nothing outside the bubble may wake a goroutine inside
				// it: the only way out is to stop the process.
				panic(w.stuck(wd.test, stuck))
			}
		}
	}
}

// stuck stops the run: it names the actors, and unwinds the parked ones.
func (w *world) stuck(test string, d time.Duration) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var parked, running []string
	for _, a := range w.actors {
		switch {
		case a.parked > 0:
			var cmds []string
			for _, p := range w.parked {
				if p.a == a {
					cmds = append(cmds, p.cmd.text)
				}
			}
			parked = append(parked, fmt.Sprintf("%s (parked at %s)", a.name, strings.Join(cmds, ", ")))
		case !a.done:
			running = append(running, a.name)
		}
	}
	msg := fmt.Sprintf("racetest: %s: the actors made no progress for %s of wall time: %s never reached a yield point while %s waited to be scheduled. A sync.Mutex (or RWMutex) held across a Redis or database call blocks the other actors where the scheduler cannot see it: release it before the call, or use a channel as the lock",
		test, d.Round(time.Millisecond), orNone(running), orNone(parked))
	return msg
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no actor"
	}
	return strings.Join(s, ", ")
}
