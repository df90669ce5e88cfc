#!/usr/bin/env bash
# End-to-end checks of the built binary: exit codes and output of the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bin="$tmp/racetape"
go build -o "$bin" .

fail() { echo "e2e: $*" >&2; exit 1; }

# expect STATUS CMD...: run CMD, check its exit status; output in $tmp/out
expect() {
	local want=$1
	shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	set -e
	if [ "$got" != "$want" ]; then
		cat "$tmp/out" "$tmp/err" >&2
		fail "'$*' exited $got, want $want"
	fi
}

expect 1 "$bin" run cache-aside
grep -q "STALE" "$tmp/out" || fail "run cache-aside: no STALE mark"
grep -q "CANCELLED" "$tmp/out" || fail "run cache-aside: CANCELLED not shown"

expect 0 "$bin" run lease --json
grep -q '"stale_reads": \[\]' "$tmp/out" || fail "run lease --json: stale_reads not empty"

for p in $("$bin" list | awk '{print $1}'); do
	set +e
	"$bin" run "$p" >/dev/null 2>"$tmp/err"
	s=$?
	set -e
	[ "$s" = 0 ] || [ "$s" = 1 ] || { cat "$tmp/err" >&2; fail "run $p exited $s"; }
done

expect 2 "$bin" run no-such-preset
expect 2 "$bin" run cache-aside --schedule "writer nobody"
expect 2 "$bin" frobnicate
printf 'name: x\nactors:\n  - name: a\n    steps:\n      - cache.gte: {key: k}\n' >"$tmp/bad.yaml"
expect 2 "$bin" validate "$tmp/bad.yaml"
grep -q "bad.yaml:5:9" "$tmp/err" || { cat "$tmp/err" >&2; fail "validate: no FILE:LINE:COL"; }
expect 1 "$bin" run cache-aside --schedule "writer reader writer"

# Hostile input: clean errors, exit 2, nothing on stdout; stdin as "-".
expect 2 "$bin" validate /dev/zero
grep -q "larger than the limit of 8 MiB" "$tmp/err" || fail "validate /dev/zero: no size limit"
expect 2 "$bin" run seed-matrix --set ttl=1000000h
grep -q "panic" "$tmp/err" && fail "seed-matrix ttl=1000000h panicked"
[ -s "$tmp/out" ] && fail "seed-matrix ttl=1000000h: half-printed output"
set +e
"$bin" run - <presets/scenarios/cache-aside.yaml >"$tmp/out" 2>"$tmp/err"
s=$?
set -e
[ "$s" = 1 ] || fail "run - < cache-aside.yaml exited $s, want 1"
expect 2 "$bin" explore cache-aside --workers 100000000
grep -q -- "--max-workers" "$tmp/err" || fail "explore --workers 1e8: no limit named"

bash .ci/e2e-redis.sh "$bin"
bash .ci/e2e-export.sh "$bin"

if [ -x .ci/e2e-tui.sh ]; then
	bash .ci/e2e-tui.sh "$bin"
fi
echo "e2e: ok"
