#!/usr/bin/env bash
# Regenerates scripts/release-order.txt.gz, the functions a run executes, which scripts/build-release
# asks lld to place together: the pages a run maps shrink from scattered 64 KB windows across 26 MB
# of code to one block (50 hosts: 29 MB resident instead of 35 MB, docs/performance.md). A stale list
# still links (unknown names are skipped) but maps more: run this again after big changes, as root.
# The workload: a local apply, and Benchmarks/fleet.sh on 5 sshd hosts, under callgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || apt-get install -y -q valgrind >/dev/null
bin=$(scripts/build-release)
work=$(mktemp -d /tmp/runbook-order-XXXXXX)
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 cannot read Swift's DWARF 5; the symbol table is all it needs.
strip --strip-debug -o "$work/runbook" "$bin"
grind() { valgrind --tool=callgrind --demangle=no --callgrind-out-file="$1" "${@:2}"; }
printf 'runbook "order" do\n  lock false\n  step :a do\n    run "true"\n  end\nend\n' > "$work/local.rb"
grind "$work/cg.local" "$work/runbook" apply "$work/local.rb" --hosts local --no-journal > /dev/null 2>&1
grind "$work/cg.plan" "$work/runbook" plan runbooks/recover.rb --inventory inventory/hosts.yml --hosts all > /dev/null 2>&1 || true
TOOLS=runbook ROUNDS=1 RUNBOOK_BIN="$work/runbook" RUNBOOK_WRAP="valgrind --tool=callgrind --demangle=no --callgrind-out-file=$work/cg.fleet" \
  Benchmarks/fleet.sh 5 > /dev/null
python3 - "$work/runbook" "$work"/cg.* <<'PY' | gzip -9n > scripts/release-order.txt.gz
import re, subprocess, sys
binary, profiles = sys.argv[1], sys.argv[2:]
defined = set()
for line in subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True).stdout.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] in "tTwW":
        defined.add(parts[2])
seen = set()
for path in profiles:
    for line in open(path, errors="replace"):
        match = re.match(r"^c?fn=\(\d+\) ([^'\s]+)", line)  # callgrind marks recursion as NAME'2
        name = match.group(1) if match else None
        if name in defined and name not in seen:
            seen.add(name)
            print(name)
PY
echo "scripts/release-order.txt.gz: $(gunzip -c scripts/release-order.txt.gz | wc -l) functions"
