package racetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing/synctest"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// A world is the machinery of one bubble: miniredis, one go-redis client
// per actor, the database, and the schedule in progress. It is the
// engine.Target of the exploration: every schedule replays from the start
// in the same bubble, with the same server and clients (the cache is
// flushed and seeded again, the database made anew, the actors' goroutines
// started again).
//
// Everything in it is made inside the bubble and used only there (nothing
// made in a bubble may be used outside it), except what the watchdog
// reads from outside: the atomics, and the actors' state under mu.
type world struct {
	h      *Harness
	cfg    *config
	mini   *miniredis.Miniredis
	actors []*actor
	db     *engine.MemDB

	mu     sync.Mutex
	parked []*parking     // goroutines parked at a yield point, in parking order
	notify chan struct{}  // buffered: something parked, or an actor returned
	fault  error          // misuse reported by an actor's goroutine or the server hook
	gen    int            // the schedule in progress
	live   bool           // a schedule is in progress
	rec    recorder       // the schedule's record
	keyTTL map[string]ttl // pending expiries of the cache keys, mirrored
	path   []int          // the participants of the steps taken since the start

	t0    time.Time     // bubble time at the start of the schedule
	now   time.Duration // virtual time: bubble time - t0
	steps int
	// quiet says the last clock tick found nothing to do and every actor
	// had returned: the schedule is complete.
	quiet bool
	// ran says an actor took a step since the clock last moved: its code
	// may have started a timer.
	ran bool

	// ctl is a client without hooks, for the harness's own commands.
	ctl *redis.Client
	// scripts says an actor loaded a Lua script: each schedule starts
	// without any (as with a new server), or EVALSHA would fail only in
	// the first.
	scripts atomic.Bool

	inflight atomic.Int32 // commands on their way to miniredis through a hook
	waits    atomic.Int64 // odd while the scheduler waits for the actors
}

// An actor is one actor of the harness in a world.
type actor struct {
	idx    int
	name   string
	fn     func(*Env)
	client *redis.Client
	cond   *sync.Cond // on world.mu: its parked goroutines wait on it
	env    *Env
	// start runs the actor's function for a schedule, in a goroutine
	// that lives as long as the world (its stack, grown by go-redis's
	// calls, is kept from one schedule to the next).
	start chan int

	// The schedule in progress.
	done    bool // its function returned
	parked  int  // its goroutines parked at a yield point
	taken   int  // steps taken
	span    []int
	spanAt  time.Duration // when the read in progress began, if it has no step
	group   int           // the write operation its steps belong to
	groups  int           // groups numbered so far
	opNames []string
}

// A parking is one goroutine parked at a yield point.
type parking struct {
	a          *actor
	cmd        *command
	order      int
	granted    bool
	start, end time.Duration
}

// A ttl is a cache key's pending expiry, mirrored from miniredis.
type ttl struct {
	at    time.Duration
	value string
}

// errUnwind unwinds an actor's goroutine parked when its schedule is
// abandoned; the actor's wrapper recovers it.
var errUnwind = errors.New("racetest: schedule abandoned")

// errTimers says a timer fired that the exploration had not been
// prepared for: it starts again, with the clock offered at every step.
var errTimers = errors.New("racetest: a timer fired")

// newWorld builds the world of one bubble: it must be called inside it.
func newWorld(h *Harness) (*world, error) {
	w := &world{h: h, cfg: &h.cfg, notify: make(chan struct{}, 1), keyTTL: map[string]ttl{}}
	// No Start: that would listen on a port, and a goroutine blocked in
	// the network poller is never durably blocked. Dial starts the server.
	w.mini = miniredis.NewMiniRedis()
	w.mini.ClockTTL(true) // TTLs follow the bubble's clock
	opts := clientOptions()
	opts.Dialer = func(context.Context, string, string) (net.Conn, error) { return w.mini.Dial() }
	w.ctl = redis.NewClient(opts)
	if err := w.ctl.Ping(context.Background()).Err(); err != nil {
		return nil, fmt.Errorf("racetest: start miniredis: %w", err)
	}
	w.mini.Server().SetPreHook(w.serverHook)
	for i, def := range h.actors {
		a := &actor{idx: i, name: def.name, fn: def.fn, cond: sync.NewCond(&w.mu), start: make(chan int)}
		a.env = &Env{w: w, a: a}
		a.client = redis.NewClient(clientOptions())
		a.client.AddHook(a.env.Hook())
		// Dial now, outside any schedule: go-redis dials lazily.
		if err := a.client.Ping(context.Background()).Err(); err != nil {
			w.close()
			return nil, fmt.Errorf("racetest: connect actor %q: %w", def.name, err)
		}
		w.actors = append(w.actors, a)
		go func() {
			for gen := range a.start {
				w.runActor(a, gen)
			}
		}()
	}
	return w, nil
}

