#!/usr/bin/env bash
# Keeps every core of this machine busy while a command runs, to prove the test suite does not
# depend on an idle machine (no fixed sleeps, no timing luck). One busy loop per core at normal
# priority, all ended when the command ends (or on Ctrl-C).
#   scripts/load-machine.sh npm test          # the whole suite with both cores loaded
#   scripts/load-machine.sh                   # load only, until Ctrl-C
set -uo pipefail
cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
pids=()
stop_load() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait "${pids[@]}" 2>/dev/null
}
trap stop_load EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 "$cores"); do
  sh -c 'while :; do :; done' &
  pids+=("$!")
done
echo "load-machine: $cores busy loop(s) running (pids ${pids[*]})" >&2
if [ $# -eq 0 ]; then
  wait
else
  "$@"
  exit $?
fi
