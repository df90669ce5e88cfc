#!/usr/bin/env bash
# End-to-end check of the HTML export in a real browser: export a run,
# open it in headless Chromium (Debian's, installed if missing) through
# playwright-core (from the npm registry), click "next" and press →, and
# check the highlighted step and its narration change each time and that
# the page fetches nothing.
set -euo pipefail
bin=$1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ! command -v chromium >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v npm >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
(cd "$tmp" && npm install --silent --no-audit --no-fund playwright-core@1 >/dev/null)

for p in stale-set cache-aside; do
	"$bin" export "$p" --format html -o "$tmp/$p.html" 2>/dev/null
	NODE_PATH="$tmp/node_modules" node "$(dirname "$0")/html-steps.js" "$tmp/$p.html"
done
"$bin" export stale-set --format svg -o "$tmp/s.svg" 2>/dev/null
grep -q "STALE" "$tmp/s.svg" || { echo "e2e-export: no STALE in the SVG" >&2; exit 1; }
echo "e2e-export: ok"
