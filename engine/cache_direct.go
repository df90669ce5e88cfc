package engine

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/racetape/racetape/timeline"
)

// directBackend drives the embedded miniredis through its Go API (m.Get,
// m.Set, m.SetTTL, …) instead of RESP over go-redis: about a hundred times
// cheaper per command, which is what exhaustive exploration needs. The
// protocol helpers' Lua scripts are re-implemented in Go.
//
// It must give exactly the replies the go-redis path gives, error texts
// included, for the same operations at the same instants: a run gives a
// byte-identical timeline on either path (TestBackendsAgree). The details
// it copies:
//   - go-redis sends a TTL as PX milliseconds (or EX seconds when whole),
//     truncated, and at least 1 ms; a script's TTL argument is truncated to
//     milliseconds and 0 means none;
//   - PEXPIREAT takes a millisecond Unix time, PEXPIRE 0 deletes the key;
//   - SET replaces a key of any type and drops its TTL; HSET keeps it;
//   - a Redis error inside a script comes back as miniredis's Lua error
//     text, naming the script line of the failing redis.call.
//
// Each operation starts with m.DB(0), which ticks miniredis's ClockTTL
// clock to the current instant as a command would, so keys expire exactly
// as they do behind RESP; the operation's accessors then go to that
// *RedisDB (which does not tick again: the instant is the same).
type directBackend struct {
	m   *miniredis.Miniredis
	db  *miniredis.RedisDB // the current operation's database, ticked
	now time.Time
}

// tick brings the database to the current instant for an operation.
func (b *directBackend) tick() *miniredis.RedisDB {
	b.db = b.m.DB(0)
	return b.db
}

func newDirectBackend(m *miniredis.Miniredis) *directBackend {
	return &directBackend{m: m}
}

// Error replies, as miniredis writes them.
const (
	msgWrongType     = "WRONGTYPE Operation against a key holding the wrong kind of value"
	msgInvalidSETime = "ERR invalid expire time in set"
)

// errWrongType is a WRONGTYPE error reply.
var errWrongType = errors.New(msgWrongType)

// scriptError renders a Redis error raised by redis.call on line line of a
// script the way miniredis's Lua engine reports it.
func scriptError(line int, msg string) string {
	return fmt.Sprintf("ERR Error compiling script (new function): :%d: %s stack traceback:  [G]: in function 'call'  :%d: in main chunk  [G]: ?", line, msg, line)
}

func (b *directBackend) name() string           { return "miniredis" }
func (b *directBackend) clockControlled() bool  { return true }
func (b *directBackend) connect([]string) error { return nil }
func (b *directBackend) close()                 {}

func (b *directBackend) setNow(t time.Time) {
	b.now = t
	b.m.SetTime(t)
}

// flush deletes every key, which leaves the cache as FLUSHALL does but
// keeps miniredis's maps (FlushAll makes eleven new ones, and exploration
// flushes once per schedule).
func (b *directBackend) flush() error {
	db := b.tick()
	for _, k := range db.Keys() {
		db.Del(k)
	}
	return nil
}

func (b *directBackend) snapshot() ([]timeline.CacheEntry, error) {
	return miniSnapshot(b.m), nil
}

func (b *directBackend) entry(key string) (timeline.CacheEntry, bool, error) {
	db := b.tick()
	e := timeline.CacheEntry{Key: key, TTL: -1}
	switch db.Type(key) {
	case "string":
		e.Value, _ = db.Get(key)
	case "hash":
		e.Value = db.HGet(key, "val")
		e.Version, _ = strconv.Atoi(db.HGet(key, "v"))
	default:
		return e, false, nil
	}
	if ttl := db.TTL(key); ttl > 0 {
		e.TTL = ttl
	}
	return e, true, nil
}

// clientTTL is the TTL go-redis sends for d: whole seconds as EX, anything
// else as PX milliseconds, truncated, at least 1 ms.
func clientTTL(d time.Duration) time.Duration {
	if d > 0 && d < time.Millisecond {
		return time.Millisecond
	}
	return d.Truncate(time.Millisecond)
}

// scriptTTL is the TTL a script sets from a millisecond argument: truncated,
// 0 means none.
func scriptTTL(d time.Duration) time.Duration {
	return time.Duration(d.Milliseconds()) * time.Millisecond
}

func (b *directBackend) seed(key, value string, ttl time.Duration) error {
	b.tick()
	b.setString(key, value, clientTTL(ttl))
	return nil
}

// setString is SET key value [PX ttl]: it replaces a key of any type and
// drops any previous TTL.
func (b *directBackend) setString(key, value string, ttl time.Duration) {
	b.db.Del(key)
	_ = b.db.Set(key, value) // cannot fail: the key is gone
	if ttl > 0 {
		b.db.SetTTL(key, ttl)
	}
}

// get is GET key: the value, whether it exists, or a WRONGTYPE error.
func (b *directBackend) get(key string) (string, bool, error) {
	v, err := b.db.Get(key)
	switch {
	case errors.Is(err, miniredis.ErrKeyNotFound):
		return "", false, nil
	case errors.Is(err, miniredis.ErrWrongType):
		return "", false, errWrongType
	}
	return v, true, nil
}

// expire sets key's remaining life; a TTL that is already over deletes it,
// as PEXPIRE does.
func (b *directBackend) expire(key string, ttl time.Duration) {
	if ttl <= 0 {
		b.db.Del(key)
		return
	}
	b.db.SetTTL(key, ttl)
}

