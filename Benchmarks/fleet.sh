#!/usr/bin/env bash
# Fleet speed: seven dependent commands on each of N sshd hosts on loopback, run in the same run,
# alternating (each round runs every tool once, starting with a different one), by
#   runbook          runbook apply, the host lock on (the default): one libssh2 connection per host;
#   runbook-nolock   the same runbook with `lock false`;
#   fabric           Fabric (pinned, from PyPI), its own way over many hosts: a ThreadingGroup (one
#                    connection per host) runs each command on every host, then the next;
#   fabric-threads   Fabric, a stronger use of it: a thread per host runs its seven commands in turn;
#   floor            one OpenSSH connection per host running the seven commands joined with &&, with the
#                    key exchange and cipher runbook's libssh2 negotiates (curve25519-sha256, aes128-ctr):
#                    OpenSSH's default sntrup761 exchange alone costs it ~3x the CPU per connection;
#   ansible          ansible-playbook (ansible-core, pinned): pipelining, forks 50, no facts, ControlPersist.
# Everything works on up to 50 hosts at a time. Prints the median of the rounds per tool (wall time,
# GNU time's maximum RSS, CPU) and the median of each round's ratio to Fabric and to the floor.
#
# Usage (as root: it starts sshd servers): Benchmarks/fleet.sh [HOSTS...]   (default: 50)
#   ROUNDS=3 (rounds per size), TOOLS="runbook runbook-nolock fabric fabric-threads floor ansible",
#   RUNBOOK_WRAP="strace -c -f -o /tmp/trace" (a command to run runbook under: perf, strace, valgrind),
#   RUNBOOK_BIN=path (another runbook binary instead of building this one),
#   RUNBOOK_BEFORE=path (an older build, measured with locks as the tool `runbook-before`: add it to TOOLS).
# The hosts log in as `rbbench`, a user whose shell (/bin/sh, no rc files) starts clean. runbook is
# the shipped build (scripts/build-release, in .build-release); Fabric and ansible-core are installed into .venv. Everything
# started is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${*:-50}
rounds=${ROUNDS:-3}
tools=(${TOOLS:-runbook runbook-nolock fabric fabric-threads floor ansible})
forks=50
[ "$(id -u)" = 0 ] || { echo "run as root (it starts sshd servers)" >&2; exit 2; }
scripts/install-deps >/dev/null
# Pinned peers, next to the ansible-core that install-deps pins.
.venv/bin/python3 -c 'import fabric, sys; sys.exit(fabric.__version__ != "3.2.3")' 2>/dev/null ||
  .venv/bin/pip install -q --disable-pip-version-check fabric==3.2.3 paramiko==5.1.0 invoke==2.2.1
if [ -n "${RUNBOOK_BIN:-}" ]; then
  bin=$(realpath "$RUNBOOK_BIN")
else
  bin=$(nice -n 5 scripts/build-release 2> >(tail -1 >&2))
fi
root=$(pwd)

. Benchmarks/lib/workspace.sh
bench_workspace
. Benchmarks/lib/hosts.sh
start_fleet $sizes

