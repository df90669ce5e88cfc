#!/usr/bin/env bash
# Runs scenarios against a real redis-server on 127.0.0.1 (--redis) and checks
# the verdicts match the embedded miniredis for scenarios that do not depend
# on TTL expiry.
set -euo pipefail
bin=$1

if ! command -v redis-server >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
	else
		echo "e2e-redis: redis-server missing and cannot be installed; skipped"
		exit 0
	fi
fi

port=$(( 20000 + RANDOM % 20000 ))
dir="$(mktemp -d)"
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" --daemonize yes --pidfile "$dir/pid" >/dev/null
cleanup() { kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 50); do
	redis-cli -p "$port" ping >/dev/null 2>&1 && break
	sleep 0.1
done

for p in cache-aside delete-then-update stale-set double-delete write-through lease versioned-cas replica-lag; do
	set +e
	"$bin" run "$p" >/dev/null 2>&1
	want=$?
	"$bin" run "$p" --redis "127.0.0.1:$port" >"$dir/out" 2>&1
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		cat "$dir/out" >&2
		echo "e2e-redis: $p exited $got against redis-server, $want against miniredis" >&2
		exit 1
	fi
	grep -q "backend redis 127.0.0.1:$port" "$dir/out" || { cat "$dir/out" >&2; echo "e2e-redis: $p: backend not shown" >&2; exit 1; }
done
# The header states the real server's expiry rule, not miniredis's.
"$bin" run cache-aside --redis "127.0.0.1:$port" >"$dir/out" 2>&1 || true
grep -q "expiry rule: real Redis: a key is gone once" "$dir/out" || { cat "$dir/out" >&2; echo "e2e-redis: the real server's expiry rule is not stated" >&2; exit 1; }
# An actor name CLIENT SETNAME refuses on a real server (non-ASCII) runs.
printf 'name: names\ndb:\n  k: v\nactors:\n  - name: lecteur-é\n    steps:\n      - cache.get: {key: k}\n' >"$dir/names.yaml"
"$bin" run "$dir/names.yaml" --redis "127.0.0.1:$port" >"$dir/out" 2>&1 || { cat "$dir/out" >&2; echo "e2e-redis: a non-ASCII actor name failed against redis-server" >&2; exit 1; }

left=$(redis-cli -p "$port" --raw keys 'racetape:*' | grep -c . || true)
[ "$left" = 0 ] || { echo "e2e-redis: $left racetape keys left behind" >&2; exit 1; }
echo "e2e-redis: ok (redis-server $(redis-server --version | awk '{print $3}'))"
