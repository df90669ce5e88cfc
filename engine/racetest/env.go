package racetest

import (
	"context"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/racetape/racetape/engine"
)

// An Env is what an actor's function is handed: its Redis client, its
// database handle and its context, all under the scheduler, and the calls
// that tell the oracle what the code did (Served, Op). An Env belongs to
// one actor; use it only from that actor's function and the goroutines it
// starts.
type Env struct {
	w   *world
	a   *actor
	gen int // the schedule in progress
}

// genKey is the context key of the schedule a context belongs to.
type genKey struct{}

// Name returns the actor's name.
func (e *Env) Name() string { return e.a.name }

// Redis returns the actor's go-redis client, connected to the run's
// miniredis: every command it sends is a step of the actor (a yield
// point), except HELLO, CLIENT, PING, AUTH, SELECT and UNWATCH. A pipeline
// sends each of its commands as a step; a MULTI/EXEC transaction is one
// step.
func (e *Env) Redis() *redis.Client { return e.a.client }

// DB returns the actor's handle on the run's database.
func (e *Env) DB() *DB { return &DB{e: e} }

// Ctx returns the context of the actor's run: pass it to the code under
// test. It tells commands sent after their schedule ended (by a goroutine
// that outlived it) from the schedule's own.
func (e *Env) Ctx() context.Context {
	return context.WithValue(context.Background(), genKey{}, e.gen)
}

// Served closes a read: the actor's caller was given value for key. The
// read's interval runs from the actor's first step on key since its last
// Served (or, without one, from the end of its last read) to now; the
// oracle judges value over it. Served is not a step.
func (e *Env) Served(key, value string) {
	w := e.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.live || e.gen != w.gen {
		return
	}
	w.rec.served(w, e.a, key, value)
}

// Op runs fn as one write operation named name: under the linearizable
// model, the database writes fn makes and the invalidations around them
// are one operation, from the start of its first step to the end of its
// last. Without Op, each actor's function is one operation.
func (e *Env) Op(name string, fn func()) {
	w := e.w
	w.mu.Lock()
	a := e.a
	a.groups++
	a.group = a.groups
	a.opNames = append(a.opNames[:0], name)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		a.groups++
		a.group = a.groups
		w.mu.Unlock()
	}()
	fn()
}

// Hook returns a go-redis hook that puts a client the code under test
// builds itself under the scheduler, as the actor's: its DialHook
// connects to the run's miniredis whatever the address (give the client
// an IP address, such as 127.0.0.1:6379: a host name is looked up through
// DNS, which a synctest bubble does not allow), and its process hooks make
// every command a step of the actor.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	rdb.AddHook(env.Hook())
func (e *Env) Hook() redis.Hook { return hook{e: e} }

// A hook puts a go-redis client under the scheduler, as actor e's.
type hook struct{ e *Env }

func (h hook) DialHook(redis.DialHook) redis.DialHook {
	return func(context.Context, string, string) (net.Conn, error) { return h.e.w.mini.Dial() }
}

func (h hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if passThrough(cmd) {
			return h.e.pass(func() error { return next(ctx, cmd) })
		}
		return h.e.step(ctx, classify(cmd), func() error { return next(ctx, cmd) }, []redis.Cmder{cmd})
	}
}

func (h hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && cmds[0].Name() == "multi" {
			c := classifyTx(cmds)
			if c.key == "" && !c.fp.All && len(c.fp.Info.Keys) == 0 {
				return h.e.pass(func() error { return next(ctx, cmds) })
			}
			return h.e.step(ctx, c, func() error { return next(ctx, cmds) }, cmds)
		}
		// A pipeline is not atomic: each of its commands is a step.
		var first error
		for i, cmd := range cmds {
			one := cmds[i : i+1]
			var err error
			if passThrough(cmd) {
				err = h.e.pass(func() error { return next(ctx, one) })
			} else {
				err = h.e.step(ctx, classify(cmd), func() error { return next(ctx, one) }, one)
			}
			if err != nil && first == nil {
				first = err
			}
		}
		return first
	}
}

// pass sends commands that are not steps.
func (e *Env) pass(send func() error) error {
	e.w.inflight.Add(1)
	defer e.w.inflight.Add(-1)
	return send()
}

// step parks the calling goroutine at Redis command c until the scheduler
// grants it, sends it, and records what it observed (cmds are the
// commands sent: one, or a transaction's).
func (e *Env) step(ctx context.Context, c *command, send func() error, cmds []redis.Cmder) error {
	w := e.w
	gen := e.gen
	if g, ok := ctx.Value(genKey{}).(int); ok {
		gen = g
	}
	pk, err := w.park(e.a, gen, c)
	if err != nil {
		return err
	}
	if mayScript(c.name) {
		w.scripts.Store(true)
	}
	err = e.pass(send)
	if len(cmds) == 1 && err != nil && cmds[0].Err() == nil {
		// go-redis sets a command's error once the hooks return.
		cmds[0].SetErr(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ev := w.rec.event(w, pk)
	one := cmds[0]
	if c.name != "multi" && len(cmds) > 1 { // a transaction of one command
		for _, cmd := range cmds {
			if n := cmd.Name(); n != "multi" && n != "exec" && !passThrough(cmd) {
				one = cmd
				break
			}
		}
	}
	ev.Result, ev.Value = result(c, one)
	if len(cmds) > 1 && cmds[len(cmds)-1].Err() != nil {
		ev.Result = "fail" // EXEC failed: a watched key changed
	}
	if ev.Op == "cache.expire" && ev.Result == "ok" && goneAtOnce(args(one), w.t0.Add(pk.end)) {
		ev.Note = engine.NoteGoneAtOnce
	}
	// A command the analysis cannot see, or a script, may touch keys it
	// does not name: the state after it is read whole.
	whole := c.fp.All || mayScript(c.name)
	if c.fp.Info != nil {
		w.rec.done(w, c.fp.Info.Keys, whole)
	} else {
		w.rec.done(w, []engine.KeyAccess{{Key: c.key, Access: engine.CacheWrite}}, whole)
	}
	return err
}

// mayScript says whether command name loads or runs a Lua script, or is a
// transaction (which may hold one).
func mayScript(name string) bool {
	return strings.HasPrefix(name, "eval") || strings.HasPrefix(name, "fcall") || name == "script" || name == "multi"
}
