#!/bin/bash
# The TUI end to end, as a new user drives it: the built racetape binary
# (BIN, default /tmp/racetape) in a detached tmux of fixed size; keys are
# sent and the screen is read with capture-pane. For .ci/run:
#   go build -o /tmp/racetape . && BIN=/tmp/racetape bash tui/testdata/e2e-tmux.sh
set -euo pipefail
BIN=${BIN:-/tmp/racetape}
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
S=racetape-e2e; OUT=$(mktemp -d)
tmux kill-session -t $S 2>/dev/null || true
tmux new-session -d -s $S -x 100 -y 30 "$BIN; echo \$? > $OUT/exit"
wait_for() {
  for _ in $(seq 100); do
    tmux capture-pane -t $S -p 2>/dev/null | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  tmux capture-pane -t $S -p || true
  echo "tui e2e: the screen never showed: $1"; exit 1
}
wait_for "step 0/3"
wait_for "WRITE order:42=PAID"
wait_for "cache"
tmux send-keys -t $S n
wait_for "step 1/3"
tmux send-keys -t $S n
wait_for "✗ STALE GET order:42 → CANCELLED, current PAID"
wait_for "(stale-hit)"
tmux send-keys -t $S Left
wait_for "step 1/3"
tmux send-keys -t $S q
for _ in $(seq 100); do [ -s $OUT/exit ] && break; sleep 0.1; done
[ "$(cat $OUT/exit 2>/dev/null)" = 0 ] || { echo "tui e2e: exit status '$(cat $OUT/exit 2>/dev/null)'"; exit 1; }
echo "tui e2e: ok"
