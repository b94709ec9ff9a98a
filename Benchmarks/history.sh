#!/bin/sh
# `runbook history` over a journal of 10,000 runs (and `history --host`): must answer in under 0.5 s.
# Usage: Benchmarks/history.sh [path/to/runbook] [runs]
set -eu
binary=${1:-.build/debug/runbook}
runs=${2:-10000}
folder=$(mktemp -d /tmp/runbook-bench-history-XXXXXX)
trap 'rm -rf "$folder"' EXIT
python3 - "$folder" "$runs" <<'PY'
import json, sys
folder, runs = sys.argv[1], int(sys.argv[2])
with open(f"{folder}/runs.index", "w") as index:
    for n in range(runs):
        run_id = f"2026{n:08d}-bench"
        hosts = [f"web{(n + k) % 50}" for k in range(3)]
        listing = {"run_id": run_id, "runbook": "release", "pattern": "web", "hosts": hosts, "started": "2026-11-24T10:00:00Z",
                   "controller": "bench", "user": "deploy"}
        index.write(json.dumps({"run": listing}) + "\n")
        index.write(json.dumps({"end": {"run_id": run_id, "exit_status": n % 2, "duration": 1.5}}) + "\n")
        header = dict(listing, runbook_path="/srv/release.rb", runbook_digest="0", pattern="web", inventory_sources=[],
                      inventory_digest="0", hosts=[{"name": h, "address": h, "port": 22, "variables": {}} for h in hosts],
                      parameters={}, release="r", schema_version=2)
        with open(f"{folder}/{run_id}.jsonl", "w") as f:
            f.write(json.dumps({"run": header}) + "\n")
PY
measure() {
    start=$(date +%s%N)
    "$binary" history --journal "$folder" "$@" > /dev/null
    end=$(date +%s%N)
    echo "history $*: $(( (end - start) / 1000000 )) ms over $runs runs"
}
measure
measure --limit 100
measure --host web7
measure --host nowhere
