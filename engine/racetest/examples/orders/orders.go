// Package orders is the example service of package racetest: an order
// status cache in front of a database, written the ways engineers write
// it, each with the race racetest finds in it, and one that is right.
//
// Every variant serves Status(id) (read-through: the cache, else the
// database, then fill the cache) and applies MarkPaid(id) (commit, and
// keep the cache in step). Only how they keep it in step differs:
//
//   - CacheAside: commit, then DEL. A reader between the two is served the
//     old status (stale-hit); a slow refill can put the old status back
//     after the DEL (stale-set).
//   - DeleteThenUpdate: DEL, then commit. A reader between the two refills
//     the old status, which stays until its TTL (stale-set).
//   - DoubleDelete: CacheAside plus a second DEL after a delay, with
//     time.AfterFunc. When the delay is shorter than a slow refill, the
//     second DEL lands before the stale set it was meant to remove
//     (lost-invalidation).
//   - Coalesced: CacheAside whose readers share one refill through
//     golang.org/x/sync/singleflight: fewer database reads, the same races.
//   - Fenced: right. The writer fences refills with a lease it holds
//     while it commits; a reader fills the cache only while it holds the
//     lease it took on its miss (a Lua script checks it), and reads the
//     database without filling while the writer holds it.
package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// A DB is the database the service reads and commits: racetest's DB
// handle is one.
type DB interface {
	Get(key string) (string, bool)
	Put(key, value string) int
}

// The statuses.
const (
	Cancelled = "CANCELLED"
	Paid      = "PAID"
)

// TTL is how long a status stays cached.
const TTL = 300 * time.Second

// Key is where order id's status lives, in the cache and the database.
func Key(id int) string { return fmt.Sprintf("order:%d", id) }

// A Service serves order statuses. The zero value is not usable: build
// one with New (or a variant's constructor).
type Service struct {
	rdb *redis.Client
	db  DB
	// RefillDelay is how long a reader takes between reading the database
	// and filling the cache (a slow serializer, a GC pause).
	RefillDelay time.Duration
	// Invalidate commits a new status and keeps the cache in step: the
	// variant.
	invalidate func(ctx context.Context, s *Service, key, status string)
	// status, when set, replaces the read-through read (Coalesced, Fenced).
	status func(ctx context.Context, s *Service, key string) string
	// owner and leases make Fenced's lease tokens.
	owner  string
	leases int
}

// New returns the naive cache-aside service: commit, then DEL.
func New(rdb *redis.Client, db DB) *Service { return CacheAside(rdb, db) }

// CacheAside commits, then deletes the cached status.
func CacheAside(rdb *redis.Client, db DB) *Service {
	return &Service{rdb: rdb, db: db, invalidate: func(ctx context.Context, s *Service, key, status string) {
		s.db.Put(key, status)
		s.rdb.Del(ctx, key)
	}}
}

// DeleteThenUpdate deletes the cached status, then commits.
func DeleteThenUpdate(rdb *redis.Client, db DB) *Service {
	return &Service{rdb: rdb, db: db, invalidate: func(ctx context.Context, s *Service, key, status string) {
		s.rdb.Del(ctx, key)
		s.db.Put(key, status)
	}}
}

// DoubleDelete commits, deletes, and deletes again after delay, from a
// timer.
func DoubleDelete(rdb *redis.Client, db DB, delay time.Duration) *Service {
	return &Service{rdb: rdb, db: db, invalidate: func(ctx context.Context, s *Service, key, status string) {
		s.db.Put(key, status)
		s.rdb.Del(ctx, key)
		time.AfterFunc(delay, func() { s.rdb.Del(ctx, key) })
	}}
}

// Coalesced is CacheAside whose concurrent reads of a key share one
// refill through group.
func Coalesced(rdb *redis.Client, db DB, group *singleflight.Group) *Service {
	s := CacheAside(rdb, db)
	s.status = func(ctx context.Context, s *Service, key string) string {
		v, _, _ := group.Do(key, func() (any, error) { return s.readThrough(ctx, key), nil })
		return v.(string)
	}
	return s
}

// Status returns order id's status.
func (s *Service) Status(ctx context.Context, id int) string {
	if s.status != nil {
		return s.status(ctx, s, Key(id))
	}
	return s.readThrough(ctx, Key(id))
}

// readThrough returns the cached status, or reads the database and fills
// the cache.
func (s *Service) readThrough(ctx context.Context, key string) string {
	if v, err := s.rdb.Get(ctx, key).Result(); err == nil {
		return v
	}
	v, _ := s.db.Get(key)
	if s.RefillDelay > 0 {
		time.Sleep(s.RefillDelay)
	}
	s.rdb.Set(ctx, key, v, TTL)
	return v
}

// MarkPaid marks order id paid.
func (s *Service) MarkPaid(ctx context.Context, id int) {
	s.invalidate(ctx, s, Key(id), Paid)
}
