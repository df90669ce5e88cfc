package engine

import (
	"sort"
	"strconv"
	"time"

	"github.com/racetape/racetape/timeline"
)

// modelBackend is a pure-Go model of miniredis's key space, for
// exploration: string keys and the CAS hashes, the same commands and
// scripts as directBackend (both are keyspaces of cache_commands.go),
// without miniredis's mutex, maps and per-key bookkeeping. Its state is a
// short slice, so exploration can copy it at a branch point and put it
// back instead of replaying the prefix.
//
// TTLs follow miniredis's ClockTTL clock: each key keeps its remaining
// time; every operation first ticks, taking the time elapsed since the last
// tick off every TTL and deleting the keys whose TTL is then <= 0 (a key is
// gone at its expiry instant); moving the clock backwards moves the tick's
// baseline with it. It gives byte-identical timelines to the other
// backends (TestBackendsAgree).
type modelBackend struct {
	keys  []modelEntry
	epoch time.Time
	// now and lastTick are offsets from epoch.
	now      time.Duration
	lastTick time.Duration
}

// A modelEntry is one key: a string, or a CAS hash (fields v and val,
// always written together).
type modelEntry struct {
	key    string
	hash   bool
	val    string
	ver    string // the hash's field v
	ttl    time.Duration
	hasTTL bool
}

func newModelBackend(epoch time.Time) *modelBackend {
	return &modelBackend{epoch: epoch}
}

func (b *modelBackend) name() string           { return "miniredis" }
func (b *modelBackend) clockControlled() bool  { return true }
func (b *modelBackend) connect([]string) error { return nil }
func (b *modelBackend) close()                 {}

func (b *modelBackend) setNow(t time.Time) { b.setAt(t.Sub(b.epoch)) }

// setAt is setNow at epoch+at.
func (b *modelBackend) setAt(at time.Duration) {
	b.now = at
	if at < b.lastTick {
		b.lastTick = at
	}
}

// tick advances the TTLs to the current instant, as miniredis does on
// every access.
func (b *modelBackend) tick() {
	elapsed := b.now - b.lastTick
	if elapsed <= 0 {
		return
	}
	b.lastTick = b.now
	gone := false
	for i := range b.keys {
		if e := &b.keys[i]; e.hasTTL {
			e.ttl -= elapsed
			gone = gone || e.ttl <= 0
		}
	}
	if !gone {
		return
	}
	out := b.keys[:0]
	for _, e := range b.keys {
		if !e.hasTTL || e.ttl > 0 {
			out = append(out, e)
		}
	}
	clear(b.keys[len(out):])
	b.keys = out
}

func (b *modelBackend) find(key string) *modelEntry {
	for i := range b.keys {
		if b.keys[i].key == key {
			return &b.keys[i]
		}
	}
	return nil
}

// del deletes key and its TTL; it reports whether the key existed.
func (b *modelBackend) del(key string) bool {
	for i := range b.keys {
		if b.keys[i].key == key {
			last := len(b.keys) - 1
			b.keys[i] = b.keys[last]
			b.keys[last] = modelEntry{}
			b.keys = b.keys[:last]
			return true
		}
	}
	return false
}

func (b *modelBackend) flush() error {
	b.tick()
	clear(b.keys)
	b.keys = b.keys[:0]
	return nil
}

func (b *modelBackend) seed(s Seed) error {
	b.tick()
	seedEntry(b, s)
	return nil
}

// setString is SET key value [PX ttl]: it replaces a key of any type and
// drops any previous TTL.
func (b *modelBackend) setString(key, value string, ttl time.Duration) {
	e := b.find(key)
	if e == nil {
		b.keys = append(b.keys, modelEntry{key: key})
		e = &b.keys[len(b.keys)-1]
	}
	*e = modelEntry{key: key, val: value, ttl: ttl, hasTTL: ttl > 0}
}

func (b *modelBackend) entryOf(e *modelEntry) timeline.CacheEntry {
	out := timeline.CacheEntry{Key: e.key, Value: e.val, TTL: -1}
	if e.hash {
		out.Version, _ = strconv.Atoi(e.ver)
	}
	if e.hasTTL && e.ttl > 0 {
		out.TTL = e.ttl
	}
	return out
}

func (b *modelBackend) snapshot() ([]timeline.CacheEntry, error) {
	b.tick()
	out := make([]timeline.CacheEntry, 0, len(b.keys))
	for i := range b.keys {
		out = append(out, b.entryOf(&b.keys[i]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (b *modelBackend) entry(key string) (timeline.CacheEntry, bool, error) {
	b.tick()
	e := b.find(key)
	if e == nil {
		return timeline.CacheEntry{Key: key, TTL: -1}, false, nil
	}
	return b.entryOf(e), true, nil
}

func (b *modelBackend) do(_ int, op cacheOp) (cacheReply, error) {
	return b.doOp(&op)
}

// doOp is do without copying the op.
func (b *modelBackend) doOp(op *cacheOp) (cacheReply, error) {
	b.tick()
	return runCommand(b, op)
}

func (b *modelBackend) lookup(key string) (string, string) {
	switch e := b.find(key); {
	case e == nil:
		return "", ""
	case e.hash:
		return "hash", ""
	default:
		return "string", e.val
	}
}

func (b *modelBackend) setTTL(key string, ttl time.Duration) {
	e := b.find(key)
	e.ttl, e.hasTTL = ttl, true
}

func (b *modelBackend) casFields(key string) (string, bool, string, bool) {
	if e := b.find(key); e != nil && e.hash {
		return e.ver, true, e.val, true // written together
	}
	return "", false, "", false
}

func (b *modelBackend) casWrite(key, v, val string) {
	e := b.find(key)
	if e == nil {
		b.keys = append(b.keys, modelEntry{key: key, hash: true})
		e = &b.keys[len(b.keys)-1]
	}
	e.ver, e.val = v, val
}

func (b *modelBackend) clock() time.Time { return b.epoch.Add(b.now) }
