# Sourced by the benchmarks: N throwaway sshd hosts on loopback ports base+1..base+N, one user key
# ($work/id) and one host key, known_hosts in $work/known_hosts; their PIDs go into the caller's
# `pids` array (stopped by PID by the caller's cleanup).
start_sshd_hosts() { # work count base
  local work=$1 count=$2 base=$3 i port hostkey
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$work/id"
  cp "$work/id.pub" "$work/authorized_keys"; chmod 644 "$work/authorized_keys"
  ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
  hostkey=$(cut -d' ' -f1,2 "$work/host_key.pub")
  : > "$work/known_hosts"
  for i in $(seq 1 "$count"); do
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
  for i in $(seq 1 "$count"); do
    for _ in $(seq 100); do nc -z 127.0.0.1 $((base + i)) 2>/dev/null && break; sleep 0.05; done
  done
}

# Starts the hosts for the largest of the sizes, on ports below the ephemeral range (32768+) so that
# no outgoing connection holds one; concurrent runs pick their slot by PID. Sets `max` and `base`.
start_fleet() { # sizes...
  local n slot
  max=0; for n in "$@"; do [ "$n" -gt "$max" ] && max=$n; done
  slot=$((max + 10))
  base=$((20000 + ($$ % (12000 / slot)) * slot))
  start_sshd_hosts "$work" "$max" "$base"
}

# Writes the INI inventory of hosts 1..N; with `locks`, each host has a lock folder of its own under
# $work/locks, as separate machines would (they all share this /tmp).
fleet_inventory() { # n file [locks]
  local n=$1 file=$2 locks=${3:-} i
  [ -z "$locks" ] || { mkdir -p "$work/locks"; chmod 1777 "$work/locks"; }
  {
    echo "[fleet]"
    for i in $(seq 1 "$n"); do echo "h$i ansible_host=127.0.0.1 ansible_port=$((base + i)) ansible_user=$user${locks:+ runbook_lock_dir=$work/locks/h$i}"; done
  } > "$file"
}
