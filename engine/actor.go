package engine

import (
	"fmt"
	"time"
)

// A frame is one block of an actor's program being run: the steps and the
// index of the next one.
type frame struct {
	steps []Step
	pc    int
}

// An actorState is an actor's progress through its program. The next atomic
// step is always at the top frame once normalize has run.
type actorState struct {
	name   string
	idx    int
	frames []frame
	ready  time.Duration // timed mode: when the next step may start
	taken  int           // steps taken so far

	actorMemory

	open *openRead // the read in progress, in buf, or nil
	buf  *openRead // the actor's read storage, reused read after read
}

// An openRead is a read block in progress.
type openRead struct {
	key    string
	start  time.Duration
	end    time.Duration
	served string
	source string
	have   bool
	events []int
	evs    [3]int // events' first storage
}

func newActorState(a Actor, idx int) actorState {
	return actorState{name: a.Name, idx: idx, frames: []frame{{steps: a.Steps}}, ready: a.At}
}

// reset brings the actor back to the start of its program, reusing its
// frames' storage.
func (a *actorState) reset(act Actor, idx int) {
	frames := append(a.frames[:0], frame{steps: act.Steps})
	*a = actorState{name: act.Name, idx: idx, frames: frames, ready: act.At, buf: a.buf}
}

// normalize resolves `if` blocks and finished blocks until the top frame
// points at an atomic step, and reports whether there is one.
func (a *actorState) normalize() bool {
	for len(a.frames) > 0 {
		top := &a.frames[len(a.frames)-1]
		if top.pc >= len(top.steps) {
			a.frames = a.frames[:len(a.frames)-1]
			continue
		}
		st := &top.steps[top.pc]
		if st.Op != OpIf {
			return true
		}
		top.pc++
		if a.last == st.Cond {
			a.frames = append(a.frames, frame{steps: st.Then})
		} else if len(st.Else) > 0 {
			a.frames = append(a.frames, frame{steps: st.Else})
		}
	}
	return false
}

// next returns the actor's next atomic step, if any.
func (a *actorState) next() (*Step, bool) {
	if !a.normalize() {
		return nil, false
	}
	top := &a.frames[len(a.frames)-1]
	return &top.steps[top.pc], true
}

// advance moves past the step next returned.
func (a *actorState) advance() {
	a.frames[len(a.frames)-1].pc++
	a.taken++
}

// maxRemaining bounds the virtual time the actor's remaining steps can take
// (the longer branch of each `if`).
func (a *actorState) maxRemaining() time.Duration {
	var d time.Duration
	for i := range a.frames {
		f := a.frames[i]
		d += maxTook(f.steps[min(f.pc, len(f.steps)):])
	}
	return d
}

func maxTook(steps []Step) time.Duration {
	var d time.Duration
	for _, s := range steps {
		if s.Op == OpIf {
			d += max(maxTook(s.Then), maxTook(s.Else))
			continue
		}
		d += s.Took
	}
	return d
}

// An actorMemory is what an actor remembers between steps: the result of its
// last step (for `if`), the value it last read or wrote (for a set without
// a value of its own) and its lease tokens, one per key. The Runner and the
// exploration machine share it, and with it what a step takes from it and
// leaves in it.
type actorMemory struct {
	last        string // result of the previous step other than a sleep, for `if`
	lastValue   string // value last read (or written)
	lastVersion int
	hasLast     bool
	leases      *leaseToken // the token of each key's latest lease.get, newest first
	tokens      int         // lease tokens handed out so far
}

// A leaseToken is the token an actor's lease.get on key asked for. The
// list is never changed, only added to at its head, so copies of an
// actorMemory (exploration copies them at every branch point) can share it.
type leaseToken struct {
	key, token string
	next       *leaseToken
}

// leaseToken returns the token of the actor's latest lease.get on key, or
// "" when it never asked for a lease there.
func (m *actorMemory) leaseToken(key string) string {
	for l := m.leases; l != nil; l = l.next {
		if l.key == key {
			return l.token
		}
	}
	return ""
}

// saw remembers a database step's result and row.
func (m *actorMemory) saw(result, value string, version int) {
	m.last, m.lastValue, m.lastVersion, m.hasLast = result, value, version, true
}

// prepare fills in the parts of cache step st's command that come from the
// actor (op has Op, Key, TTL and NX already): the value a set writes, the
// expiry instant, the lease and its token. It returns a note for the event,
// or "".
func (m *actorMemory) prepare(op *cacheOp, st *Step, name string, epoch time.Time) string {
	note := ""
	switch st.Op {
	case OpCacheSet, OpLeaseSet, OpCASSet:
		op.Value, op.Version = m.written(st)
		if !st.HasValue && !m.hasLast {
			note = "nothing read yet: setting an empty value"
		}
	case OpCacheExpire:
		if st.HasExpireAt {
			op.ExpireAt = epoch.Add(st.ExpireAt)
		}
	case OpLeaseGet:
		m.tokens++
		op.Token = fmt.Sprintf("%s#%d", name, m.tokens)
		m.leases = &leaseToken{key: st.Key, token: op.Token, next: m.leases}
		op.Lease = st.Lease
		if op.Lease <= 0 {
			op.Lease = DefaultLease
		}
	}
	if st.Op == OpLeaseSet {
		op.Token = m.leaseToken(st.Key)
	}
	return note
}

// written is the value a set step writes, its own or the last one the
// actor read, and the version that goes with it.
func (m *actorMemory) written(st *Step) (string, int) {
	if st.HasValue {
		return st.Value, m.lastVersion
	}
	return m.lastValue, m.lastVersion
}

// observe remembers a cache step's reply.
func (m *actorMemory) observe(st *Step, rep *cacheReply) {
	m.last = rep.Result
	if (st.Op == OpCacheGet || st.Op == OpLeaseGet || st.Op == OpCASGet) && rep.Result == "hit" {
		m.lastValue, m.lastVersion, m.hasLast = rep.Value, rep.Version, true
	}
}

// Notes the engine adds to events, where the classification reads them.
const (
	noteNoRow = "no such row"
	// noteGoneAtOnce marks a cache.expire whose instant was already past:
	// Redis deletes the key at once, as a DEL would.
	noteGoneAtOnce = "the expiry instant is already past: the key is deleted now"
)

// stepNote is the note of cache step st, run at instant end: the reply's,
// else prepare's, else what the step did that its reply does not say.
func stepNote(st *Step, rep *cacheReply, prepared string, epoch time.Time, end time.Duration) string {
	switch {
	case rep.Note != "":
		return rep.Note
	case prepared != "":
		return prepared
	case st.Op == OpCacheExpire && rep.Result == "ok" && goneAtOnce(st, epoch, end):
		return noteGoneAtOnce
	}
	return ""
}

// goneAtOnce reports whether cache.expire step st, run at instant end,
// deletes its key at once: PEXPIREAT an instant already past, or PEXPIRE
// of nothing.
func goneAtOnce(st *Step, epoch time.Time, end time.Duration) bool {
	if st.HasExpireAt {
		return !time.UnixMilli(epoch.Add(st.ExpireAt).UnixMilli()).After(epoch.Add(end))
	}
	return clientTTL(st.TTL) <= 0
}
