import Foundation
import RunbookModel
import Wire

/// PM2: `pm2 stop|start|restart|save`, status from `pm2 jlist`.
public struct PM2Adapter: SupervisorAdapter {
    public let kind = SupervisorKind.pm2
    public let command: String

    public init(command: String) { self.command = command }

    public func stop(_ app: String) -> String { "\(command) stop \(ShellQuote.quote(app))" }

    public func start(_ target: String, name: String?) -> String {
        guard let name, name != target else { return "\(command) start \(ShellQuote.quote(target))" }
        // An ecosystem file selects its app with --only; a script gets the name with --name.
        let isEcosystem =
            target.contains("ecosystem") || target.hasSuffix(".json") || target.hasSuffix(".yml") || target.hasSuffix(".yaml")
            || target.hasSuffix(".config.js") || target.hasSuffix(".config.cjs")
        return "\(command) start \(ShellQuote.quote(target)) \(isEcosystem ? "--only" : "--name") \(ShellQuote.quote(name))"
    }

    public func restart(_ app: String) -> String { "\(command) restart \(ShellQuote.quote(app))" }

    public func save() -> String? { "\(command) save" }

    public func status(_ app: String) -> String { "\(command) jlist" }

    /// The PM2 dump file, honouring PM2_HOME, as a shell expression.
    public static let dumpPath = "\"${PM2_HOME:-$HOME/.pm2}/dump.pm2\""

    public func parseStatus(_ output: String, exitStatus: Int32, app: String) throws(SupervisorOutputError) -> ProcessStatus {
        let processes = try Self.parseJlist(output)
        guard let process = processes.first(where: { $0.name == app }) else {
            return ProcessStatus(state: .stopped, pid: nil, restarts: nil, detail: "not in pm2's list")
        }
        let state: ProcessStatus.State =
            switch process.status {
            case "online": .running
            case "stopped", "stopping": .stopped
            case "launching", "waiting restart": .starting
            case "errored", "one-launch-status": .failed
            default: .unknown
            }
        return ProcessStatus(state: state, pid: process.pid == 0 ? nil : process.pid, restarts: process.restarts, detail: process.status)
    }

    /// One entry of `pm2 jlist`, with only the fields runbook reads (never `pm2_env`'s environment).
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var pid: Int
        public var status: String
        public var restarts: Int
    }

    /// Finds the JSON array in `pm2 jlist` output (banners and daemon messages may precede it).
    public static func parseJlist(_ output: String) throws(SupervisorOutputError) -> [Entry] {
        var searchStart = output.startIndex
        while let open = output[searchStart...].firstIndex(of: "[") {
            let candidate = output[open...]
            if let data = candidate.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data) as? [Any] {
                return array.compactMap { item in
                    guard let object = item as? [String: Any], let name = object["name"] as? String else { return nil }
                    let env = object["pm2_env"] as? [String: Any] ?? [:]
                    return Entry(
                        name: name, pid: (object["pid"] as? NSNumber)?.intValue ?? 0, status: env["status"] as? String ?? "unknown",
                        restarts: (env["restart_time"] as? NSNumber)?.intValue ?? 0)
                }
            }
            searchStart = output.index(after: open)
        }
        throw SupervisorOutputError("`pm2 jlist` printed no JSON process list")
    }
}
