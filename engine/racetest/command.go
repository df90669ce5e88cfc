package racetest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/racetape/racetape/engine"
)

// A command is what an actor is parked at: one Redis command, a
// MULTI/EXEC transaction, or a database call. Its footprint tells the
// reduction which other steps it may not commute with.
type command struct {
	name string // lowercase Redis command, "multi" for a transaction, or db.read, db.write, db.tx
	text string // as the lanes show it: "SET order:42 PAID EX 300"
	key  string // the first key, "" when none
	fp   engine.Footprint
	// value is what a write puts in the cache (SET's value), for the event.
	value string
}

// Commands that are never yield points: they set up or probe a connection
// (go-redis sends some of them on its own, sometimes from a pool
// goroutine), and touch no data.
var connectionCommands = map[string]bool{
	"hello": true, "client": true, "ping": true, "auth": true, "select": true,
	"unwatch": true, "quit": true, "reset": true, "echo": true, "readonly": true, "readwrite": true,
}

// passThrough says whether a command goes to the server without being a
// step.
func passThrough(cmd redis.Cmder) bool { return connectionCommands[cmd.Name()] }

// How commands name their keys.
type keySpec uint8

const (
	keyFirst  keySpec = iota // the first argument
	keyAll                   // every argument
	keyPairs                 // every other argument, from the first (MSET)
	keyScript                // EVAL script numkeys key...
	keyNone
)

// A commandKind is what a known command does to its keys.
type commandKind struct {
	keys  keySpec
	write bool
	op    string // the engine's step name for the event
}

// kinds lists the commands whose keys and effects the reduction knows.
// Any other command depends on every step.
var kinds = func() map[string]commandKind {
	m := map[string]commandKind{}
	add := func(k commandKind, names ...string) {
		for _, n := range names {
			m[n] = k
		}
	}
	add(commandKind{keys: keyFirst, op: string(engine.OpCacheGet)}, "get")
	add(commandKind{keys: keyFirst}, "strlen", "getrange", "ttl", "pttl", "type", "expiretime", "pexpiretime",
		"hget", "hmget", "hgetall", "hexists", "hlen", "hkeys", "hvals", "hstrlen",
		"lrange", "llen", "lindex", "smembers", "sismember", "scard", "zrange", "zscore", "zcard", "zrank", "dump")
	add(commandKind{keys: keyAll}, "mget", "exists", "watch", "touch")
	add(commandKind{keys: keyFirst, write: true, op: string(engine.OpCacheSet)}, "set", "setex", "psetex", "setnx", "getset")
	add(commandKind{keys: keyPairs, write: true, op: string(engine.OpCacheSet)}, "mset", "msetnx")
	add(commandKind{keys: keyAll, write: true, op: string(engine.OpCacheDel)}, "del", "unlink")
	add(commandKind{keys: keyFirst, write: true, op: string(engine.OpCacheDel)}, "getdel")
	add(commandKind{keys: keyFirst, write: true, op: string(engine.OpCacheExpire)}, "expire", "pexpire", "expireat", "pexpireat")
	add(commandKind{keys: keyFirst, write: true}, "getex", "persist", "append", "incr", "incrby", "incrbyfloat", "decr", "decrby", "setrange",
		"hset", "hsetnx", "hmset", "hdel", "hincrby", "hincrbyfloat", "hexpire", "hpexpire",
		"lpush", "rpush", "lpop", "rpop", "lset", "lrem", "ltrim", "sadd", "srem", "spop", "zadd", "zrem", "zincrby", "restore")
	add(commandKind{keys: keyScript, write: true}, "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro")
	return m
}()

// args returns a command's arguments as strings.
func args(cmd redis.Cmder) []string {
	raw := cmd.Args()
	out := make([]string, len(raw))
	for i, a := range raw {
		switch v := a.(type) {
		case string:
			out[i] = v
		case []byte:
			out[i] = string(v)
		case time.Duration:
			out[i] = strconv.FormatInt(int64(v), 10)
		default:
			out[i] = fmt.Sprint(v)
		}
	}
	return out
}

// keysOf returns the keys named by a command's arguments (args[0] is its
// name).
func keysOf(spec keySpec, a []string) []string {
	switch spec {
	case keyFirst:
		if len(a) > 1 {
			return a[1:2]
		}
	case keyAll:
		return a[1:]
	case keyPairs:
		var ks []string
		for i := 1; i < len(a); i += 2 {
			ks = append(ks, a[i])
		}
		return ks
	case keyScript:
		if len(a) > 2 {
			n, err := strconv.Atoi(a[2])
			if err == nil && n >= 0 && 3+n <= len(a) {
				return a[3 : 3+n]
			}
		}
	}
	return nil
}

// commandText renders a command as the lanes show it: its name in capitals
// and its arguments, quoted when they hold spaces; a script's body is
// shortened.
func commandText(a []string) string {
	var b strings.Builder
	for i, s := range a {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch {
		case i == 0:
			b.WriteString(strings.ToUpper(s))
		case i == 1 && (a[0] == "eval" || a[0] == "eval_ro"):
			b.WriteString(`"<script>"`)
		case s == "" || strings.ContainsAny(s, " \t\n\""):
			b.WriteString(strconv.Quote(s))
		default:
			b.WriteString(s)
		}
	}
	return b.String()
}

