package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/racetape/racetape/timeline"
)

// A cacheReply is what one cache step observed.
type cacheReply struct {
	Result  string // hit, miss, ok, fail
	Value   string
	Version int
	Note    string
}

// A cacheOp is one cache step as the backend sees it. Keys are the
// scenario's keys; a backend may prefix them.
type cacheOp struct {
	Op       Op
	Key      string
	Value    string
	Version  int
	TTL      time.Duration
	ExpireAt time.Time // for cache.expire with an absolute instant
	NX       bool
	Token    string        // lease token of the actor
	Lease    time.Duration // lease.get
}

// A cacheBackend executes cache steps. Every backend must give the same
// replies for the same sequence of operations and clock instants.
type cacheBackend interface {
	// connect opens one connection per actor, named after it.
	connect(actors []string) error
	// setNow moves the cache's clock to t (a no-op where the clock cannot be
	// controlled).
	setNow(t time.Time)
	do(actor int, op cacheOp) (cacheReply, error)
	// seed writes an initial entry.
	seed(key, value string, ttl time.Duration) error
	// snapshot returns the cache contents, sorted by key.
	snapshot() ([]timeline.CacheEntry, error)
	// entry returns one key's entry as snapshot shows it, and whether the
	// key exists.
	entry(key string) (timeline.CacheEntry, bool, error)
	// flush empties the cache.
	flush() error
	close()
	name() string
	clockControlled() bool
}

// leaseKey is where the lease token of key is kept.
func leaseKey(key string) string { return "lease:" + key }

// Lua scripts for the protocol helpers. Each runs atomically in Redis.
const (
	// KEYS: key, lease key. ARGV: token, lease ms.
	scriptLeaseGet = `local v = redis.call('GET', KEYS[1])
if v then return {'hit', v} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'miss', ''} end
local h = redis.call('GET', KEYS[2])
if not h then h = '' end
return {'fail', h}`
	// KEYS: key, lease key. ARGV: token, value, ttl ms (0 = none).
	scriptLeaseSet = `local h = redis.call('GET', KEYS[2])
if h ~= ARGV[1] then
  if not h then h = '' end
  return {'fail', h}
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
redis.call('DEL', KEYS[2])
return {'ok', ''}`
	// KEYS: key. ARGV: version, value, ttl ms (0 = none).
	scriptCASSet = `local cur = redis.call('HGET', KEYS[1], 'v')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return {'fail', cur} end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'val', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {'ok', ''}`
)

// command renders the Redis command an op sends, with the scenario's keys,
// for events. It is the same whatever the backend.
func (op cacheOp) command() string {
	switch op.Op {
	case OpCacheGet:
		return "GET " + op.Key
	case OpCacheSet:
		s := "SET " + op.Key + " " + quoteArg(op.Value)
		if op.TTL > 0 {
			s += " PX " + strconv.FormatInt(op.TTL.Milliseconds(), 10)
		}
		if op.NX {
			s += " NX"
		}
		return s
	case OpCacheDel:
		return "DEL " + op.Key
	case OpCacheExpire:
		if !op.ExpireAt.IsZero() {
			return "PEXPIREAT " + op.Key + " " + strconv.FormatInt(op.ExpireAt.UnixMilli(), 10)
		}
		return "PEXPIRE " + op.Key + " " + strconv.FormatInt(op.TTL.Milliseconds(), 10)
	case OpLeaseGet:
		return fmt.Sprintf("EVAL lease-get 2 %s %s %s %d", op.Key, leaseKey(op.Key), op.Token, op.Lease.Milliseconds())
	case OpLeaseSet:
		return fmt.Sprintf("EVAL lease-set 2 %s %s %s %s %d", op.Key, leaseKey(op.Key), op.Token, quoteArg(op.Value), op.TTL.Milliseconds())
	case OpLeaseDel:
		return "DEL " + op.Key + " " + leaseKey(op.Key)
	case OpCASGet:
		return "HMGET " + op.Key + " val v"
	case OpCASSet:
		return fmt.Sprintf("EVAL cas-set 1 %s %d %s %d", op.Key, op.Version, quoteArg(op.Value), op.TTL.Milliseconds())
	}
	return string(op.Op) + " " + op.Key
}

