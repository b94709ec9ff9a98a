# Sourced by the benchmarks: the scratch folder and login user they share.

# Sets $work (a scratch folder, removed at exit with every process in `pids`, stopped by PID) and
# $user: `rbbench`, whose shell starts clean (/bin/sh, no rc files), at home in $work.
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
bench_workspace() {
  work=$(mktemp -d /tmp/runbook-bench-XXXXXX)
  chmod 755 "$work"
  pids=()
  trap cleanup EXIT INT TERM
  user=rbbench
  id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir "$work" --shell /bin/sh "$user"
  usermod -p '*' -d "$work" -s /bin/sh "$user" >/dev/null
}

# Three dependent steps, each a command with an undo (so each writes write-ahead records), and the
# ssh_config the hosts of lib/hosts.sh need. Args: the runbook file, an optional line (`lock false`).
write_three_steps() {
  {
    echo 'runbook "three" do'
    [ -z "${2:-}" ] || echo "  $2"
    echo '  step :s1 do'
    echo '    run "true", undo: "true"'
    echo '  end'
    echo '  step :s2, after: :s1 do'
    echo '    run "true", undo: "true"'
    echo '  end'
    echo '  step :s3, after: :s2 do'
    echo '    run "true", undo: "true"'
    echo '  end'
    echo 'end'
  } > "$1"
  printf 'Host *\n  UserKnownHostsFile %s\n  IdentityFile %s\n' "$work/known_hosts" "$work/id" > "$work/ssh_config"
}
