#!/usr/bin/env bash
# `make test`: the suite on both configurations at once, SQLite + in-process memory and
# PostgreSQL + Redis (each run has its own database and Redis channel prefix, so they never
# interfere). Much of a run is spent waiting on servers and sockets rather than computing, so
# two runs side by side take little longer than the slower one alone. Each run's output goes to
# var/test-<backend>.log and is printed when it ends, with its 15 slowest steps (to keep the suite
# within its 20 minutes); the status is failure when either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
pids=()
for backend in sqlite postgres; do
    SWITCHBOARD_TEST_BACKEND=$backend .venv/bin/pytest -q -p no:cacheprovider --durations=15 "$@" > "var/test-$backend.log" 2>&1 &
    pids+=("$!")
done
status=0
for index in 0 1; do
    backend=$([ "$index" = 0 ] && echo sqlite || echo postgres)
    wait "${pids[$index]}"
    code=$?
    echo "== tests: SWITCHBOARD_TEST_BACKEND=$backend ($([ "$backend" = sqlite ] && echo 'SQLite + in-process broadcast' || echo 'PostgreSQL + Redis')): exit $code =="
    cat "var/test-$backend.log"
    [ "$code" = 0 ] || status=1
done
exit $status