func (b *directBackend) do(_ int, op cacheOp) (cacheReply, error) {
	m := b.tick()
	switch op.Op {
	case OpCacheGet:
		v, ok, err := b.get(op.Key)
		if err != nil {
			return cacheReply{Result: "fail", Note: err.Error()}, nil
		}
		if !ok {
			return cacheReply{Result: "miss"}, nil
		}
		return cacheReply{Result: "hit", Value: v}, nil
	case OpCacheSet:
		if op.NX && m.Exists(op.Key) {
			return cacheReply{Result: "fail", Value: op.Value, Note: "NX: key already set"}, nil
		}
		b.setString(op.Key, op.Value, clientTTL(op.TTL))
		return cacheReply{Result: "ok", Value: op.Value}, nil
	case OpCacheDel, OpLeaseDel:
		n := m.Del(op.Key)
		if op.Op == OpLeaseDel && m.Del(leaseKey(op.Key)) {
			n = true
		}
		if !n {
			return cacheReply{Result: "ok", Note: "nothing to delete"}, nil
		}
		return cacheReply{Result: "ok"}, nil
	case OpCacheExpire:
		if !m.Exists(op.Key) {
			return cacheReply{Result: "fail", Note: "no such key"}, nil
		}
		if !op.ExpireAt.IsZero() {
			b.expire(op.Key, time.UnixMilli(op.ExpireAt.UnixMilli()).Sub(b.now))
		} else {
			b.expire(op.Key, clientTTL(op.TTL))
		}
		return cacheReply{Result: "ok"}, nil
	case OpLeaseGet:
		return b.leaseGet(op), nil
	case OpLeaseSet:
		r, ok := b.leaseSet(op)
		if ok { // an error reply carries no value, as behind go-redis
			r.Value = op.Value
		}
		return r, nil
	case OpCASGet:
		switch m.Type(op.Key) {
		case "":
			return cacheReply{Result: "miss"}, nil
		case "hash":
		default:
			return cacheReply{Result: "fail", Note: msgWrongType}, nil
		}
		val, ok := hashField(m, op.Key, "val")
		if !ok {
			return cacheReply{Result: "miss"}, nil
		}
		ver, _ := strconv.Atoi(m.HGet(op.Key, "v"))
		return cacheReply{Result: "hit", Value: val, Version: ver}, nil
	case OpCASSet:
		r, ok := b.casSet(op)
		if ok {
			r.Value, r.Version = op.Value, op.Version
		}
		return r, nil
	}
	return cacheReply{}, fmt.Errorf("op %q is not a cache op", op.Op)
}

// hashField is HGET key field on a hash key, telling a missing field from an
// empty one.
func hashField(m *miniredis.RedisDB, key, field string) (string, bool) {
	if v := m.HGet(key, field); v != "" {
		return v, true
	}
	fields, _ := m.HKeys(key)
	for _, f := range fields {
		if f == field {
			return "", true
		}
	}
	return "", false
}

// leaseGet is scriptLeaseGet in Go.
func (b *directBackend) leaseGet(op cacheOp) cacheReply {
	m := b.db
	lk := leaseKey(op.Key)
	v, ok, err := b.get(op.Key) // line 1
	if err != nil {
		return failReply(scriptError(1, err.Error()))
	}
	if ok {
		return pairReply([]string{"hit", v}, op.Op)
	}
	// line 3: SET lease token NX PX ms
	ms := op.Lease.Milliseconds()
	if ms <= 0 {
		return failReply(scriptError(3, msgInvalidSETime))
	}
	if !m.Exists(lk) {
		b.setString(lk, op.Token, time.Duration(ms)*time.Millisecond)
		return pairReply([]string{"miss", ""}, op.Op)
	}
	h, _, err := b.get(lk) // line 4
	if err != nil {
		return failReply(scriptError(4, err.Error()))
	}
	return pairReply([]string{"fail", h}, op.Op)
}

// leaseSet is scriptLeaseSet in Go; false when the script fails.
func (b *directBackend) leaseSet(op cacheOp) (cacheReply, bool) {
	lk := leaseKey(op.Key)
	h, ok, err := b.get(lk) // line 1
	if err != nil {
		return failReply(scriptError(1, err.Error())), false
	}
	if !ok || h != op.Token {
		return pairReply([]string{"fail", h}, op.Op), true
	}
	b.setString(op.Key, op.Value, scriptTTL(op.TTL))
	b.db.Del(lk)
	return pairReply([]string{"ok", ""}, op.Op), true
}

// casSet is scriptCASSet in Go; false when the script fails.
func (b *directBackend) casSet(op cacheOp) (cacheReply, bool) {
	m := b.db
	switch m.Type(op.Key) { // line 1: HGET key v
	case "", "hash":
	default:
		return failReply(scriptError(1, msgWrongType)), false
	}
	if cur, ok := hashField(m, op.Key, "v"); ok {
		if n, _ := strconv.Atoi(cur); n >= op.Version {
			return pairReply([]string{"fail", cur}, op.Op), true
		}
	}
	m.HSet(op.Key, "v", strconv.Itoa(op.Version), "val", op.Value)
	if ttl := scriptTTL(op.TTL); ttl > 0 {
		b.expire(op.Key, ttl)
	}
	return pairReply([]string{"ok", ""}, op.Op), true
}

func failReply(note string) cacheReply { return cacheReply{Result: "fail", Note: note} }
