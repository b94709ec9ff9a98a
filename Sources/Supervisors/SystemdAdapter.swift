import RunbookModel
import Wire

/// systemd: `systemctl stop|start|restart`, status from `systemctl show`.
public struct SystemdAdapter: SupervisorAdapter {
    public let kind = SupervisorKind.systemd
    public let command: String

    public init(command: String) { self.command = command }

    public func stop(_ app: String) -> String { "\(command) stop \(ShellQuote.quote(app))" }
    public func start(_ target: String, name: String?) -> String { "\(command) start \(ShellQuote.quote(name ?? target))" }
    public func restart(_ app: String) -> String { "\(command) restart \(ShellQuote.quote(app))" }
    /// Units persist by themselves.
    public func save() -> String? { nil }

    public func status(_ app: String) -> String {
        "\(command) show -p ActiveState -p SubState -p MainPID -p NRestarts \(ShellQuote.quote(app))"
    }

    /// Reads `Name=value` lines; systemd prints properties in its own order, so never by position.
    public static func properties(_ output: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            if result[key] == nil { result[key] = String(line[line.index(after: equals)...]) }
        }
        return result
    }

    public func parseStatus(_ output: String, exitStatus: Int32, app: String) throws(SupervisorOutputError) -> ProcessStatus {
        let properties = Self.properties(output)
        guard properties["ActiveState"] != nil || properties["NRestarts"] != nil || properties["MainPID"] != nil else {
            throw SupervisorOutputError("`systemctl show` printed none of ActiveState, MainPID, NRestarts for \(app)")
        }
        let active = properties["ActiveState"] ?? "unknown"
        let sub = properties["SubState"] ?? ""
        let state: ProcessStatus.State =
            switch active {
            case "active", "reloading": .running
            case "inactive": .stopped
            // auto-restart: it died and systemd will start it again; only `failed` means it gave up.
            case "activating": .starting
            case "deactivating": .stopped
            case "failed": .failed
            default: .unknown
            }
        let pid = properties["MainPID"].flatMap { Int($0) }.flatMap { $0 == 0 ? nil : $0 }
        // "[not set]" and other placeholders read as no counter.
        let restarts = properties["NRestarts"].flatMap { Int($0) }
        return ProcessStatus(state: state, pid: pid, restarts: restarts, detail: sub.isEmpty ? active : "\(active)/\(sub)")
    }
}

extension SystemdAdapter {
    /// `reload-or-restart`: the unit's ExecReload when it has one, a restart otherwise.
    public func reload(_ app: String, signal: String?) -> String {
        if let signal { return "\(command) kill -s \(signal) \(ShellQuote.quote(app))" }
        return "\(command) reload-or-restart \(ShellQuote.quote(app))"
    }

    /// Records whether the unit was enabled and active, then `disable --now` (the unit file stays).
    public func remove(_ app: String, state: String, runID: String) -> String {
        let a = ShellQuote.quote(app)
        return "{ \(command) is-enabled \(a); \(command) is-active \(a); } > \(state) 2>/dev/null; \(command) disable --now \(a)"
    }

    public func restore(_ app: String, state: String, runID: String) -> String {
        let a = ShellQuote.quote(app)
        return "if [ \"$(sed -n 1p \(state))\" = enabled ]; then \(command) enable \(a); fi"
            + " && if [ \"$(sed -n 2p \(state))\" = active ]; then \(command) start \(a); fi && rm -f \(state)"
    }

    public func removeCleanup(_ app: String, state: String, runID: String) -> String { "rm -f \(state)" }

    public func logTail(_ app: String, lines: Int) -> String {
        "journalctl -u \(ShellQuote.quote(app)) -n \(lines) --no-pager -o cat"
    }

    public var logsByTime: Bool { true }

    public func logRead(_ app: String) -> String {
        "journalctl -u \(ShellQuote.quote(app)) --since \"@$RUNBOOK_SINCE\" --no-pager -o cat"
    }
}
