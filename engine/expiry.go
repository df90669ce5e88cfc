package engine

import (
	"container/heap"
	"time"

	"github.com/racetape/racetape/timeline"
)

// A pendingExpiry is the instant key's TTL runs out, and its value then.
type pendingExpiry struct {
	key   string
	at    time.Duration
	value string
}

// An expiryMirror mirrors the cache's pending expiries, one per key. Each
// change, and each expiry, costs time logarithmic in the keys: a run moves
// the clock at every step, whatever the number of keys.
type expiryMirror struct {
	keys map[string]pendingExpiry
	// queue holds the expiries by instant, and also expiries since
	// replaced or dropped, which live tells apart.
	queue expiryQueue
}

// reset forgets every expiry.
func (m *expiryMirror) reset() {
	clear(m.keys)
	clear(m.queue)
	m.queue = m.queue[:0]
}

// set records key's pending expiry.
func (m *expiryMirror) set(p pendingExpiry) {
	if m.keys == nil {
		m.keys = map[string]pendingExpiry{}
	}
	if q, ok := m.keys[p.key]; ok && q == p {
		return
	}
	m.keys[p.key] = p
	heap.Push(&m.queue, p)
}

// drop forgets key's pending expiry.
func (m *expiryMirror) drop(key string) { delete(m.keys, key) }

// live says whether p, from the queue, is still key's pending expiry.
func (m *expiryMirror) live(p pendingExpiry) bool {
	q, ok := m.keys[p.key]
	return ok && q.at == p.at
}

// next returns the earliest pending expiry after now.
func (m *expiryMirror) next(now time.Duration) (time.Duration, bool) {
	for len(m.queue) > 0 && !m.live(m.queue[0]) {
		heap.Pop(&m.queue)
	}
	if len(m.queue) == 0 {
		return 0, false
	}
	if at := m.queue[0].at; at > now {
		return at, true
	}
	// An expiry not yet moved past (the clock only moves forward past
	// every expiry it reaches, so this is not seen): look at them all.
	best, found := time.Duration(0), false
	for _, p := range m.keys {
		if p.at > now && (!found || p.at < best) {
			best, found = p.at, true
		}
	}
	return best, found
}

// expire removes the expiries at or before instant at and appends them to
// gone, in order (by instant, then key).
func (m *expiryMirror) expire(at time.Duration, gone []timeline.Expiry) []timeline.Expiry {
	n := len(gone)
	for len(m.queue) > 0 && m.queue[0].at <= at {
		p := heap.Pop(&m.queue).(pendingExpiry)
		if !m.live(p) {
			continue
		}
		q := m.keys[p.key]
		gone = append(gone, timeline.Expiry{Key: q.key, Value: q.value, At: q.at})
		delete(m.keys, p.key)
	}
	sortExpiries(gone[n:])
	return gone
}

// An expiryQueue is a min-heap of expiries by instant.
type expiryQueue []pendingExpiry

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].at < q[j].at }
func (q expiryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *expiryQueue) Push(x any)        { *q = append(*q, x.(pendingExpiry)) }
func (q *expiryQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = pendingExpiry{}
	*q = old[:len(old)-1]
	return x
}
