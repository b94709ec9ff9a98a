/// The one way a command starts on a host. The exec request is a constant that every login shell
/// (sh, bash, zsh, csh, tcsh, fish) parses the same: `exec sh -s`. The script itself arrives on
/// standard input as one `{ ... }` group, so sh parses all of it before running any of it: a payload
/// cut short by a dropped connection is a syntax error and runs nothing. The group exports the
/// secrets (never on a command line), runs the body with `sh -c` (under `timeout` when it has a
/// limit the host enforces) and watches standard input: when the controller's end closes (it was killed, the
/// connection dropped), the body's whole process group gets TERM, then KILL two seconds later. That
/// group is the starter's own when the starter leads one (sshd and the local transport start it in a
/// new session), else one `setsid` makes.
public enum Starter {
    /// The exec request.
    public static func request(sudo: Bool) -> String { sudo ? "exec sudo -n sh -s" : "exec sh -s" }

    /// Ends the group's last line: nothing a runbook renders puts it alone on a line.
    public static let endMarker = "# runbook-end"

    /// Exit status of the starter itself when the host cannot run commands (`timeout` or `setsid` missing).
    public static let unableStatus: Int32 = 125

    /// The script written to standard input; `exports` are (variable, shell word) pairs.
    public static func payload(_ command: HostCommand, exports: [(String, String)]) -> String {
        var lines = ["{"]
        for (name, word) in exports { lines.append("export \(name)=\(word)") }
        lines.append("B=" + ShellQuote.quote(command.body.script))
        lines.append(
            "command -v timeout >/dev/null 2>&1 && command -v setsid >/dev/null 2>&1 || { echo 'runbook: cannot run commands on this host: it needs timeout and setsid' >&2; exit \(unableStatus); }"
        )
        // A starter leading its process group kills that group (k), and so needs no setsid exec per command.
        lines.append("g=; read -r _ _ _ _ g _ 2>/dev/null </proc/$$/stat; if [ \"$g\" = $$ ]; then s=; k=-$$; else s=setsid; k=; fi")
        lines.append("exec 3<&0")
        // No timeout process for a command without a limit; GNU timeout leads a group (-$c) of its own.
        let hostTimeout = command.limited && command.limitedByController != true
        let run = hostTimeout ? "timeout -k 2 \(seconds(command.limit)) sh -c \"$B\"" : "sh -c \"$B\""
        lines.append("$s \(run) 3<&- & c=$!")
        lines.append("{ while read -r _; do :; done; trap '' TERM; kill -s TERM -- -$c $k; sleep 2; kill -s KILL -- -$c $k; } <&3 >/dev/null 2>&1 & w=$!")
        lines.append("exec 3<&-")
        lines.append("wait $c; s=$?; kill $w 2>/dev/null")
        // Parsed with the rest of the group, so a cut payload runs neither; the body cannot skip it with `exit`.
        if let then = command.onSuccess { lines.append("[ $s != 0 ] || { " + then.script + "\n}") }
        lines.append("exit $s")
        // The comment marks the group's end for readers of the stream (the contract test's logger).
        lines.append("} " + endMarker)
        return lines.joined(separator: "\n") + "\n"
    }

    /// `10`, `0.5`: the shortest exact decimal, as `timeout` reads it.
    public static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let whole = millis / 1000
        let fraction = millis % 1000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
