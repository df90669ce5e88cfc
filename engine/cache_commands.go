package engine

import (
	"fmt"
	"strconv"
	"time"
)

// A keyspace is where cache steps run without RESP: miniredis's database
// through its Go API (directBackend) or the pure-Go model (modelBackend).
// The commands and the protocol helpers' Lua scripts are written once over
// it, below, so the two give the same replies by construction; they must be
// the replies go-redis gets from miniredis, error texts included
// (TestBackendsAgree). The details that matters for:
//   - go-redis sends a TTL as PX milliseconds (or EX seconds when whole),
//     truncated, and at least 1 ms; a script's TTL argument is truncated to
//     milliseconds and 0 means none;
//   - PEXPIREAT takes a millisecond Unix time, PEXPIRE 0 deletes the key;
//   - SET replaces a key of any type and drops its TTL; HSET keeps it;
//   - a Redis error inside a script comes back as miniredis's Lua error
//     text, naming the script line of the failing redis.call.
//
// The caller ticks the keyspace's clock to the current instant first, as
// miniredis does on every command.
type keyspace interface {
	// lookup returns key's type ("" when there is no such key, "string",
	// "hash") and, for a string, its value.
	lookup(key string) (typ, value string)
	// setString is SET key value [PX ttl]: it replaces a key of any type
	// and drops any previous TTL (0: none).
	setString(key, value string, ttl time.Duration)
	// del deletes key and reports whether it existed.
	del(key string) bool
	// setTTL sets the remaining life of key, which exists, to ttl > 0.
	setTTL(key string, ttl time.Duration)
	// casFields returns the fields v and val of hash key, and whether each
	// is there.
	casFields(key string) (v string, hasV bool, val string, hasVal bool)
	// casWrite is HSET key v V val VAL: it makes a hash if there is no key,
	// and keeps the TTL.
	casWrite(key, v, val string)
	// clock is the keyspace's current instant.
	clock() time.Time
}

// Error replies, as miniredis writes them.
const (
	msgWrongType     = "WRONGTYPE Operation against a key holding the wrong kind of value"
	msgInvalidSETime = "ERR invalid expire time in set"
)

// scriptError renders a Redis error raised by redis.call on line line of a
// script the way miniredis's Lua engine reports it.
func scriptError(line int, msg string) string {
	return fmt.Sprintf("ERR Error compiling script (new function): :%d: %s stack traceback:  [G]: in function 'call'  :%d: in main chunk  [G]: ?", line, msg, line)
}

func failReply(note string) cacheReply { return cacheReply{Result: "fail", Note: note} }

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

// runCommand runs op on ks.
func runCommand(ks keyspace, op *cacheOp) (cacheReply, error) {
	switch op.Op {
	case OpCacheGet:
		return cmdGet(ks, op.Key), nil
	case OpCacheSet:
		return cmdSet(ks, op.Key, op.Value, op.TTL, op.NX), nil
	case OpCacheDel, OpLeaseDel:
		return cmdDel(ks, op.Key, op.Op == OpLeaseDel), nil
	case OpCacheExpire:
		return cmdExpire(ks, op), nil
	case OpLeaseGet:
		return cmdLeaseGet(ks, op), nil
	case OpLeaseSet:
		r, ok := cmdLeaseSet(ks, op)
		if ok { // an error reply carries no value, as behind go-redis
			r.Value = op.Value
		}
		return r, nil
	case OpCASGet:
		return cmdCASGet(ks, op.Key), nil
	case OpCASSet:
		r, ok := cmdCASSet(ks, op)
		if ok {
			r.Value, r.Version = op.Value, op.Version
		}
		return r, nil
	}
	return cacheReply{}, fmt.Errorf("op %q is not a cache op", op.Op)
}

// seedEntry writes an initial cache entry: SET key value [PX ttl], or for
// a versioned entry HSET key v VERSION val VALUE [PEXPIRE ttl].
func seedEntry(ks keyspace, s Seed) {
	if s.Version <= 0 {
		ks.setString(s.Key, s.Value, clientTTL(s.TTL))
		return
	}
	ks.casWrite(s.Key, strconv.Itoa(s.Version), s.Value)
	if s.TTL > 0 {
		ks.setTTL(s.Key, clientTTL(s.TTL))
	}
}

// cmdGet is GET key.
func cmdGet(ks keyspace, key string) cacheReply {
	switch typ, v := ks.lookup(key); typ {
	case "":
		return cacheReply{Result: "miss"}
	case "string":
		return cacheReply{Result: "hit", Value: v}
	}
	return cacheReply{Result: "fail", Note: msgWrongType}
}

