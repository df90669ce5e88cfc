// Package racetest explores a user's own Go cache code from go test: the
// functions of a service run as actors under racetape's scheduler, every
// schedule that matters is tried, and a failing one is printed as lanes
// and saved as a tape that `racetape tui` steps through. It is named like
// net/http/httptest and testing/fstest.
//
// Quick start:
//
//	func TestOrderStatusCache(t *testing.T) {
//		h := racetest.New(t, racetest.Setup{
//			DB:    map[string]string{"order:42": "CANCELLED"},
//			Cache: map[string]racetest.Entry{"order:42": {Value: "CANCELLED", TTL: 300 * time.Second}},
//		})
//		h.Actor("writer", func(env *racetest.Env) {
//			orders.New(env.Redis(), env.DB()).MarkPaid(env.Ctx(), 42)
//		})
//		h.Actor("reader", func(env *racetest.Env) {
//			got := orders.New(env.Redis(), env.DB()).Status(env.Ctx(), 42)
//			env.Served("order:42", got) // what the caller was given
//		})
//		h.Explore() // fails the test with each anomaly's simplest schedule
//	}
//
// # Yield points and atomicity
//
// Each Redis command an actor sends through env.Redis() (or a client with
// env.Hook()) and each call of env.DB() is a yield point: the actor's
// goroutine parks there until the scheduler grants it, so exactly one
// actor runs at a time and the schedule alone decides the run. Code
// between two yield points runs atomically. HELLO, CLIENT, PING, AUTH,
// SELECT and UNWATCH are not yield points. A pipeline's commands are one
// step each; a MULTI/EXEC transaction is one step; EVAL is one step
// touching the KEYS it names. Each step takes Setup.StepTime of virtual
// time and takes effect at its end.
//
// The reduction knows what each step touches: reads and writes of which
// keys for the string, hash, list, set, sorted-set and expiry commands,
// EVAL by its KEYS, a transaction by the union of its commands, database
// reads and writes by key. An unknown command, and a DB.Tx, conflict with
// every step. Steps of different actors that cannot affect each other are
// explored in one order only.
//
// A read is what env.Served closes: its interval runs from the actor's
// first step on the key since its previous read to the Served call, and
// the oracle (the engine's, under Setup.Consistency: strict, linearizable
// or bounded:D) judges the value over it. Under linearizable, a write
// operation is one actor function, or each env.Op.
//
// # Time
//
// Every exploration runs in a testing/synctest bubble: time.Sleep, timers,
// time.AfterFunc and context deadlines in the actors' code follow its
// virtual clock, and so do miniredis TTLs. The clock is a participant of
// the schedule, as in scenarios: it can move, between any two steps, to
// the next timer or TTL expiry within Setup.Horizon, so a delayed second
// DEL written with time.AfterFunc lands at every point it could. Times are
// shown from Setup.Epoch.
//
// # Goroutines and waiting
//
// An actor blocked on a channel, a sync.WaitGroup or a singleflight call
// of another actor is simply not runnable until it is woken. Goroutines an
// actor starts belong to it: their commands are steps of the actor whose
// client they use (an actor with two goroutines parked at once runs the
// smaller command first). They must finish within the schedule.
//
// # Misuse is an error, never a hang
//
// A panic in an actor, a deadlock (every actor blocked, no timer due), a
// schedule past Setup.MaxSteps, and a command that reached miniredis
// without passing the scheduler fail the exploration with the schedule
// that led there (a ScheduleError). A sync.Mutex held across a yield point
// blocks the other actors where synctest cannot see it: a wall-clock
// watchdog (Setup.Watchdog) then stops the test process with a message
// naming the actors, since nothing outside a bubble may wake what is
// inside it. Use a channel as a lock instead.
//
// # Replaying and tapes
//
// Explore reports, for each anomaly found, its simplest schedule (fewest
// preemptions, then fewest steps), the lanes of that run, and a tape
// written to Setup.Tapes, $RACETEST_TAPES or racetest-tapes in the
// system's temporary directory (kept after the test), with the command
// that opens it: racetape tui TAPE. An exhaustive search that stops at its
// limit (Setup.Search.Limit, 100,000 schedules unless set; -1: none)
// without finding a stale read fails the test.
// RACETEST_SCHEDULE="writer reader*3 writer" go test -run TestX replays one
// schedule, as Harness.Run does.
//
// # Limits
//
// The scheduler sees Redis and the database, not the actors' shared
// memory: two actors that talk through a variable (not a channel) race
// without the reduction knowing, and their code before the first yield
// point runs in actor order. Timers further than Setup.Horizon fire only
// once no actor is parked. The harness needs a *testing.T (a bubble needs
// one), and runs every schedule in one bubble, on one core.
package racetest