func quoteArg(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return strconv.Quote(s)
	}
	return s
}

// redisBackend sends real RESP commands through go-redis, one client per
// actor: to miniredis over its in-process Dial(), or to a real server.
type redisBackend struct {
	mini    *miniredis.Miniredis // nil against a real server
	addr    string
	prefix  string // key prefix against a real server
	clients []*redis.Client
	ctl     *redis.Client
	ctx     context.Context
	scripts map[string]*redis.Script
}

func newMiniredisBackend(m *miniredis.Miniredis) *redisBackend {
	return &redisBackend{mini: m, ctx: context.Background()}
}

func newServerBackend(addr, prefix string) *redisBackend {
	return &redisBackend{addr: addr, prefix: prefix, ctx: context.Background()}
}

func (b *redisBackend) name() string {
	if b.mini != nil {
		return "miniredis"
	}
	return "redis " + b.addr
}

func (b *redisBackend) clockControlled() bool { return b.mini != nil }

// clientName is an actor's name as CLIENT SETNAME takes it: real Redis
// refuses any byte outside '!'..'~', so such bytes (and '%') are written
// %XX, as in a URL.
func clientName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < '!' || c > '~' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (b *redisBackend) newClient(name string) *redis.Client {
	opts := &redis.Options{
		ClientName:      clientName(name),
		Protocol:        2,
		DisableIdentity: true,
		MaxRetries:      -1,
		DialerRetries:   1,
		PoolSize:        1,
		ReadTimeout:     5 * time.Second,
		WriteTimeout:    5 * time.Second,
	}
	if b.mini != nil {
		m := b.mini
		opts.Dialer = func(context.Context, string, string) (net.Conn, error) { return m.Dial() }
	} else {
		opts.Addr = b.addr
	}
	return redis.NewClient(opts)
}

func (b *redisBackend) connect(actors []string) error {
	if b.mini == nil {
		// Probe first: a clear error instead of go-redis's retry log.
		c, err := net.DialTimeout("tcp", b.addr, 2*time.Second)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", b.name(), err)
		}
		_ = c.Close()
	}
	b.ctl = b.newClient("racetape")
	if err := b.ctl.Ping(b.ctx).Err(); err != nil {
		return fmt.Errorf("connect to %s: %w", b.name(), err)
	}
	for _, a := range actors {
		c := b.newClient(a)
		// Ping opens the connection now, so CLIENT SETNAME lands before the
		// first step.
		if err := c.Ping(b.ctx).Err(); err != nil {
			return fmt.Errorf("connect actor %q: %w", a, err)
		}
		b.clients = append(b.clients, c)
	}
	b.scripts = map[string]*redis.Script{
		"lease-get": redis.NewScript(scriptLeaseGet),
		"lease-set": redis.NewScript(scriptLeaseSet),
		"cas-set":   redis.NewScript(scriptCASSet),
	}
	return nil
}

func (b *redisBackend) close() {
	for _, c := range b.clients {
		_ = c.Close()
	}
	b.clients = nil
	if b.ctl != nil {
		if b.mini == nil {
			_ = b.flush()
		}
		_ = b.ctl.Close()
		b.ctl = nil
	}
}

func (b *redisBackend) setNow(t time.Time) {
	if b.mini != nil {
		b.mini.SetTime(t)
	}
}

func (b *redisBackend) k(key string) string { return b.prefix + key }

func (b *redisBackend) seed(key, value string, ttl time.Duration) error {
	return b.ctl.Set(b.ctx, b.k(key), value, ttl).Err()
}

func (b *redisBackend) flush() error {
	if b.mini != nil {
		b.mini.FlushAll()
		return nil
	}
	keys, err := b.ctl.Keys(b.ctx, b.prefix+"*").Result()
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		return b.ctl.Del(b.ctx, keys...).Err()
	}
	return nil
}

