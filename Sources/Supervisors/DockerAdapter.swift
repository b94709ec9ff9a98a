import Foundation
import RunbookModel
import Wire

/// Docker: `docker stop|start|restart`, status and RestartCount from `docker inspect`.
public struct DockerAdapter: SupervisorAdapter {
    public let kind = SupervisorKind.docker
    public let command: String

    public init(command: String) { self.command = command }

    public func stop(_ app: String) -> String { "\(command) stop \(ShellQuote.quote(app))" }
    public func start(_ target: String, name: String?) -> String { "\(command) start \(ShellQuote.quote(name ?? target))" }
    public func restart(_ app: String) -> String { "\(command) restart \(ShellQuote.quote(app))" }
    /// Containers persist by themselves.
    public func save() -> String? { nil }
    public func status(_ app: String) -> String { "\(command) inspect \(ShellQuote.quote(app))" }

    public func parseStatus(_ output: String, exitStatus: Int32, app: String) throws(SupervisorOutputError) -> ProcessStatus {
        guard let data = output.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
            let container = array.first
        else {
            if exitStatus != 0 { return ProcessStatus(state: .stopped, pid: nil, restarts: nil, detail: "no such container") }
            throw SupervisorOutputError("`docker inspect` printed no JSON for \(app)")
        }
        let state = container["State"] as? [String: Any] ?? [:]
        let status = state["Status"] as? String ?? "unknown"
        let mapped: ProcessStatus.State =
            switch status {
            case "running": .running
            case "exited", "created", "paused": .stopped
            case "restarting": .starting
            case "dead": .failed
            default: .unknown
            }
        let pid = (state["Pid"] as? NSNumber)?.intValue
        return ProcessStatus(
            state: mapped, pid: pid == 0 ? nil : pid, restarts: (container["RestartCount"] as? NSNumber)?.intValue, detail: status)
    }
}

extension DockerAdapter {
    /// Containers reload on a signal: HUP unless `signal:` says otherwise.
    public func reload(_ app: String, signal: String?) -> String {
        "\(command) kill -s \(signal ?? "HUP") \(ShellQuote.quote(app))"
    }

    /// The name the container is kept under while removed: `NAME.runbook-RUNID`.
    public static func keptName(_ app: String, runID: String) -> String { "\(app).runbook-\(runID)" }

    /// Records whether it ran, stops it and renames it aside (removed for good at cleanup).
    public func remove(_ app: String, state: String, runID: String) -> String {
        let a = ShellQuote.quote(app)
        return "\(command) inspect -f '{{.State.Running}}' \(a) > \(state) && \(command) stop \(a) && \(command) rename \(a) "
            + ShellQuote.quote(Self.keptName(app, runID: runID))
    }

    public func restore(_ app: String, state: String, runID: String) -> String {
        let a = ShellQuote.quote(app)
        return "\(command) rename \(ShellQuote.quote(Self.keptName(app, runID: runID))) \(a)"
            + " && if [ \"$(cat \(state))\" = true ]; then \(command) start \(a); fi && rm -f \(state)"
    }

    public func removeCleanup(_ app: String, state: String, runID: String) -> String {
        "\(command) rm \(ShellQuote.quote(Self.keptName(app, runID: runID))) && rm -f \(state)"
    }

    public func logTail(_ app: String, lines: Int) -> String { "\(command) logs --tail \(lines) \(ShellQuote.quote(app)) 2>&1" }

    public var logsByTime: Bool { true }

    public func logRead(_ app: String) -> String { "\(command) logs --since \"$RUNBOOK_SINCE\" \(ShellQuote.quote(app)) 2>&1" }
}
