#!/usr/bin/env bash
# Drives the TUI of the built binary in a detached tmux session of a fixed
# size: --version names the build; the preset opens in reveal mode with a
# cache and a db track per key and nothing ahead given away; n stops at
# the cause, then at the stale read (STALE), then says there is no more;
# R shows the whole run; y copies the replay command (OSC 52, into tmux's
# buffer); scheduler mode reaches the stale-hit banner by hand, exploration
# opens its counterexample, i opens the lesson, c compares the fixes and
# stacks two of them, the picker shows a lesson and opens another preset,
# a small terminal gets the too-small message, and q exits cleanly with
# status 0.
set -euo pipefail
bin=$1

if ! command -v tmux >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
	else
		echo "e2e-tui: tmux missing and cannot be installed" >&2
		exit 1
	fi
fi

sock="racetape-e2e-$$"
tm() { tmux -L "$sock" "$@"; }
dir="$(mktemp -d)"
trap 'tm kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT

fail() {
	echo "e2e-tui: $*" >&2
	tm capture-pane -p -t rt >&2 2>/dev/null || true
	exit 1
}

# wait_for TEXT: poll the screen until it shows TEXT (10 s at most).
wait_for() {
	for _ in $(seq 100); do
		if tm capture-pane -p -t rt 2>/dev/null | grep -qF -- "$1"; then
			return 0
		fi
		sleep 0.1
	done
	fail "screen never showed '$1'"
}

"$bin" --version | grep -Eq '^racetape .+, go1\.' || fail "--version: $("$bin" --version)"

# wait_gone TEXT: poll the screen until it no longer shows TEXT.
wait_gone() {
	for _ in $(seq 100); do
		if ! tm capture-pane -p -t rt 2>/dev/null | grep -qF -- "$1"; then
			return 0
		fi
		sleep 0.1
	done
	fail "screen still shows '$1'"
}

tm new-session -d -x 100 -y 30 -s rt "TERM=xterm-256color '$bin'; echo \"exit=\$?\" > '$dir/status'; sleep 60"
tm set-option -g set-clipboard on
wait_for "writer"
wait_for "reader"
wait_for "cache order:42"
wait_for "db order:42"
wait_for "step 0/3"
wait_for "reveal"
wait_for "? verdict"
screen="$(tm capture-pane -p -t rt)"
for secret in "STALE" "WRITE order:42" "DEL order:42" "PAID v2"; do
	if grep -qF -- "$secret" <<<"$screen"; then
		fail "reveal mode gives away '$secret' at step 0"
	fi
done

tm send-keys -t rt n
wait_for "step 1/3"
wait_for "WRITE order:42=PAID"
wait_for "the cache disagrees with the database"
tm send-keys -t rt n
wait_for "✗ STALE GET order:42 → CANCELLED, current PAID"
wait_for "(stale-hit)"
wait_for "step 2/3"
wait_for "1 stale read so far"
tm send-keys -t rt n
wait_for "no further anomaly after step 2"
tm send-keys -t rt R
wait_for "DEL order:42"
wait_gone "so far"
wait_for "✗ 1 stale read"

tm send-keys -t rt y
wait_for "copied (OSC 52)"
for _ in $(seq 50); do
	tm show-buffer 2>/dev/null | grep -qF "racetape run cache-aside --schedule 'writer reader writer'" && break
	sleep 0.1
done
tm show-buffer 2>/dev/null | grep -qF "racetape run cache-aside --schedule 'writer reader writer'" ||
	fail "y: tmux buffer holds '$(tm show-buffer 2>/dev/null)'"
tm send-keys -t rt Left
wait_for "step 1/3"
tm send-keys -t rt G
wait_for "step 3/3"
tm send-keys -t rt g
wait_for "step 0/3"

# Scheduler mode: make the cache serve stale data by hand, undo, leave.
tm send-keys -t rt s
wait_for "next: [1 writer: WRITE order:42=PAID]  2 reader: GET order:42"
tm send-keys -t rt 1
wait_for 'schedule (1 step): --schedule "writer"'
tm send-keys -t rt 2
wait_for "ttl-staleness so far: reader got CANCELLED"
tm send-keys -t rt 1
wait_for "You made the cache serve stale data! stale-hit: reader got CANCELLED from the cache, current PAID."
wait_for '--schedule "writer reader writer"'
tm send-keys -t rt u
wait_for "next: [1 writer: DEL order:42]"
tm send-keys -t rt Escape
wait_for "step 0/3"

# Exploration: the counterexample, opened in the lanes on its stale read.
tm send-keys -t rt e
wait_for "counterexample    writer reader writer"
wait_for "1 preemption, 3 steps, stale-hit"
tm send-keys -t rt Enter
wait_for "counterexample  t=+3.500ms"
wait_for "✗ STALE GET order:42 → CANCELLED, current PAID"
tm send-keys -t rt Escape
wait_for "step 0/3"

# The lesson: i opens it in place of the panes, esc closes it.
tm send-keys -t rt i
wait_for "Lesson · cache-aside"
wait_for "Why: the commit and the invalidation are two steps"
tm send-keys -t rt Escape
wait_gone "Lesson · cache-aside"

# Compare the fixes: the table, two protocols marked and stacked on one
# time axis, stepping together; esc back to the table, then the lanes.
tm send-keys -t rt c
wait_for "compare the fixes on cache-aside"
wait_for "versioned-cas"
wait_for "ttl-only"
tm send-keys -t rt Space
tm send-keys -t rt Down
tm send-keys -t rt Space
wait_for "enter opens update-then-delete and delete-then-update"
tm send-keys -t rt Enter
wait_for "cache-aside: update-then-delete ▲ vs delete-then-update ▼"
wait_for "instant 0/"
tm send-keys -t rt n
wait_for "✗ STALE GET order:42 → CANCELLED, current PAID"
tm send-keys -t rt Escape
wait_for "compare the fixes on cache-aside"
tm send-keys -t rt Escape
wait_for "step 0/3"

tm send-keys -t rt o
wait_for "pick a scenario"
tm send-keys -t rt "/"
tm send-keys -t rt -l "versioned"
wait_for "versioned-cas ·"
wait_for "Lesson · versioned-cas"
tm send-keys -t rt Enter
tm send-keys -t rt Enter
wait_for "Versioned compare-and-set"
wait_for "step 0/7"

tm resize-window -t rt -x 30 -y 8 2>/dev/null || tm resize-pane -t rt -x 30 -y 8
wait_for "too small"
tm resize-window -t rt -x 100 -y 30 2>/dev/null || tm resize-pane -t rt -x 100 -y 30
wait_for "step 0/7"

tm send-keys -t rt q
for _ in $(seq 100); do
	[ -s "$dir/status" ] && break
	sleep 0.1
done
[ -s "$dir/status" ] || fail "q did not quit"
grep -q "exit=0" "$dir/status" || fail "exit status $(cat "$dir/status")"
echo "e2e-tui: ok"
