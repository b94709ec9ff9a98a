import RunbookModel
import Wire

/// supervisord: `supervisorctl stop|start|restart|status`. It keeps no restart counter: the restart
/// count of an app is derived from changes of its pid between polls (see docs/supervisors.md).
public struct SupervisordAdapter: SupervisorAdapter {
    public let kind = SupervisorKind.supervisord
    public let command: String

    public init(command: String) { self.command = command }

    public func stop(_ app: String) -> String { "\(command) stop \(ShellQuote.quote(app))" }
    public func start(_ target: String, name: String?) -> String { "\(command) start \(ShellQuote.quote(name ?? target))" }
    public func restart(_ app: String) -> String { "\(command) restart \(ShellQuote.quote(app))" }
    /// supervisord's programs come from its configuration files; there is no list to save.
    public func save() -> String? { nil }
    public func status(_ app: String) -> String { "\(command) status \(ShellQuote.quote(app))" }

    /// Reads `name STATE pid 123, uptime 0:01:02` (supervisorctl exits non-zero for stopped programs).
    public func parseStatus(_ output: String, exitStatus: Int32, app: String) throws(SupervisorOutputError) -> ProcessStatus {
        for line in output.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard words.count >= 2, words[0] == app || words[0].hasSuffix(":" + app) else { continue }
            let word = words[1]
            var pid: Int?
            if let index = words.firstIndex(of: "pid"), index + 1 < words.count {
                pid = Int(words[index + 1].trimmingCharacters(in: ","))
            }
            let state: ProcessStatus.State =
                switch word {
                case "RUNNING": .running
                case "STOPPED", "EXITED", "STOPPING": .stopped
                // BACKOFF: it exited too soon and supervisord will try again; FATAL: it gave up.
                case "STARTING", "BACKOFF": .starting
                case "FATAL": .failed
                default: .unknown
                }
            return ProcessStatus(state: state, pid: pid, restarts: nil, detail: word)
        }
        if output.contains("no such process") || output.contains("ERROR (no such") {
            throw SupervisorOutputError("supervisord has no program named \(app)")
        }
        throw SupervisorOutputError("`supervisorctl status` printed no line for \(app): \(output.prefix(200))")
    }
}

extension SupervisordAdapter {
    /// `reread` + `update APP` applies a changed program section (restarting the program only when it
    /// changed); `signal:` sends the app a signal through supervisord instead.
    public func reload(_ app: String, signal: String?) -> String {
        if let signal { return "\(command) signal \(signal) \(ShellQuote.quote(app))" }
        return "\(command) reread && \(command) update \(ShellQuote.quote(app))"
    }

    /// Records the state (once: a second run keeps the first record, written through a temporary
    /// name), stops the program and removes it from the running supervisord; its `[program:]` section
    /// stays in the configuration, so `add` puts it back. A program already removed is not an error.
    public func remove(_ app: String, state: String, runID: String) -> String {
        let a = ShellQuote.quote(app)
        return
            "[ -e \(state) ] || { \(command) status \(a) | awk 'NR==1 {print $2}' > \(state).tmp && mv -f \(state).tmp \(state); }; \(command) stop \(a) > /dev/null 2>&1;"
            + " o=$(\(command) remove \(a) 2>&1) || case $o in *'no such process'*) ;; *) echo \"$o\" >&2; exit 1;; esac"
    }

    /// Puts the program back as the state file says, only while the file is there (so twice is once).
    public func restore(_ app: String, state: String, runID: String) -> String {
        let a = ShellQuote.quote(app)
        return
            "rm -f \(state).tmp; [ ! -e \(state) ] || { \(command) add \(a) > /dev/null 2>&1; case \"$(cat \(state))\" in RUNNING|STARTING|BACKOFF) \(command) status \(a) | grep -q RUNNING || \(command) start \(a);;"
            + " *) \(command) stop \(a) > /dev/null 2>&1 || true;; esac && rm -f \(state); }"
    }

    public func removeCleanup(_ app: String, state: String, runID: String) -> String { "rm -f \(state) \(state).tmp" }

    /// `supervisorctl tail` reads the program's stdout log (stderr too when it is not redirected).
    public func logTail(_ app: String, lines: Int) -> String {
        "\(command) tail -\(lines * 400) \(ShellQuote.quote(app)) | tail -n \(lines)"
    }

    public var logsByTime: Bool { false }

    public func logRead(_ app: String) -> String {
        let a = ShellQuote.quote(app)
        return "\(command) tail -1048576 \(a); \(command) tail -1048576 \(a) stderr 2>&1 | grep -v 'ERROR (no log file)' || true"
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
