package presets

// A Lesson is what a preset teaches, in four short parts: what to watch
// for in the lanes, why it happens, what fixes it, and what the fix costs.
type Lesson struct {
	Watch, Why, Fix, Cost string
}

// Paragraphs returns the lesson as four labelled paragraphs.
func (l Lesson) Paragraphs() []string {
	if l == (Lesson{}) {
		return nil
	}
	return []string{"Watch: " + l.Watch, "Why: " + l.Why, "Fix: " + l.Fix, "Cost: " + l.Cost}
}

// lessons are the presets' lessons, by name.
var lessons = map[string]Lesson{
	"cache-aside": {
		Watch: "the reader's GET lands between the writer's COMMIT and its DEL, and is served CANCELLED while the database says PAID.",
		Why:   "the commit and the invalidation are two steps; any read between them sees the old cache entry.",
		Fix:   "nothing closes this window entirely; keep it short (DEL right after the commit), or accept it: under --consistency linearizable the read overlaps the write and is allowed.",
		Cost:  "none beyond the DEL; the window is as long as the DEL takes.",
	},
	"delete-then-update": {
		Watch: "a reader misses after the early DEL, reads the old row and refills the cache before the commit.",
		Why:   "deleting first opens the cache to a refill from the old row; the commit then leaves the old value cached until the TTL.",
		Fix:   "delete after the commit (cache-aside), or delete again after it (double-delete), or use leases.",
		Cost:  "stale until the TTL: here 300 s, the worst of the simple protocols.",
	},
	"stale-set": {
		Watch: "the slow reader's SET lands after the writer's DEL, and the next reader is served the old value.",
		Why:   "the reader read the row before the commit and set it after the invalidation: the DEL had nothing to delete yet.",
		Fix:   "leases (the DEL invalidates the lease, the late SET is refused) or a versioned CAS (an older version never overwrites a newer one).",
		Cost:  "a lease: one EVAL instead of GET and one instead of SET, and readers that lose the lease wait or read the database; CAS: a hash per entry and an EVAL per fill.",
	},
	"double-delete": {
		Watch: "order:1's second DEL comes 1 ms after the commit and lands before the slow reader's SET; order:2's comes 10 ms after and removes it.",
		Why:   "a delayed second DEL only catches sets that land before it: its delay must exceed the slowest read-to-set gap.",
		Fix:   "a delay longer than any read-to-set gap (unknowable in general), or leases / versioned CAS, which do not depend on timing.",
		Cost:  "a second DEL per write and a timer; the stale value stays until the second DEL.",
	},
	"ttl-only": {
		Watch: "every read until the TTL runs out is served CANCELLED; the first read after it gets PAID.",
		Why:   "nothing invalidates the key: the TTL is the only bound on staleness.",
		Fix:   "invalidate on write, or accept it: it passes --consistency bounded:1s, with D at least the TTL.",
		Cost:  "no extra commands at all, and staleness up to one TTL.",
	},
	"ttl-boundary": {
		Watch: "at exactly the expiry instant, a key set with SET PX and one set with PEXPIREAT are already gone in miniredis.",
		Why:   "miniredis drops a key at now >= expiry; real Redis keeps serving it during that millisecond (now > expiry).",
		Fix:   "never rely on the exact expiry instant; design for staleness up to the TTL plus a millisecond.",
		Cost:  "none: it is a fact to know, not a protocol.",
	},
	"write-through": {
		Watch: "the two writers commit in one order and SET the cache in the other: the older value stays cached.",
		Why:   "the commit and the cache write are separate steps, so two writers can interleave them.",
		Fix:   "set with a version (CAS) so that an older value never overwrites a newer one, or DEL instead of SET.",
		Cost:  "write-through costs a SET per write instead of a DEL, and readers hit at once; versioning adds a hash and an EVAL.",
	},
	"lease": {
		Watch: "the slow reader's lease.set is refused: the writer's lease.del invalidated its lease.",
		Why:   "only the holder of the current lease may fill the key, and every invalidation revokes the lease.",
		Fix:   "this is the fix for the stale set (memcache's leases); the commit-to-DEL window remains, and a fill that lands inside it, before the DEL revokes the lease, still caches the old row (explore names that a stale-set).",
		Cost:  "an EVAL per read and per fill, a lease key per miss, and readers that find the lease held must wait or go to the database.",
	},
	"versioned-cas": {
		Watch: "the slow reader's cas.set is refused: the cache already holds a newer row version.",
		Why:   "each entry carries its row version; the EVAL compares before it writes.",
		Fix:   "this is the fix for out-of-order writes and stale sets; the commit-to-DEL window remains.",
		Cost:  "a hash per entry (value and version), an EVAL per fill, and the version must come from the database.",
	},
	"replica-lag": {
		Watch: "the reader refills the cache from the replica, which still has CANCELLED 50 ms after the commit.",
		Why:   "the invalidation was right, but the refill read a source behind the primary.",
		Fix:   "refill from the primary, or delay the invalidation past the replica lag, or version the entries.",
		Cost:  "reads on the primary (load), or a delay as long as the lag.",
	},
	"new-old-inversion": {
		Watch: "the order page shows PAID, then the mobile app shows CANCELLED: each read alone overlaps the write.",
		Why:   "the database answers with the new value while the cache still holds the old one; a later read may go back in time.",
		Fix:   "invalidate before the write is acknowledged and read through one source; check it with --consistency linearizable.",
		Cost:  "the write waits for the invalidation; reads that miss go to the database.",
	},
	"seed-matrix": {
		Watch: "the table of stale schedules per cell: nearly every random schedule of the article's matrix serves stale data.",
		Why:   "cache-aside with many readers and writers: the commit-to-DEL window and stale sets are everywhere.",
		Fix:   "leases or versioned CAS close the stale sets; nothing closes the window.",
		Cost:  "as for the fixes; what racetape adds is the certainty: every schedule explored, deterministically.",
	},
}

// LessonOf returns the lesson of preset name (the zero Lesson for none).
func LessonOf(name string) Lesson { return lessons[name] }