// classify builds the command an actor parks at for one Redis command.
func classify(cmd redis.Cmder) *command {
	a := args(cmd)
	name := cmd.Name()
	c := &command{name: name, text: commandText(a)}
	k, known := kinds[name]
	if !known {
		c.fp.All = true
		if len(a) > 1 {
			c.key = a[1]
		}
		return c
	}
	keys := keysOf(k.keys, a)
	if len(keys) > 0 {
		c.key = keys[0]
	}
	acc := engine.CacheRead
	if k.write {
		acc = engine.CacheWrite
	}
	info := &engine.StepInfo{}
	for _, key := range keys {
		info.Keys = appendAccess(info.Keys, key, acc)
	}
	switch name {
	case "del", "unlink":
		info.Del = true
	case "set":
		// A plain SET (no NX, XX or GET) commutes with a SET of the same
		// value and expiry.
		info.Set = len(a) >= 3
		for _, opt := range a[3:] {
			switch strings.ToLower(opt) {
			case "nx", "xx", "get":
				info.Set = false
			}
		}
		if info.Set {
			c.fp.Value = strings.Join(a[2:], "\x00")
		}
	}
	c.value = setValue(name, a)
	c.fp.Info = info
	return c
}

// setValue is the value a cache write puts under its first key.
func setValue(name string, a []string) string {
	switch name {
	case "set", "setnx", "getset", "mset", "msetnx":
		if len(a) > 2 {
			return a[2]
		}
	case "setex", "psetex":
		if len(a) > 3 {
			return a[3]
		}
	}
	return ""
}

// classifyTx builds the command of a MULTI/EXEC transaction: one atomic
// step touching every key of its commands.
func classifyTx(cmds []redis.Cmder) *command {
	c := &command{name: "multi"}
	info := &engine.StepInfo{}
	var texts []string
	var inner []*command
	for _, cmd := range cmds {
		n := cmd.Name()
		if n == "multi" || n == "exec" {
			continue
		}
		sub := classify(cmd)
		texts = append(texts, sub.text)
		if passThrough(cmd) {
			continue
		}
		inner = append(inner, sub)
		if sub.fp.All {
			c.fp.All = true
		}
		if sub.fp.Info != nil {
			for _, ka := range sub.fp.Info.Keys {
				info.Keys = appendAccess(info.Keys, ka.Key, ka.Access)
			}
		}
	}
	c.text = "MULTI; " + strings.Join(texts, "; ") + "; EXEC"
	c.fp.Info = info
	if len(inner) > 0 {
		c.key = inner[0].key
	}
	// A transaction of one command is shown, and judged, as that command.
	if len(inner) == 1 {
		c.name, c.value = inner[0].name, inner[0].value
	}
	return c
}

// appendAccess adds acc on key to ks, merging with key's entry.
func appendAccess(ks []engine.KeyAccess, key string, acc engine.Access) []engine.KeyAccess {
	for i := range ks {
		if ks[i].Key == key {
			ks[i].Access |= acc
			return ks
		}
	}
	return append(ks, engine.KeyAccess{Key: key, Access: acc})
}

// opOf is the engine's name for what a command did, for the event: the
// steps the oracle's classification knows (cache.get, cache.set, cache.del,
// cache.expire, db.read, db.write), or "cache." and the command's name.
func opOf(name string) string {
	if strings.HasPrefix(name, "db.") {
		return name
	}
	if k, ok := kinds[name]; ok && k.op != "" {
		return k.op
	}
	return "cache." + name
}

// result is what a command observed, as an event shows it: hit or miss for
// a GET, ok or fail for a write (a refused SET NX, a failed transaction),
// and the value read or written.
func result(c *command, cmd redis.Cmder) (res, value string) {
	err := cmd.Err()
	switch {
	case opOf(c.name) == string(engine.OpCacheGet):
		if errors.Is(err, redis.Nil) {
			return "miss", ""
		}
		if err != nil {
			return "fail", ""
		}
		return "hit", replyString(cmd)
	case err != nil:
		return "fail", c.value
	case opOf(c.name) == string(engine.OpCacheSet):
		switch v := cmd.(type) {
		case *redis.BoolCmd:
			if !v.Val() {
				return "fail", c.value
			}
		case *redis.IntCmd: // MSETNX
			if v.Val() == 0 {
				return "fail", c.value
			}
		}
		return "ok", c.value
	}
	return "ok", replyString(cmd)
}

// replyString is a reply as one string, for the event's value.
func replyString(cmd redis.Cmder) string {
	switch v := cmd.(type) {
	case *redis.StringCmd:
		return v.Val()
	case *redis.StatusCmd:
		return v.Val()
	case *redis.IntCmd:
		return strconv.FormatInt(v.Val(), 10)
	case *redis.BoolCmd:
		return strconv.FormatBool(v.Val())
	case *redis.Cmd:
		if s, ok := v.Val().(string); ok {
			return s
		}
		if v.Val() != nil {
			return fmt.Sprint(v.Val())
		}
	}
	return ""
}

// goneAtOnce says whether an expire command deleted its key at once: a
// TTL of 0 or less, or an instant not after now.
func goneAtOnce(a []string, now time.Time) bool {
	if len(a) < 3 {
		return false
	}
	n, err := strconv.ParseInt(a[2], 10, 64)
	if err != nil {
		return false
	}
	switch a[0] {
	case "expire", "pexpire":
		return n <= 0
	case "expireat":
		return !time.Unix(n, 0).After(now)
	case "pexpireat":
		return !time.UnixMilli(n).After(now)
	}
	return false
}
