package engine

import (
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/racetape/racetape/timeline"
)

// directBackend drives the embedded miniredis through its Go API (m.Get,
// m.Set, m.SetTTL, …) instead of RESP over go-redis: about a hundred times
// cheaper per command. It is a keyspace: the commands and the protocol
// helpers' scripts run on it from cache_commands.go.
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
	e, ok := miniEntry(b.tick(), key)
	return e, ok, nil
}

func (b *directBackend) seed(s Seed) error {
	b.tick()
	seedEntry(b, s)
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

func (b *directBackend) do(_ int, op cacheOp) (cacheReply, error) {
	b.tick()
	return runCommand(b, &op)
}

func (b *directBackend) lookup(key string) (string, string) {
	typ := b.db.Type(key)
	if typ != "string" {
		return typ, ""
	}
	v, _ := b.db.Get(key)
	return typ, v
}

func (b *directBackend) del(key string) bool { return b.db.Del(key) }

func (b *directBackend) setTTL(key string, ttl time.Duration) { b.db.SetTTL(key, ttl) }

func (b *directBackend) casFields(key string) (string, bool, string, bool) {
	v, hasV := hashField(b.db, key, "v")
	val, hasVal := hashField(b.db, key, "val")
	return v, hasV, val, hasVal
}

func (b *directBackend) casWrite(key, v, val string) { b.db.HSet(key, "v", v, "val", val) }

func (b *directBackend) clock() time.Time { return b.now }

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
