#!/usr/bin/env bash
# demo.sh BIN — start the built-in simulator, then plan, apply and plan again jobs.example.hcl.
# The second plan must report no changes (exit 0 with -detailed-exitcode). The audit log
# goes to .tintri-jobs/demo/ (emptied first) and the VM report to reports/, both gitignored
# and removed by `make clean`.
set -euo pipefail
bin=${1:-bin/tintri-jobs}
work=$(mktemp -d)
sim_pid=
trap '[ -n "$sim_pid" ] && { kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; }; rm -rf "$work"' EXIT

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

# The example's vm_snapshot task takes one snapshot per VM per UTC day: a demo running across
# midnight would find the new day's snapshots to take on its second plan. Start past it.
until_midnight=$(( 86400 - $(date -u +%s) % 86400 ))
if [ "$until_midnight" -lt 120 ]; then
  echo "demo: waiting ${until_midnight}s for the UTC day to turn (the example snapshots once a day)"
  sleep $(( until_midnight + 1 ))
fi

state=.tintri-jobs/demo
rm -rf "$state"
run() { "$bin" "$@" -config jobs.example.hcl -state-dir "$state" -log-format console; }

echo "==> tintri-jobs plan"
run plan
echo
echo "==> tintri-jobs apply -auto-approve"
run apply -auto-approve
echo
echo "==> tintri-jobs plan -detailed-exitcode (expect no changes)"
run plan -detailed-exitcode
echo
report=$(ls -t reports/vms-*.csv | head -n 1)
echo "demo: OK, the second plan found nothing to change."
echo "demo: audit log $PWD/$state/audit.jsonl ($(wc -l <"$state/audit.jsonl") records); VM report $PWD/$report"