func (b *redisBackend) snapshot() ([]timeline.CacheEntry, error) {
	if b.mini != nil {
		return miniSnapshot(b.mini), nil
	}
	keys, err := b.ctl.Keys(b.ctx, b.prefix+"*").Result()
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	out := make([]timeline.CacheEntry, 0, len(keys))
	for _, full := range keys {
		e, ok, err := b.entry(strings.TrimPrefix(full, b.prefix))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

func (b *redisBackend) entry(key string) (timeline.CacheEntry, bool, error) {
	if b.mini != nil {
		e, ok := miniEntry(b.mini, key)
		return e, ok, nil
	}
	full := b.k(key)
	e := timeline.CacheEntry{Key: key, TTL: -1}
	typ, err := b.ctl.Type(b.ctx, full).Result()
	if err != nil {
		return e, false, err
	}
	switch typ {
	case "string":
		e.Value, _ = b.ctl.Get(b.ctx, full).Result()
	case "hash":
		vals, _ := b.ctl.HMGet(b.ctx, full, "val", "v").Result()
		e.Value, e.Version = hashEntry(vals)
	default:
		return e, false, nil
	}
	if ttl, err := b.ctl.PTTL(b.ctx, full).Result(); err == nil && ttl >= 0 {
		e.TTL = ttl
	}
	return e, true, nil
}

func hashEntry(vals []any) (string, int) {
	var val string
	var ver int
	if len(vals) == 2 {
		if s, ok := vals[0].(string); ok {
			val = s
		}
		if s, ok := vals[1].(string); ok {
			ver, _ = strconv.Atoi(s)
		}
	}
	return val, ver
}

// miniSnapshot reads miniredis through its direct API (which also drops
// keys whose TTL ran out at the current instant).
func miniSnapshot(m *miniredis.Miniredis) []timeline.CacheEntry {
	keys := m.Keys() // sorted
	out := make([]timeline.CacheEntry, 0, len(keys))
	for _, k := range keys {
		if e, ok := miniEntry(m, k); ok {
			out = append(out, e)
		}
	}
	return out
}

// A miniReader reads miniredis keys: *miniredis.Miniredis (which ticks its
// clock at every call) or the *miniredis.RedisDB of an operation.
type miniReader interface {
	Type(k string) string
	Get(k string) (string, error)
	HGet(k, f string) string
	TTL(k string) time.Duration
}

// miniEntry reads one key of miniredis through its direct API.
func miniEntry(m miniReader, k string) (timeline.CacheEntry, bool) {
	e := timeline.CacheEntry{Key: k, TTL: -1}
	switch m.Type(k) {
	case "string":
		e.Value, _ = m.Get(k)
	case "hash":
		e.Value = m.HGet(k, "val")
		e.Version, _ = strconv.Atoi(m.HGet(k, "v"))
	default:
		return e, false
	}
	if ttl := m.TTL(k); ttl > 0 {
		e.TTL = ttl
	}
	return e, true
}

func (b *redisBackend) do(actor int, op cacheOp) (cacheReply, error) {
	c := b.clients[actor]
	ctx := b.ctx
	key := b.k(op.Key)
	switch op.Op {
	case OpCacheGet:
		v, err := c.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) {
			return cacheReply{Result: "miss"}, nil
		}
		if err != nil {
			return replyErr(err)
		}
		return cacheReply{Result: "hit", Value: v}, nil
	case OpCacheSet:
		var ok bool
		var err error
		if op.NX {
			ok, err = c.SetNX(ctx, key, op.Value, op.TTL).Result()
		} else {
			err = c.Set(ctx, key, op.Value, op.TTL).Err()
			ok = err == nil
		}
		if err != nil {
			return replyErr(err)
		}
		if !ok {
			return cacheReply{Result: "fail", Value: op.Value, Note: "NX: key already set"}, nil
		}
		return cacheReply{Result: "ok", Value: op.Value}, nil
	case OpCacheDel, OpLeaseDel:
		keys := []string{key}
		if op.Op == OpLeaseDel {
			keys = append(keys, b.k(leaseKey(op.Key)))
		}
		n, err := c.Del(ctx, keys...).Result()
		if err != nil {
			return replyErr(err)
		}
		if n == 0 {
			return cacheReply{Result: "ok", Note: "nothing to delete"}, nil
		}
		return cacheReply{Result: "ok"}, nil
	case OpCacheExpire:
		var ok bool
		var err error
		if !op.ExpireAt.IsZero() {
			ok, err = c.PExpireAt(ctx, key, op.ExpireAt).Result()
		} else {
			ok, err = c.PExpire(ctx, key, op.TTL).Result()
		}
		if err != nil {
			return replyErr(err)
		}
		if !ok {
			return cacheReply{Result: "fail", Note: "no such key"}, nil
		}
		return cacheReply{Result: "ok"}, nil
	case OpLeaseGet:
		res, err := b.scripts["lease-get"].Run(ctx, c, []string{key, b.k(leaseKey(op.Key))}, op.Token, op.Lease.Milliseconds()).StringSlice()
		if err != nil {
			return replyErr(err)
		}
		return pairReply(res, op.Op), nil
	case OpLeaseSet:
		res, err := b.scripts["lease-set"].Run(ctx, c, []string{key, b.k(leaseKey(op.Key))}, op.Token, op.Value, op.TTL.Milliseconds()).StringSlice()
		if err != nil {
			return replyErr(err)
		}
		r := pairReply(res, op.Op)
		r.Value = op.Value
		return r, nil
	case OpCASGet:
		vals, err := c.HMGet(ctx, key, "val", "v").Result()
		if err != nil {
			return replyErr(err)
		}
		if vals[0] == nil {
			return cacheReply{Result: "miss"}, nil
		}
		v, ver := hashEntry(vals)
		return cacheReply{Result: "hit", Value: v, Version: ver}, nil
	case OpCASSet:
		res, err := b.scripts["cas-set"].Run(ctx, c, []string{key}, op.Version, op.Value, op.TTL.Milliseconds()).StringSlice()
		if err != nil {
			return replyErr(err)
		}
		r := pairReply(res, op.Op)
		r.Value, r.Version = op.Value, op.Version
		return r, nil
	}
	return cacheReply{}, fmt.Errorf("op %q is not a cache op", op.Op)
}

// replyErr turns a Redis error reply (WRONGTYPE, …) into a failed step; a
// connection error stops the run.
func replyErr(err error) (cacheReply, error) {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return cacheReply{Result: "fail", Note: rerr.Error()}, nil
	}
	return cacheReply{}, err
}

// pairReply decodes the {result, detail} pair the scripts return.
func pairReply(res []string, op Op) cacheReply {
	r := cacheReply{}
	if len(res) > 0 {
		r.Result = res[0]
	}
	detail := ""
	if len(res) > 1 {
		detail = res[1]
	}
	switch {
	case op == OpLeaseGet && r.Result == "hit":
		r.Value = detail
	case op == OpLeaseGet && r.Result == "miss":
		r.Note = "lease granted"
	case op == OpLeaseGet && r.Result == "fail":
		r.Note = "lease held by " + tokenOwner(detail)
	case op == OpLeaseSet && r.Result == "fail":
		if detail == "" {
			r.Note = "refused: lease was invalidated"
		} else {
			r.Note = "refused: lease held by " + tokenOwner(detail)
		}
	case op == OpCASSet && r.Result == "fail":
		r.Note = "refused: cache holds version " + detail
	}
	return r
}

// tokenOwner extracts the actor name from a lease token "actor#n".
func tokenOwner(tok string) string {
	if i := strings.LastIndexByte(tok, '#'); i > 0 {
		return tok[:i]
	}
	return tok
}
