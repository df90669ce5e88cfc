package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

func TestMemDBHistory(t *testing.T) {
	db := NewMemDB(-1)
	db.Commit("k", "A", 0, "seed", -1)
	db.Commit("k", "B", 3*ms, "w", 0)
	db.Commit("k", "A", 5*ms, "w", 1)

	c, ok := db.Read("k", 2*ms)
	require.True(t, ok)
	require.Equal(t, "A", c.Value)
	require.Equal(t, 1, c.Version)

	c, _ = db.Read("k", 3*ms) // a commit at exactly the instant is visible
	require.Equal(t, "B", c.Value)
	require.Equal(t, 2, c.Version)

	c, _ = db.Read("k", time.Hour)
	require.Equal(t, timeline.Commit{Key: "k", Value: "A", Version: 3, At: 5 * ms, Actor: "w", Event: 1}, c)

	_, ok = db.Read("missing", time.Hour)
	require.False(t, ok)
	require.Len(t, db.History("k"), 3)
	require.Nil(t, db.ReplicaRows(time.Hour), "no replica configured")

	rows := db.Rows(4 * ms)
	require.Equal(t, []timeline.Row{{Key: "k", Value: "B", Version: 2, CommittedAt: 3 * ms, Actor: "w"}}, rows)
}

func TestMemDBReplica(t *testing.T) {
	db := NewMemDB(50 * ms)
	db.Seed("k", "OLD")
	db.Commit("k", "NEW", 10*ms, "w", 0)

	c, _ := db.ReadReplica("k", 20*ms)
	require.Equal(t, "OLD", c.Value, "replica still 50ms behind")
	c, _ = db.ReadReplica("k", 59*ms)
	require.Equal(t, "OLD", c.Value)
	c, _ = db.ReadReplica("k", 60*ms)
	require.Equal(t, "NEW", c.Value, "commit at 10ms visible on the replica at exactly 60ms")
	require.Equal(t, "OLD", db.ReplicaRows(30 * ms)[0].Value)
	c, ok := db.ReadReplica("k", 0)
	require.True(t, ok, "the initial rows are on the replica from the start")
	require.Equal(t, "OLD", c.Value)
}
