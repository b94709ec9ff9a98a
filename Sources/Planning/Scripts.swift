import RunbookModel
import Wire

/// The shell scripts behind actions that are more than one command. They need only POSIX sh, awk and
/// /proc on the host (no ss, lsof, fuser or Python), and decide from exit codes, never from messages.
public enum Scripts {
    /// Frees a TCP port: signal every process listening on it (IPv4 and IPv6), wait, then KILL.
    /// PID 1 and the process tree of the session running the script are never signalled.
    public static func freePort(port: Int, signal: String, graceMilliseconds: Int) -> String {
        """
        [ -r /proc/net/tcp ] || { echo 'cannot free the port: /proc/net/tcp is not readable here' >&2; exit 1; }
        port=\(port); sig=\(signal); grace_ms=\(graceMilliseconds)
        hex=$(printf '%04X' "$port")
        listeners() { awk -v p=":$hex" 'FNR>1 && $4=="0A" && substr($2, length($2)-4)==p {print $10}' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u; }
        owners() { for i in $(listeners); do find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\\[$i\\]" 2>/dev/null; done | cut -d/ -f3 | sort -un; }
        protected=" 1 $$ "; p=$$
        while [ "$p" -gt 1 ] 2>/dev/null; do p=$(sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f2); [ -n "$p" ] || break; protected="$protected$p "; done
        [ -n "$(listeners)" ] || { echo "port $port is free"; exit 0; }
        targets=""
        for pid in $(owners); do case "$protected" in *" $pid "*) echo "not signalling pid $pid: it is init or part of this session";; *) targets="$targets $pid";; esac; done
        [ -n "$targets" ] || { echo "port $port is held by a process this user cannot see or signal" >&2; exit 1; }
        for pid in $targets; do echo "sent $sig to pid $pid: $(tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null)"; kill -s "$sig" "$pid" 2>/dev/null; done
        waited=0
        while [ -n "$(listeners)" ] && [ "$waited" -lt "$grace_ms" ]; do sleep 0.1; waited=$((waited + 100)); done
        if [ -n "$(listeners)" ]; then
          for pid in $(owners); do case "$protected" in *" $pid "*) ;; *) echo "sent KILL to pid $pid: still listening after ${grace_ms}ms"; kill -s KILL "$pid" 2>/dev/null;; esac; done
          n=0; while [ -n "$(listeners)" ] && [ "$n" -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
        fi
        [ -z "$(listeners)" ] || { echo "port $port is still in use" >&2; exit 1; }
        echo "port $port is free"
        """
    }

    /// The sibling a run moves a path to: `path.runbook-RUNID`.
    public static func aside(_ path: String, runID: String) -> String { "\(path).runbook-\(runID)" }
}