commands=("test -d /tmp" "echo two > /dev/null" "uname -r > /dev/null" "test -r /proc/net/tcp" "date +%s > /dev/null" "id -u > /dev/null" "true")
seven() { # lock line
  echo 'runbook "seven" do'
  echo '  description "seven dependent commands, the size of the recover runbook"'
  [ -z "$1" ] || echo "  $1"
  local previous=""
  for i in "${!commands[@]}"; do
    echo "  step :s$((i + 1))${previous:+, after: :$previous} do"
    echo "    run \"${commands[$i]}\""
    echo "  end"
    previous=s$((i + 1))
  done
  echo 'end'
}
seven "" > "$work/seven.rb"
seven "lock false" > "$work/seven-nolock.rb"
joined=$(printf ' && %s' "${commands[@]}"); joined=${joined# && }
printf 'Host *\n  UserKnownHostsFile %s\n  IdentityFile %s\n  BatchMode yes\n  StrictHostKeyChecking yes\n' "$work/known_hosts" "$work/id" > "$work/ssh_config"
{ cat "$work/ssh_config"; printf '  KexAlgorithms curve25519-sha256\n  Ciphers aes128-ctr\n  MACs hmac-sha2-256\n'; } > "$work/ssh_config_floor"
{
  echo "- hosts: all"
  echo "  gather_facts: false"
  echo "  tasks:"
  for c in "${commands[@]}"; do printf "    - shell: '%s'\n" "$c"; done
} > "$work/seven.yml"

floor() { # n: one connection per host, the seven commands joined, up to $forks at a time
  seq 1 "$1" | xargs -P "$forks" -I{} sh -c 'ssh -F "$1" -p $(($2 + {})) "$3@127.0.0.1" "$4"' _ "$work/ssh_config_floor" "$base" "$user" "$joined"
}

run_tool() { # tool n round
  local tool=$1 n=$2 round=$3
  case $tool in
    runbook) ${RUNBOOK_WRAP:-} "$bin" apply "$work/seven.rb" --hosts all --inventory "$work/hosts_$n.ini" --ssh-config "$work/ssh_config" --format json --forks "$forks" ;;
    runbook-before) "$RUNBOOK_BEFORE" apply "$work/seven.rb" --hosts all --inventory "$work/hosts_$n.ini" --ssh-config "$work/ssh_config" --format json --forks "$forks" ;;
    runbook-nolock) ${RUNBOOK_WRAP:-} "$bin" apply "$work/seven-nolock.rb" --hosts all --inventory "$work/hosts_$n.ini" --ssh-config "$work/ssh_config" --format json --forks "$forks" ;;
    fabric) "$root/.venv/bin/python3" "$root/Benchmarks/fabric_seven.py" group "$work/fabric_$n" "$work/id" "$work/known_hosts" "$forks" "${commands[@]}" ;;
    fabric-threads) "$root/.venv/bin/python3" "$root/Benchmarks/fabric_seven.py" threads "$work/fabric_$n" "$work/id" "$work/known_hosts" "$forks" "${commands[@]}" ;;
    floor) floor "$n" ;;
    ansible)
      # A control folder per round, so every round starts with no master connection.
      local cp=$work/cp_${n}_$round status=0; mkdir -p "$cp"
      ANSIBLE_PIPELINING=1 ANSIBLE_HOST_KEY_CHECKING=0 ANSIBLE_SSH_CONTROL_PATH_DIR=$cp ANSIBLE_FORKS=$forks \
        ANSIBLE_SSH_ARGS="-F $work/ssh_config -o ControlMaster=auto -o ControlPersist=60s" ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
        ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" "$root/.venv/bin/ansible-playbook" -i "$work/hosts_$n.ini" "$work/seven.yml" || status=$?
      for socket in "$cp"/*; do [ -S "$socket" ] && ssh -S "$socket" -O exit x 2>/dev/null; done
      return $status ;;
  esac
}

# One measurement: wall seconds, max RSS in MB (GNU time -v, largest process), CPU seconds.
measure() { # tool n round
  local out=$work/out.$1 start end status=0
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$work/time" bash -c "$(declare -f run_tool floor); $(declare -p work bin root forks base user joined commands); RUNBOOK_BEFORE='${RUNBOOK_BEFORE:-}'; RUNBOOK_WRAP='${RUNBOOK_WRAP:-}'; run_tool $1 $2 $3" > "$out" 2>&1 || status=$?
  end=$(date +%s.%N)
  cp "$out" "/tmp/runbook-bench-last.$1"
  if [ "$status" != 0 ]; then
    echo "  $1 exited $status:" >&2; grep -v '"event"' "$out" | tail -5 >&2 || true
  fi
  local rss cpu
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2 / 1024}' "$work/time")
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$work/time")
  echo "$(echo "$end - $start" | bc) $rss $cpu $status"
}

. Benchmarks/lib/measure.sh
evict "$bin" ${RUNBOOK_BEFORE:+"$RUNBOOK_BEFORE"}

for n in $sizes; do
  fleet_inventory "$n" "$work/hosts_$n.ini" locks
  for i in $(seq 1 "$n"); do echo "h$i $((base + i)) $user"; done > "$work/fabric_$n"
  echo "== $n hosts, 7 dependent commands each, $rounds rounds"
  : > "$work/results"
  for round in $(seq 1 "$rounds"); do
    for k in "${!tools[@]}"; do
      tool=${tools[$(((k + round - 1) % ${#tools[@]}))]}
      read -r wall rss cpu status < <(measure "$tool" "$n" "$round")
      echo "$tool $wall $rss $cpu $status" >> "$work/results"
      printf '  round %d  %-15s %6.2f s  %6.1f MB  %5.2f s CPU%s\n' "$round" "$tool" "$wall" "$rss" "$cpu" "$([ "$status" = 0 ] || echo "  FAILED ($status)")"
    done
  done
  # Ratios are taken within each round (the load of a shared machine drifts between rounds), then
  # their median is shown; wall, RSS and CPU are medians over the rounds.
  printf '  %-15s %8s %9s %8s %9s %9s %9s\n' tool "wall" "max RSS" CPU "/fabric" "/floor" "/before"
  for tool in "${tools[@]}"; do
    column() { awk -v t="$tool" -v c="$1" '$1 == t {print $c}' "$work/results" | median; }
    ratio() { # the median over rounds of this tool's wall time over $1's
      awk -v t="$tool" -v o="$1" -v r="$rounds" -v k="${#tools[@]}" '{w[int((NR - 1) / k), $1] = $2}
        END {for (i = 0; i < r; i++) if (w[i, o] > 0) print w[i, t] / w[i, o]}' "$work/results" | median | awk '$1 != "" {printf "%.2fx", $1}'
    }
    printf '  %-15s %6.2f s %6.1f MB %6.2f s %9s %9s %9s\n' "$tool" "$(column 2)" "$(column 3)" "$(column 4)" \
      "$(ratio fabric)" "$(ratio floor)" "$(ratio runbook-before)"
  done
done
