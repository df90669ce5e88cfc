package engine

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/require"
)

// TestServerBackend runs the go-redis path against a Redis server on
// 127.0.0.1 (a miniredis TCP listener stands in for a real server here; CI
// also runs the CLI against redis-server). Scenarios whose outcome does not
// hang on TTL expiry give the same events and verdict.
func TestServerBackend(t *testing.T) {
	srv := miniredis.NewMiniRedis()
	require.NoError(t, srv.StartAddr("127.0.0.1:0"))
	defer srv.Close()
	srv.Set("unrelated", "kept") // racetape touches only its own prefix

	local := mustRun(t, cacheAside(), Options{})
	remote := mustRun(t, cacheAside(), Options{Redis: srv.Addr()})
	require.Equal(t, "redis "+srv.Addr(), remote.Backend)
	require.False(t, remote.Clock)
	require.Equal(t, len(local.Events), len(remote.Events))
	for i := range local.Events {
		require.Equal(t, local.Events[i].Command, remote.Events[i].Command, "commands show the scenario's keys, not the prefix")
		require.Equal(t, local.Events[i].Result, remote.Events[i].Result)
		require.Equal(t, local.Events[i].Value, remote.Events[i].Value)
	}
	require.Equal(t, len(local.StaleReads()), len(remote.StaleReads()))
	require.Equal(t, local.StaleReads()[0].Anomaly, remote.StaleReads()[0].Anomaly)
	require.Equal(t, "order:42", remote.Initial.Cache[0].Key)

	keys := srv.Keys()
	require.Equal(t, []string{"unrelated"}, keys, "racetape removes its keys after the run")
}

func TestServerBackendUnreachable(t *testing.T) {
	srv := miniredis.NewMiniRedis()
	require.NoError(t, srv.StartAddr("127.0.0.1:0"))
	addr := srv.Addr()
	srv.Close()
	_, err := Run(cacheAside(), Options{Redis: addr})
	require.ErrorContains(t, err, "connect to redis "+addr)
}
