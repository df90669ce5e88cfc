package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Fenced is the service done right: leases fence the refills.
//
// A reader that misses takes the key's lease (SET lease:KEY token NX) and
// fills the cache only if it still holds it when it is done (a Lua script
// compares the token and sets the value atomically). A reader that finds
// the lease taken reads the database and does not fill. The writer takes
// the lease for itself before it commits (overwriting any reader's, whose
// fill is then refused), deletes the cached status, commits, and releases
// the lease: no old status can enter the cache once the commit is near,
// and none is left in it.
//
// owner tells this instance's leases from others': it must be unique
// among the instances sharing the cache (a host and process name).
func Fenced(rdb *redis.Client, db DB, owner string) *Service {
	s := &Service{rdb: rdb, db: db, owner: owner}
	s.status = fencedStatus
	s.invalidate = func(ctx context.Context, s *Service, key, status string) {
		s.rdb.Set(ctx, leaseKey(key), writerToken, leaseTTL)
		s.rdb.Del(ctx, key)
		s.db.Put(key, status)
		s.rdb.Del(ctx, leaseKey(key))
	}
	return s
}

const (
	writerToken = "writer"
	leaseTTL    = 10 * time.Second
)

func leaseKey(key string) string { return "lease:" + key }

// fillIfLeased sets KEYS[1] to ARGV[2] (TTL ARGV[3] ms) and drops the
// lease KEYS[2], only while the lease holds token ARGV[1].
var fillIfLeased = redis.NewScript(`if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1`)

func fencedStatus(ctx context.Context, s *Service, key string) string {
	if v, err := s.rdb.Get(ctx, key).Result(); err == nil {
		return v
	}
	s.leases++
	token := fmt.Sprintf("%s/%d", s.owner, s.leases)
	leased, _ := s.rdb.SetNX(ctx, leaseKey(key), token, leaseTTL).Result()
	v, _ := s.db.Get(key)
	if leased {
		if s.RefillDelay > 0 {
			time.Sleep(s.RefillDelay)
		}
		fillIfLeased.Run(ctx, s.rdb, []string{key, leaseKey(key)}, token, v, TTL.Milliseconds())
	}
	return v
}
