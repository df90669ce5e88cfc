package engine

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/racetape/racetape/timeline"
)

// modelBackend is a pure-Go model of the cache, for exploration only: the
// exact semantics of the steps on miniredis (string keys, the CAS hashes,
// GET/SET [PX] [NX]/DEL/PEXPIRE/PEXPIREAT, the lease and CAS scripts as
// directBackend runs them), without miniredis's mutex, maps and per-key
// bookkeeping. Its state is a short slice, so exploration can copy it at a
// branch point and put it back instead of replaying the prefix.
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

func (b *modelBackend) seed(key, value string, ttl time.Duration) error {
	b.tick()
	b.setString(key, value, clientTTL(ttl))
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

// get is GET key: the value, whether it exists, or a WRONGTYPE error.
func (b *modelBackend) get(key string) (string, bool, error) {
	e := b.find(key)
	switch {
	case e == nil:
		return "", false, nil
	case e.hash:
		return "", false, errWrongType
	}
	return e.val, true, nil
}

// expire sets key's remaining life; a TTL that is already over deletes it.
// The key exists.
func (b *modelBackend) expire(e *modelEntry, ttl time.Duration) {
	if ttl <= 0 {
		b.del(e.key)
		return
	}
	e.ttl, e.hasTTL = ttl, true
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
	switch op.Op {
	case OpCacheGet:
		return b.getCmd(op.Key), nil
	case OpCacheSet:
		return b.setCmd(op.Key, op.Value, op.TTL, op.NX), nil
	case OpCacheDel, OpLeaseDel:
		return b.delCmd(op.Key, op.Op == OpLeaseDel), nil
	case OpCacheExpire:
		e := b.find(op.Key)
		if e == nil {
			return cacheReply{Result: "fail", Note: "no such key"}, nil
		}
		if !op.ExpireAt.IsZero() {
			b.expire(e, time.UnixMilli(op.ExpireAt.UnixMilli()).Sub(b.epoch.Add(b.now)))
		} else {
			b.expire(e, clientTTL(op.TTL))
		}
		return cacheReply{Result: "ok"}, nil
	case OpLeaseGet:
		return b.leaseGet(op), nil
	case OpLeaseSet:
		r, ok := b.leaseSet(op)
		if ok {
			r.Value = op.Value
		}
		return r, nil
	case OpCASGet:
		e := b.find(op.Key)
		switch {
		case e == nil:
			return cacheReply{Result: "miss"}, nil
		case !e.hash:
			return cacheReply{Result: "fail", Note: msgWrongType}, nil
		}
		ver, _ := strconv.Atoi(e.ver)
		return cacheReply{Result: "hit", Value: e.val, Version: ver}, nil
	case OpCASSet:
		r, ok := b.casSet(op)
		if ok {
			r.Value, r.Version = op.Value, op.Version
		}
		return r, nil
	}
	return cacheReply{}, fmt.Errorf("op %q is not a cache op", op.Op)
}

// getCmd is GET key (after a tick).
func (b *modelBackend) getCmd(key string) cacheReply {
	v, ok, err := b.get(key)
	if err != nil {
		return cacheReply{Result: "fail", Note: msgWrongType}
	}
	if !ok {
		return cacheReply{Result: "miss"}
	}
	return cacheReply{Result: "hit", Value: v}
}

// setCmd is SET key value [PX ttl] [NX] (after a tick).
func (b *modelBackend) setCmd(key, value string, ttl time.Duration, nx bool) cacheReply {
	if nx && b.find(key) != nil {
		return cacheReply{Result: "fail", Value: value, Note: "NX: key already set"}
	}
	b.setString(key, value, clientTTL(ttl))
	return cacheReply{Result: "ok", Value: value}
}

// delCmd is DEL key, and with lease its lease key too (after a tick).
func (b *modelBackend) delCmd(key string, lease bool) cacheReply {
	n := b.del(key)
	if lease && b.del(leaseKey(key)) {
		n = true
	}
	if !n {
		return cacheReply{Result: "ok", Note: "nothing to delete"}
	}
	return cacheReply{Result: "ok"}
}

// leaseGet is scriptLeaseGet.
func (b *modelBackend) leaseGet(op *cacheOp) cacheReply {
	lk := leaseKey(op.Key)
	v, ok, err := b.get(op.Key) // line 1
	if err != nil {
		return failReply(scriptError(1, err.Error()))
	}
	if ok {
		return cacheReply{Result: "hit", Value: v}
	}
	ms := op.Lease.Milliseconds() // line 3: SET lease token NX PX ms
	if ms <= 0 {
		return failReply(scriptError(3, msgInvalidSETime))
	}
	if b.find(lk) == nil {
		b.setString(lk, op.Token, time.Duration(ms)*time.Millisecond)
		return cacheReply{Result: "miss", Note: "lease granted"}
	}
	h, _, err := b.get(lk) // line 4
	if err != nil {
		return failReply(scriptError(4, err.Error()))
	}
	return pairReply([]string{"fail", h}, op.Op)
}

// leaseSet is scriptLeaseSet; false when the script fails.
func (b *modelBackend) leaseSet(op *cacheOp) (cacheReply, bool) {
	lk := leaseKey(op.Key)
	h, ok, err := b.get(lk) // line 1
	if err != nil {
		return failReply(scriptError(1, err.Error())), false
	}
	if !ok || h != op.Token {
		return pairReply([]string{"fail", h}, op.Op), true
	}
	b.setString(op.Key, op.Value, scriptTTL(op.TTL))
	b.del(lk)
	return cacheReply{Result: "ok"}, true
}

// casSet is scriptCASSet; false when the script fails.
func (b *modelBackend) casSet(op *cacheOp) (cacheReply, bool) {
	e := b.find(op.Key)
	if e != nil && !e.hash { // line 1: HGET key v
		return failReply(scriptError(1, msgWrongType)), false
	}
	if e != nil {
		if n, _ := strconv.Atoi(e.ver); n >= op.Version {
			return pairReply([]string{"fail", e.ver}, op.Op), true
		}
	} else {
		b.keys = append(b.keys, modelEntry{key: op.Key, hash: true})
		e = &b.keys[len(b.keys)-1]
	}
	e.ver, e.val = strconv.Itoa(op.Version), op.Value
	if ttl := scriptTTL(op.TTL); ttl > 0 {
		b.expire(e, ttl)
	}
	return cacheReply{Result: "ok"}, true
}
