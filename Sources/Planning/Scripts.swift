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

    /// Sums VmRSS (KiB) over the process `$RUNBOOK_PID` and all its descendants, from /proc; prints
    /// "KIB PROCESSES". Exits 3 when the process is gone.
    public static let treeRSS = """
        root="$RUNBOOK_PID"
        [ -r "/proc/$root/status" ] || { echo "process $root is gone" >&2; exit 3; }
        tree=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$root" '{pid=$1; s=$0; sub(/.*\\) /, "", s); split(s, a, " "); parent[pid]=a[2]}
          END {keep[root]=1; more=1; while (more) {more=0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) {keep[p]=1; more=1}} for (p in keep) print p}')
        total=0; n=0
        for p in $tree; do kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null); if [ -n "$kb" ]; then total=$((total + kb)); n=$((n + 1)); fi; done
        echo "$total $n"
        """

    /// Opens a TCP connection as the host sees it: bash's /dev/tcp, else nc; exits 3 when the host has
    /// neither (a check that cannot be made is never a pass).
    public static func reachableProbe(host: String, port: Int) -> String {
        let h = ShellQuote.quote(host)
        return """
            if command -v bash >/dev/null 2>&1; then bash -c 'exec 3<>"/dev/tcp/$0/$1"' \(h) \(port)
            elif command -v nc >/dev/null 2>&1; then nc -z \(h) \(port)
            else echo "cannot check: reachable needs bash (with /dev/tcp) or nc on the host" >&2; exit 3; fi
            """
    }

    /// A value as an env file line holds it: as it is when made of safe characters, else
    /// double-quoted with `\\ " $ `` ` `` escaped (what dotenv, docker compose and systemd read back).
    public static func envValue(_ value: String) -> String {
        let safe = value.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSetASCII.isAlphanumeric($0) || "_@%+=:,./-".unicodeScalars.contains($0)) }
        if safe { return value }
        var quoted = "\""
        for character in value {
            if "\\\"$`".contains(character) { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }

    /// Edits a KEY=value file in place: `set` keys get their new value where they stand (keeping
    /// `export ` and everything before the `=`), missing ones are appended, `unset` lines are dropped;
    /// comments, blank lines and order stay. Values arrive as `RB_V<n>` environment variables.
    public static func envFileAwk(keys: [String], unset: [String]) -> String {
        let setup =
            keys.enumerated().map { "key[\($0.offset)]=\"\($0.element)\"; idx[\"\($0.element)\"]=\($0.offset)" }
            + unset.map { "drop[\"\($0)\"]=1" }
        return """
            BEGIN { n=\(keys.count); \(setup.joined(separator: "; ")) }
            { k=$0; sub(/^[ \\t]*(export[ \\t]+)?/, "", k)
              if (match(k, /^[A-Za-z_][A-Za-z0-9_]*[ \\t]*=/)) { name=k; sub(/[ \\t]*=.*$/, "", name)
                if (name in drop) next
                if (name in idx) { print substr($0, 1, index($0, "=")) ENVIRON["RB_V" idx[name]]; seen[name]=1; next } }
              print }
            END { for (i=0; i<n; i++) if (!(key[i] in seen)) print key[i] "=" ENVIRON["RB_V" i] }
            """
    }
}

/// ASCII letters and digits, without Foundation.
enum CharacterSetASCII {
    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