// cmdSet is SET key value [PX ttl] [NX].
func cmdSet(ks keyspace, key, value string, ttl time.Duration, nx bool) cacheReply {
	if nx {
		if typ, _ := ks.lookup(key); typ != "" {
			return cacheReply{Result: "fail", Value: value, Note: "NX: key already set"}
		}
	}
	ks.setString(key, value, clientTTL(ttl))
	return cacheReply{Result: "ok", Value: value}
}

// cmdDel is DEL key, and with lease its lease key too.
func cmdDel(ks keyspace, key string, lease bool) cacheReply {
	n := ks.del(key)
	if lease && ks.del(leaseKey(key)) {
		n = true
	}
	if !n {
		return cacheReply{Result: "ok", Note: "nothing to delete"}
	}
	return cacheReply{Result: "ok"}
}

// cmdExpire is PEXPIRE key ms, or PEXPIREAT key unix-ms.
func cmdExpire(ks keyspace, op *cacheOp) cacheReply {
	if typ, _ := ks.lookup(op.Key); typ == "" {
		return cacheReply{Result: "fail", Note: "no such key"}
	}
	ttl := clientTTL(op.TTL)
	if !op.ExpireAt.IsZero() {
		ttl = time.UnixMilli(op.ExpireAt.UnixMilli()).Sub(ks.clock())
	}
	expire(ks, op.Key, ttl)
	return cacheReply{Result: "ok"}
}

// expire sets key's remaining life; a TTL that is already over deletes it.
func expire(ks keyspace, key string, ttl time.Duration) {
	if ttl <= 0 {
		ks.del(key)
		return
	}
	ks.setTTL(key, ttl)
}

// cmdLeaseGet is scriptLeaseGet.
func cmdLeaseGet(ks keyspace, op *cacheOp) cacheReply {
	switch typ, v := ks.lookup(op.Key); typ { // line 1: GET key
	case "":
	case "string":
		return pairReply([]string{"hit", v}, op.Op)
	default:
		return failReply(scriptError(1, msgWrongType))
	}
	// line 3: SET lease token NX PX ms
	ms := op.Lease.Milliseconds()
	if ms <= 0 {
		return failReply(scriptError(3, msgInvalidSETime))
	}
	lk := leaseKey(op.Key)
	switch typ, h := ks.lookup(lk); typ {
	case "":
		ks.setString(lk, op.Token, time.Duration(ms)*time.Millisecond)
		return pairReply([]string{"miss", ""}, op.Op)
	case "string": // line 4: GET lease
		return pairReply([]string{"fail", h}, op.Op)
	}
	return failReply(scriptError(4, msgWrongType))
}

// cmdLeaseSet is scriptLeaseSet; false when the script fails.
func cmdLeaseSet(ks keyspace, op *cacheOp) (cacheReply, bool) {
	lk := leaseKey(op.Key)
	typ, h := ks.lookup(lk) // line 1: GET lease
	if typ != "" && typ != "string" {
		return failReply(scriptError(1, msgWrongType)), false
	}
	if typ == "" || h != op.Token {
		return pairReply([]string{"fail", h}, op.Op), true
	}
	ks.setString(op.Key, op.Value, scriptTTL(op.TTL))
	ks.del(lk)
	return pairReply([]string{"ok", ""}, op.Op), true
}

// cmdCASGet is HMGET key v val on a versioned entry.
func cmdCASGet(ks keyspace, key string) cacheReply {
	switch typ, _ := ks.lookup(key); typ {
	case "":
		return cacheReply{Result: "miss"}
	case "hash":
	default:
		return cacheReply{Result: "fail", Note: msgWrongType}
	}
	v, _, val, ok := ks.casFields(key)
	if !ok {
		return cacheReply{Result: "miss"}
	}
	ver, _ := strconv.Atoi(v)
	return cacheReply{Result: "hit", Value: val, Version: ver}
}

// cmdCASSet is scriptCASSet; false when the script fails.
func cmdCASSet(ks keyspace, op *cacheOp) (cacheReply, bool) {
	switch typ, _ := ks.lookup(op.Key); typ { // line 1: HGET key v
	case "":
	case "hash":
		if cur, ok, _, _ := ks.casFields(op.Key); ok {
			if n, _ := strconv.Atoi(cur); n >= op.Version {
				return pairReply([]string{"fail", cur}, op.Op), true
			}
		}
	default:
		return failReply(scriptError(1, msgWrongType)), false
	}
	ks.casWrite(op.Key, strconv.Itoa(op.Version), op.Value)
	if ttl := scriptTTL(op.TTL); ttl > 0 {
		expire(ks, op.Key, ttl)
	}
	return pairReply([]string{"ok", ""}, op.Op), true
}
