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