// clientOptions are the options of the clients racetest makes: an IP
// address (never resolved: a host name would be looked up through DNS,
// which leaves a goroutine of the first bubble behind), no HELLO, no
// identity or maintenance handshake, no retries, no deadlines (each would
// be a timer on the bubble's clock).
func clientOptions() *redis.Options {
	return &redis.Options{
		Addr:                     "127.0.0.1:6379",
		Protocol:                 2,
		DisableIdentity:          true,
		MaxRetries:               -1,
		ReadTimeout:              -2,
		WriteTimeout:             -2,
		ConnMaxIdleTime:          -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
}

// close ends the schedule in progress and releases the clients and the
// server.
func (w *world) close() {
	w.unwind()
	for _, a := range w.actors {
		close(a.start)
		_ = a.client.Close()
	}
	_ = w.ctl.Close()
	w.mini.Close()
}

// serverHook sees every command miniredis receives: one that did not come
// through an actor's hook is misuse.
func (w *world) serverHook(p *server.Peer, cmd string, args ...string) bool {
	if w.inflight.Load() > 0 || !w.isLive() {
		return false
	}
	msg := fmt.Sprintf("racetest: %s reached miniredis outside the scheduler: a client without racetest's hooks (use env.Redis(), or add env.Hook() to your own client)", commandText(append([]string{strings.ToLower(cmd)}, args...)))
	w.mu.Lock()
	if w.fault == nil {
		w.fault = errors.New(msg)
	}
	w.mu.Unlock()
	p.WriteError("ERR " + msg)
	return true
}

func (w *world) isLive() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.live
}

// signal tells a clock tick that something happened.
func (w *world) signal() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// park parks the calling goroutine of actor a at command c until the
// scheduler grants it; it returns the parking, with the step's instants.
func (w *world) park(a *actor, gen int, c *command) (*parking, error) {
	w.mu.Lock()
	if !w.live || gen != w.gen {
		err := fmt.Errorf("racetest: actor %q sent %s after its schedule ended: a goroutine an actor starts must finish within the schedule", a.name, c.text)
		if w.fault == nil && w.live {
			w.fault = err
		}
		w.mu.Unlock()
		return nil, err
	}
	p := &parking{a: a, cmd: c, order: len(w.parked)}
	if n := len(w.parked); n > 0 {
		p.order = w.parked[n-1].order + 1
	}
	w.parked = append(w.parked, p)
	a.parked++
	w.signal()
	for !p.granted && gen == w.gen {
		a.cond.Wait()
	}
	if !p.granted {
		w.mu.Unlock()
		panic(errUnwind)
	}
	w.mu.Unlock()
	return p, nil
}

// quiesce waits until every goroutine of the bubble is blocked: parked,
// sleeping, waiting on a channel, or gone. The watchdog watches the wait.
func (w *world) quiesce() {
	w.waits.Add(1)
	synctest.Wait()
	w.waits.Add(1)
}

// startSchedule starts a new schedule from the initial state.
func (w *world) startSchedule(states bool) error {
	if err := w.runOut(); err != nil {
		return err
	}
	if w.scripts.Load() {
		w.inflight.Add(1)
		err := w.ctl.ScriptFlush(context.Background()).Err()
		w.inflight.Add(-1)
		if err != nil {
			return fmt.Errorf("racetest: flush scripts: %w", err)
		}
	}
	if err := w.reset(states); err != nil {
		return err
	}
	// One at a time, in order: what each does before its first yield
	// point (joining another's call, taking a lock) must not race.
	for _, a := range w.actors {
		a.start <- w.gen
		w.quiesce()
	}
	return w.check()
}

// reset brings the cache, the database and the record to the start of a
// new schedule.
func (w *world) reset(states bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	w.live = true
	w.fault = nil
	w.parked = w.parked[:0]
	w.quiet, w.ran, w.steps = false, false, 0
	w.path = w.path[:0]
	w.t0 = time.Now()
	w.now = 0
	w.mini.FlushAll()
	clear(w.keyTTL)
	for _, k := range sortedKeys(w.cfg.Cache) {
		e := w.cfg.Cache[k]
		if err := w.mini.Set(k, e.Value); err != nil {
			return err
		}
		if e.TTL > 0 {
			w.mini.SetTTL(k, e.TTL)
			w.keyTTL[k] = ttl{at: e.TTL, value: e.Value}
		}
	}
	w.db = engine.NewMemDB(-1)
	for _, k := range sortedKeys(w.cfg.DB) {
		w.db.Seed(k, w.cfg.DB[k])
	}
	w.rec.reset(w, states)
	for _, a := range w.actors {
		a.done, a.parked, a.taken = false, 0, 0
		a.span, a.spanAt = a.span[:0], 0
		a.group, a.groups, a.opNames = 1, 1, a.opNames[:0]
		a.env.gen = w.gen
	}
	return nil
}

