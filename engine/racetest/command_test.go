package racetest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
)

// keysOfFP lists a footprint's keys with their accesses.
func keysOfFP(c *command) map[string]engine.Access {
	out := map[string]engine.Access{}
	for _, ka := range c.fp.Info.Keys {
		out[ka.Key] = ka.Access
	}
	return out
}

func TestClassify(t *testing.T) {
	ctx := context.Background()
	r, w := engine.CacheRead, engine.CacheWrite
	for _, c := range []struct {
		cmd  redis.Cmder
		op   string
		keys map[string]engine.Access
		set  bool
		del  bool
	}{
		{redis.NewStringCmd(ctx, "get", "a"), "cache.get", map[string]engine.Access{"a": r}, false, false},
		{redis.NewStatusCmd(ctx, "set", "a", "v", "ex", 300), "cache.set", map[string]engine.Access{"a": w}, true, false},
		{redis.NewStatusCmd(ctx, "set", "a", "v", "nx"), "cache.set", map[string]engine.Access{"a": w}, false, false},
		{redis.NewIntCmd(ctx, "del", "a", "b"), "cache.del", map[string]engine.Access{"a": w, "b": w}, false, true},
		{redis.NewBoolCmd(ctx, "pexpire", "a", 10), "cache.expire", map[string]engine.Access{"a": w}, false, false},
		{redis.NewStatusCmd(ctx, "mset", "a", "1", "b", "2"), "cache.set", map[string]engine.Access{"a": w, "b": w}, false, false},
		{redis.NewSliceCmd(ctx, "mget", "a", "b"), "cache.mget", map[string]engine.Access{"a": r, "b": r}, false, false},
		{redis.NewStringCmd(ctx, "hget", "h", "f"), "cache.hget", map[string]engine.Access{"h": r}, false, false},
		{redis.NewIntCmd(ctx, "hset", "h", "f", "v"), "cache.hset", map[string]engine.Access{"h": w}, false, false},
		{redis.NewCmd(ctx, "eval", "return 1", 2, "k1", "k2", "argv"), "cache.eval", map[string]engine.Access{"k1": w, "k2": w}, false, false},
		{redis.NewCmd(ctx, "evalsha", "abc", 1, "k1", "argv"), "cache.evalsha", map[string]engine.Access{"k1": w}, false, false},
		{redis.NewStatusCmd(ctx, "watch", "a"), "cache.watch", map[string]engine.Access{"a": r}, false, false},
	} {
		got := classify(c.cmd)
		require.False(t, got.fp.All, got.text)
		require.Equal(t, c.op, opOf(got.name), got.text)
		require.Equal(t, c.keys, keysOfFP(got), got.text)
		require.Equal(t, c.set, got.fp.Info.Set, got.text)
		require.Equal(t, c.del, got.fp.Info.Del, got.text)
	}
	unknown := classify(redis.NewCmd(ctx, "object", "encoding", "a"))
	require.True(t, unknown.fp.All, "an unknown command conflicts with everything")
	for _, name := range []string{"hello", "client", "ping", "auth", "select", "unwatch"} {
		require.True(t, passThrough(redis.NewCmd(ctx, name)), name)
	}
	require.False(t, passThrough(redis.NewCmd(ctx, "get", "a")))
}

func TestClassifyTx(t *testing.T) {
	ctx := context.Background()
	cmds := []redis.Cmder{
		redis.NewStatusCmd(ctx, "multi"),
		redis.NewStatusCmd(ctx, "set", "a", "1"),
		redis.NewIntCmd(ctx, "del", "b"),
		redis.NewSliceCmd(ctx, "exec"),
	}
	c := classifyTx(cmds)
	require.Equal(t, "multi", c.name)
	require.Equal(t, "MULTI; SET a 1; DEL b; EXEC", c.text)
	require.Equal(t, map[string]engine.Access{"a": engine.CacheWrite, "b": engine.CacheWrite}, keysOfFP(c))
	one := classifyTx([]redis.Cmder{redis.NewStatusCmd(ctx, "multi"), redis.NewStatusCmd(ctx, "set", "a", "1"), redis.NewSliceCmd(ctx, "exec")})
	require.Equal(t, "set", one.name, "a transaction of one command is that command")
	require.Equal(t, "1", one.value)
}

func TestGoneAtOnce(t *testing.T) {
	now := engine.DefaultEpoch
	require.True(t, goneAtOnce([]string{"pexpire", "k", "0"}, now))
	require.False(t, goneAtOnce([]string{"pexpire", "k", "10"}, now))
	require.True(t, goneAtOnce([]string{"pexpireat", "k", "1"}, now))
	require.False(t, goneAtOnce([]string{"expireat", "k", "99999999999"}, now))
}
