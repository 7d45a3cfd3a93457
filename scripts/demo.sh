#!/usr/bin/env bash
# demo.sh BIN — start the built-in simulator, then plan, apply and plan again jobs.example.hcl.
# The second plan must report no changes (exit 0 with -detailed-exitcode).
set -euo pipefail
bin=${1:-bin/tintri-jobs}
work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" sim -vmstores 3 -vms 400 -seed 1 -env-file "$work/sim.env" -dir "$work" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/sim.env" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/sim.env" ] || { echo "demo: simulator did not start" >&2; cat "$work/sim.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$work/sim.env"

state="$work/state"
echo "==> tintri-jobs plan"
"$bin" plan -config jobs.example.hcl -state-dir "$state" || true
echo
echo "==> tintri-jobs apply -auto-approve"
"$bin" apply -config jobs.example.hcl -state-dir "$state" -auto-approve
echo
echo "==> tintri-jobs plan -detailed-exitcode (expect no changes)"
"$bin" plan -config jobs.example.hcl -state-dir "$state" -detailed-exitcode
echo
echo "demo: the second plan found nothing to change; audit log: $state/audit.jsonl ($(wc -l <"$state/audit.jsonl") changes)"