// runOut ends the schedule in progress, if the search left it before its
// end. When every actor is parked or done and no timer runs, the parked
// ones are unwound; otherwise the schedule is finished, each actor in
// turn, then the clock, until nothing is left, so that no goroutine of it
// (sleeping, or waiting on a timer) lives on into the next one.
func (w *world) runOut() error {
	if !w.live {
		return nil
	}
	w.mu.Lock()
	safe := len(w.blocked()) == 0 && !w.h.timers
	w.mu.Unlock()
	if safe {
		// Every actor not done is parked, and no timer runs: unwinding
		// them leaves nothing behind, and costs no step.
		w.unwind()
		return nil
	}
	var en []int
	for {
		en = w.Enabled(en[:0])
		if len(en) == 0 {
			return nil
		}
		w.path = append(w.path, en[0])
		if err := w.step(en[0]); err != nil {
			return w.scheduleError(err)
		}
	}
}

// runActor runs actor a's function for schedule gen.
func (w *world) runActor(a *actor, gen int) {
	defer func() {
		r := recover()
		w.mu.Lock()
		if gen == w.gen {
			a.done = true
			if r != nil && r != errUnwind && w.fault == nil {
				w.fault = &PanicError{Actor: a.name, Value: r, Stack: string(debug.Stack())}
			}
		}
		w.mu.Unlock()
		w.signal()
	}()
	a.fn(a.env)
}

// unwind abandons the schedule in progress: its parked goroutines panic
// with errUnwind, which unwinds the actors' code (running its defers),
// and the bubble is let run until they are gone or blocked.
func (w *world) unwind() {
	w.mu.Lock()
	if !w.live {
		w.mu.Unlock()
		return
	}
	w.live = false
	w.gen++
	for _, a := range w.actors {
		a.cond.Broadcast()
	}
	w.mu.Unlock()
	w.quiesce()
}

// check returns the misuse an actor's goroutine reported, or the
// watchdog's verdict.
func (w *world) check() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fault != nil {
		return w.fault
	}
	return nil
}

// Reset starts a new schedule (engine.Target).
func (w *world) Reset() error { return w.scheduleError(w.startSchedule(false)) }

// Enabled appends the actors with a goroutine parked at a yield point, in
// order, then the clock when it can move (engine.Target).
func (w *world) Enabled(en []int) []int {
	// The actors are all blocked, but the race detector does not know
	// what synctest.Wait knows: read under the lock they write under.
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(en)
	for _, a := range w.actors {
		if a.parked > 0 {
			en = append(en, a.idx)
		}
	}
	if w.clockEnabled(len(en) > n) {
		en = append(en, len(w.actors))
	}
	return en
}

// clockEnabled says whether the clock can move. With an actor parked, it
// can when an actor is blocked (sleeping, or waiting on another), when a
// key's TTL runs out within the horizon, or when actors' code that has
// started timers before ran since the clock last moved. With none parked,
// it must: to wake a sleeper, fire a timer, or find that nothing is left.
func (w *world) clockEnabled(parked bool) bool {
	if !parked {
		return !w.quiet
	}
	if w.blocked() != nil {
		return true
	}
	if _, ok := w.nextExpiry(w.now + w.cfg.Horizon); ok {
		return true
	}
	return w.h.timers && w.ran
}

// blocked returns the actors whose function has not returned and that
// have no goroutine parked.
func (w *world) blocked() []string {
	var out []string
	for _, a := range w.actors {
		if !a.done && a.parked == 0 {
			out = append(out, a.name)
		}
	}
	return out
}

// nextExpiry returns the first pending expiry of a cache key after now and
// not after limit.
func (w *world) nextExpiry(limit time.Duration) (time.Duration, bool) {
	best, ok := time.Duration(0), false
	for _, t := range w.keyTTL {
		if t.at > w.now && t.at <= limit && (!ok || t.at < best) {
			best, ok = t.at, true
		}
	}
	return best, ok
}

// pick returns the parked goroutine of actor p that goes next: the
// first parked, or, among goroutines of the actor parked at once (it
// started some), the smallest command.
func (w *world) pick(p int) *parking {
	var best *parking
	for _, pk := range w.parked {
		if pk.a.idx != p {
			continue
		}
		if best == nil || pk.cmd.text < best.cmd.text {
			best = pk
		}
	}
	return best
}

