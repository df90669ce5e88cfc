#!/usr/bin/env bash
# End-to-end check of package racetest as a new user meets it: a scratch
# module outside the repository (a replace directive to this checkout), a
# small service of its own and the README's test: go test fails with the
# stale read drawn as lanes and a tape, `racetape run TAPE` shows it, and
# the fixed service passes. Uses only the module cache go test ./... filled.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "e2e-racetest: $*" >&2; exit 1; }

go build -o "$tmp/racetape" .
mod="$tmp/newuser"
mkdir -p "$mod/profile"
cat >"$mod/go.mod" <<MOD
module example.com/newuser

go 1.26

require github.com/racetape/racetape v0.0.0

replace github.com/racetape/racetape => $repo
MOD
cp go.sum "$mod/go.sum"
cp testdata/racetest-newuser/naive.go.txt "$mod/profile/profile.go"
cp testdata/racetest-newuser/profile_test.go.txt "$mod/profile/profile_test.go"
(cd "$mod" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1) || fail "go mod tidy"

set +e
(cd "$mod" && RACETEST_TAPES="$tmp/tapes" go test ./... >"$tmp/out" 2>&1)
status=$?
set -e
[ "$status" = 1 ] || { cat "$tmp/out" >&2; fail "go test on the naive service exited $status, want 1"; }
for want in "stale-hit" "schedule: writer reader writer" "STALE served Ada, current Grace" "racetape tui $tmp/tapes/TestNameCache-stale-hit.json"; do
	grep -qF "$want" "$tmp/out" || { cat "$tmp/out" >&2; fail "go test output lacks '$want'"; }
done

set +e
"$tmp/racetape" run "$tmp/tapes/TestNameCache-stale-hit.json" >"$tmp/run" 2>&1
status=$?
set -e
[ "$status" = 1 ] || { cat "$tmp/run" >&2; fail "racetape run TAPE exited $status, want 1"; }
grep -q "verdict: 1 stale read served (stale-hit" "$tmp/run" || fail "racetape run TAPE: no verdict"

cp testdata/racetest-newuser/fixed.go.txt "$mod/profile/profile.go"
(cd "$mod" && RACETEST_TAPES="$tmp/tapes" go test ./... >"$tmp/out" 2>&1) || { cat "$tmp/out" >&2; fail "go test on the fixed service failed"; }
echo "e2e-racetest: ok"
