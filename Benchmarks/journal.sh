#!/usr/bin/env bash
# The write-ahead journal's cost: the same run on N local sshd hosts (default 50) with the local
# journal (--journal, on this machine's disk: every record fdatasync'ed before its command is sent,
# group commit across hosts) and with --no-journal, alternating (each round starting with the other
# one), REPEAT rounds (default 7); prints the median wall time of each, the median of the rounds'
# ratios, and the journal's cost in percent. The runbook has three dependent steps whose actions
# have undos, so every host writes 6 write-ahead records, with the host lock on (the default).
# Usage: Benchmarks/journal.sh [HOSTS...]; BINARY=path/to/runbook (default: the release build in
# .build-release, built first). Run as root (it starts sshd servers); everything is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${*:-50}
repeat=${REPEAT:-7}
[ "$(id -u)" = 0 ] || { echo "run as root (it starts sshd servers)" >&2; exit 2; }
bin=${BINARY:-}
if [ -z "$bin" ]; then
  bin=$(nice -n 5 scripts/build-release 2> >(tail -1 >&2))
fi
echo "binary: $bin"

. Benchmarks/lib/workspace.sh
bench_workspace
. Benchmarks/lib/hosts.sh
start_fleet $sizes

write_three_steps "$work/three.rb"

. Benchmarks/lib/measure.sh

for n in $sizes; do
  fleet_inventory "$n" "$work/hosts_$n.ini" locks
  args=(apply "$work/three.rb" --hosts all --inventory "$work/hosts_$n.ini" --ssh-config "$work/ssh_config" --format json --forks "$n")
  : > "$work/journal.ms"; : > "$work/none.ms"; : > "$work/ratio"
  for round in $(seq 1 "$repeat"); do
    if [ $((round % 2)) = 1 ]; then
      j=$(elapsed "$bin" "${args[@]}" --journal "$work/journal"); o=$(elapsed "$bin" "${args[@]}" --no-journal)
    else
      o=$(elapsed "$bin" "${args[@]}" --no-journal); j=$(elapsed "$bin" "${args[@]}" --journal "$work/journal")
    fi
    echo "$j" >> "$work/journal.ms"; echo "$o" >> "$work/none.ms"; echo "scale=4; $j / $o" | bc >> "$work/ratio"
    printf '  round %d: journal %s ms, --no-journal %s ms\n' "$round" "$j" "$o"
  done
  j=$(median < "$work/journal.ms"); o=$(median < "$work/none.ms"); r=$(median < "$work/ratio")
  printf '== %s hosts (median of %s): journal %s ms, --no-journal %s ms; median ratio %s (cost %s%%)\n' \
    "$n" "$repeat" "$j" "$o" "$r" "$(echo "scale=1; ($r - 1) * 100 / 1" | bc)"
done
