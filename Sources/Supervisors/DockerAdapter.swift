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
