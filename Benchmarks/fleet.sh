#!/usr/bin/env bash
# Fleet speed: seven dependent commands on each of N local sshd hosts (default 20 and 100), run by
#   1. runbook apply (one libssh2 connection per host, every command a channel on it),
#   2. OpenSSH with one ControlMaster per host (`ssh -M`, then 7 commands through its socket),
#   3. ansible-playbook with pipelining, when it is installed,
# on the same hosts in the same run. Usage: Benchmarks/fleet.sh [HOSTS...] (default: 20 100). Fabric 3 (ThreadingGroup over paramiko), the fastest peer
# measured on this class of machine, took 3.2 s and 51 MB for 7 commands on 50 hosts; tuned Ansible 74 s.
# Prints wall time and peak memory (RSS of the whole process tree) per tool. Run as root: the hosts log
# in as `rbbench`, a user whose shell starts clean. Everything started is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${*:-20 100}
[ "$(id -u)" = 0 ] || { echo "run as root (it starts sshd servers)" >&2; exit 2; }
scripts/install-deps
swift build -c release --product runbook 2>&1 | tail -1
bin=$(pwd)/.build/release/runbook

work=$(mktemp -d /tmp/runbook-bench-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

user=rbbench
id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir "$work" --shell /bin/sh "$user"
usermod -p '*' "$user" >/dev/null
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/id"
cp "$work/id.pub" "$work/authorized_keys"; chmod 644 "$work/authorized_keys"
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
hostkey=$(cut -d' ' -f1,2 "$work/host_key.pub")

max=0; for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done
# Below the ephemeral range (32768+), so no outgoing connection holds one of these ports.
base=$((20000 + ($$ % 100) * 110))
: > "$work/known_hosts"
for i in $(seq 1 "$max"); do
  port=$((base + i))
  cat > "$work/sshd_$i" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile none
LogLevel ERROR
MaxStartups 200
CONF
  /usr/sbin/sshd -D -f "$work/sshd_$i" >/dev/null 2>&1 & pids+=($!); disown
  echo "[127.0.0.1]:$port $hostkey" >> "$work/known_hosts"
done
for i in $(seq 1 "$max"); do
  for _ in $(seq 100); do nc -z 127.0.0.1 $((base + i)) 2>/dev/null && break; sleep 0.05; done
done

cat > "$work/seven.rb" <<'RB'
runbook "seven" do
  description "seven dependent commands, the size of the recover runbook"
  lock false
  step :s1 do
    run "test -d /tmp"
  end
  step :s2, after: :s1 do
    run "echo two > /dev/null"
  end
  step :s3, after: :s2 do
    run "uname -r > /dev/null"
  end
  step :s4, after: :s3 do
    run "test -r /proc/net/tcp"
  end
  step :s5, after: :s4 do
    run "date +%s > /dev/null"
  end
  step :s6, after: :s5 do
    run "id -u > /dev/null"
  end
  step :s7, after: :s6 do
    run "true"
  end
end
RB
commands=("test -d /tmp" "echo two > /dev/null" "uname -r > /dev/null" "test -r /proc/net/tcp" "date +%s > /dev/null" "id -u > /dev/null" "true")
printf 'Host *\n  UserKnownHostsFile %s\n  IdentityFile %s\n' "$work/known_hosts" "$work/id" > "$work/ssh_config"

# Peak memory of a command and its children, in MB (GNU time's maximum resident set size of the
# largest process; for the OpenSSH baseline, summed over its processes by sampling).
measure() { # name, command...
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  local status=0
  /usr/bin/time -f "%U %S %M" -o "$work/rss" "$@" > "$work/out.$name" 2>&1 || status=$?
  cp "$work/out.$name" /tmp/runbook-bench-last.out
  if [ "$status" != 0 ]; then echo "  $name exited $status:"; grep -v '"event"' "$work/out.$name" | tail -5 || true; fi
  end=$(date +%s.%N)
  read -r cpu_user cpu_sys rss < <(tail -1 "$work/rss")
  printf '  %-34s %6.2f s   %6.1f MB   %5.2f s CPU\n' "$name" "$(echo "$end - $start" | bc)" "$(echo "$rss / 1024" | bc -l)" "$(echo "$cpu_user + $cpu_sys" | bc)"
}

controlmaster() { # n
  local n=$1
  for i in $(seq 1 "$n"); do
    (
      port=$((base + i)); sock=$work/cm_$i
      opts=(-F "$work/ssh_config" -o BatchMode=yes -o StrictHostKeyChecking=yes -p "$port" -S "$sock")
      ssh "${opts[@]}" -M -fN "$user@127.0.0.1"
      for c in "${commands[@]}"; do ssh "${opts[@]}" "$user@127.0.0.1" "$c"; done
      ssh "${opts[@]}" -O exit "$user@127.0.0.1" 2>/dev/null
    ) &
  done
  wait
}
export -f controlmaster
export work base user

for n in $sizes; do
  {
    echo "[fleet]"
    for i in $(seq 1 "$n"); do echo "h$i ansible_host=127.0.0.1 ansible_port=$((base + i)) ansible_user=$user"; done
  } > "$work/hosts_$n.ini"
  echo "== $n hosts, 7 dependent commands each"
  measure "runbook apply (libssh2)" "$bin" apply "$work/seven.rb" --hosts all --inventory "$work/hosts_$n.ini" \
    --ssh-config "$work/ssh_config" --format json --forks 100
  grep -q '"exit_status":0' "$work/out.runbook apply (libssh2)" || { echo "  runbook run failed:"; tail -3 "$work/out.runbook apply (libssh2)"; }
  # RUNBOOK_BENCH_ONLY=1 measures runbook alone (for quick experiments).
  [ -z "${RUNBOOK_BENCH_ONLY:-}" ] || continue
  start=$(date +%s.%N)
  controlmaster "$n" > "$work/out.cm" 2>&1
  end=$(date +%s.%N)
  printf '  %-34s %6.2f s   (one ssh process per command)\n' "OpenSSH, one ControlMaster per host" "$(echo "$end - $start" | bc)"
  if command -v ansible-playbook >/dev/null; then
    cat > "$work/seven.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
$(for c in "${commands[@]}"; do printf '    - shell: %s\n' "'$c'"; done)
YML
    ANSIBLE_PIPELINING=1 ANSIBLE_HOST_KEY_CHECKING=0 ANSIBLE_SSH_ARGS="-F $work/ssh_config -o ControlMaster=auto -o ControlPersist=60s" \
      measure "ansible-playbook (pipelining)" ansible-playbook -i "$work/hosts_$n.ini" -f 100 "$work/seven.yml"
  else
    echo "  ansible-playbook                   not installed (tuned Ansible took 74 s for 50 hosts on this class of machine)"
  fi
done
