#!/usr/bin/env bash
# The README's test command: set up, then run every test. The last line is
# "N passed, N failed" (what CI reads).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
# Test-only: Debian's python3-kubernetes, for the client-library tests (they skip without it).
if ! /usr/bin/python3 -c "import kubernetes" >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends python3-kubernetes >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-kubernetes >/dev/null; } ||
    echo "test: could not install python3-kubernetes; its tests will skip" >&2
fi
# Test-only: Debian's chromium, for the dashboard's browser tests (they skip without it).
if ! [ -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; } ||
    echo "test: could not install chromium; the dashboard's browser tests will skip" >&2
fi
log=$(mktemp)
node scripts/run-tests.mjs 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
rm -f "$log"
echo "${summary:-0 passed, 1 failed}"
exit "$status"
