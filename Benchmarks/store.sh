#!/usr/bin/env bash
# The shared store's overhead per host: the same run on N local sshd hosts (default 50 and 200) with
# the local journal (--journal) and with PostgreSQL (--state, a throwaway cluster on loopback from
# scripts/pg-test-cluster), each REPEAT times (default 3), alternating; prints the median wall time of
# each and (PostgreSQL - local) / N in ms per host. The runbook has three steps whose actions have
# undos, so every host writes 6 write-ahead records and its events, and takes and gives back a lease.
# Usage: Benchmarks/store.sh [HOSTS...]; BINARY=path/to/runbook (default: release if built, else debug).
# Run as root (it starts sshd servers and a PostgreSQL cluster); everything is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${*:-50 200}
repeat=${REPEAT:-3}
[ "$(id -u)" = 0 ] || { echo "run as root (it starts sshd servers)" >&2; exit 2; }
bin=${BINARY:-}
if [ -z "$bin" ]; then
  if [ -x .build/release/runbook ]; then bin=$(pwd)/.build/release/runbook; else swift build --product runbook 2>&1 | tail -1; bin=$(pwd)/.build/debug/runbook; fi
fi
echo "binary: $bin"

. Benchmarks/lib/workspace.sh
bench_workspace
. Benchmarks/lib/hosts.sh
start_fleet $sizes

eval "$(scripts/pg-test-cluster start --owner $$)"
export PGPASSWORD=$RUNBOOK_TEST_PG_PASSWORD
cleanup_all() { scripts/pg-test-cluster stop "$RUNBOOK_TEST_PG_DIR" || true; cleanup; }
trap cleanup_all EXIT INT TERM

write_three_steps "$work/three.rb" "lock false"

. Benchmarks/lib/measure.sh

for n in $sizes; do
  fleet_inventory "$n" "$work/hosts_$n.ini"
  args=(apply "$work/three.rb" --hosts all --inventory "$work/hosts_$n.ini" --ssh-config "$work/ssh_config" --format json --forks "$n")
  : > "$work/local.ms"; : > "$work/pg.ms"
  for _ in $(seq 1 "$repeat"); do
    elapsed "$bin" "${args[@]}" --journal "$work/journal" >> "$work/local.ms"
    elapsed "$bin" "${args[@]}" --state "$RUNBOOK_TEST_PG_URL" >> "$work/pg.ms"
  done
  local_ms=$(median < "$work/local.ms")
  pg_ms=$(median < "$work/pg.ms")
  printf '== %s hosts (median of %s): local journal %s ms, PostgreSQL %s ms, overhead %s ms per host\n' \
    "$n" "$repeat" "$local_ms" "$pg_ms" "$(echo "scale=2; ($pg_ms - $local_ms) / $n" | bc)"
done