// Footprint returns what actor p's next step touches (engine.Target): its
// command's keys, plus the keys of the read it has in progress, whose
// commits may not cross the step.
func (w *world) Footprint(p int) engine.Footprint {
	w.mu.Lock()
	defer w.mu.Unlock()
	pk := w.pick(p)
	fp := pk.cmd.fp
	if fp.All {
		return fp
	}
	info := &engine.StepInfo{Keys: slices.Clone(fp.Info.Keys), Del: fp.Info.Del, Set: fp.Info.Set, Took: w.cfg.StepTime}
	a := w.actors[p]
	for _, seq := range a.span {
		if k := w.rec.events[seq].Key; k != "" {
			info.Keys = appendAccess(info.Keys, k, engine.ReadSpan)
		}
	}
	info.Timed = w.cfg.Consistency.Model != engine.Strict
	for _, ka := range info.Keys {
		if t, ok := w.keyTTL[ka.Key]; ok && t.at <= w.now+w.cfg.Horizon {
			info.Timed = true
		}
	}
	fp.Info = info
	return fp
}

// Step runs participant p's next step (engine.Target): grants actor p's
// parked command, which takes StepTime, or moves the clock.
func (w *world) Step(p int) error {
	w.path = append(w.path, p)
	return w.scheduleError(w.step(p))
}

func (w *world) step(p int) error {
	w.steps++
	if w.steps > w.cfg.MaxSteps {
		return fmt.Errorf("racetest: the schedule ran past the step budget of %d steps (Setup.MaxSteps): an actor loops?", w.cfg.MaxSteps)
	}
	if p == len(w.actors) {
		return w.tick()
	}
	w.mu.Lock()
	pk := w.pick(p)
	w.mu.Unlock()
	if pk == nil {
		return fmt.Errorf("racetest: actor %q has no step to take", w.actors[p].name)
	}
	start := w.now
	// The step takes its time before it takes effect; timers due
	// meanwhile fire, and what they wake runs until it blocks.
	time.Sleep(w.cfg.StepTime)
	w.quiesce()
	w.now = time.Since(w.t0)
	w.mu.Lock()
	w.parked = slices.DeleteFunc(w.parked, func(q *parking) bool { return q == pk })
	pk.a.parked--
	pk.start, pk.end = start, w.now
	pk.granted = true
	pk.a.cond.Broadcast()
	w.mu.Unlock()
	w.quiesce()
	w.ran = true
	return w.check()
}

// tick moves the clock: to the next timer of the actors' code or the next
// expiry within the horizon when an actor is parked, or as far as the
// drain horizon when none is (waking every sleeper and firing every
// timer). A tick that finds nothing is abandoned (engine.ErrPrune) when an
// actor is parked, completes the schedule when every actor has returned,
// and is a deadlock otherwise.
func (w *world) tick() error {
	w.mu.Lock()
	parked := len(w.parked) > 0
	blocked := w.blocked()
	limit := w.now + w.cfg.Horizon
	if !parked {
		limit = w.now + drainHorizon
	}
	target := limit
	// With every actor done, an expiry changes nothing anyone observes.
	expiry, isExpiry := w.nextExpiry(limit)
	isExpiry = isExpiry && (parked || len(blocked) > 0)
	w.mu.Unlock()
	if isExpiry {
		target = expiry
	}
	select { // forget older signals
	case <-w.notify:
	default:
	}
	timer := time.NewTimer(target - w.now)
	woke := false
	select {
	case <-w.notify:
		woke = true
	case <-timer.C:
	}
	timer.Stop()
	w.quiesce()
	if err := w.check(); err != nil {
		return err
	}
	if !woke && !isExpiry {
		switch {
		case parked:
			return engine.ErrPrune
		case len(blocked) > 0:
			return fmt.Errorf("racetest: deadlock: %s blocked, and no timer is due: waiting on each other?", strings.Join(blocked, ", "))
		}
		w.quiet = true // nothing happened: no event, the schedule is complete
		return nil
	}
	if woke && !w.h.timers && len(blocked) == 0 {
		// A timer of the actors' code fired, where the clock was not
		// offered: explore again, offering it.
		w.h.timers = true
		return errTimers
	}
	w.ran = false
	w.mu.Lock()
	w.rec.tick(w, time.Since(w.t0))
	w.mu.Unlock()
	return nil
}

// Judge judges the schedule just run (engine.Target).
func (w *world) Judge(_ []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	tl := w.rec.timeline(w)
	return engine.Anomalies(tl, w.cfg.Consistency, w.rec.groups, seen)
}

// Close does nothing: the world outlives the exploration's targets.
func (w *world) Close() {}

// drainHorizon is how far the clock moves at most when no actor is
// parked: far enough for any timer of a request's code. (The bubble's
// clock only goes forward, by this much at the end of every schedule, and
// must not overflow in a billion of them.)
const drainHorizon = time.Hour

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}
