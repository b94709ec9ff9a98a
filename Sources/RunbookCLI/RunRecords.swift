import Execution
import Foundation
import Journal
import Planning
import StateStore

/// What a run records about each host, and how `rollback RUN` compares it with today's plan.
enum RunRecords {
    /// The host's identity and a digest of what a rollback would send (every action's undo and the
    /// rollback block): a variable they use that changed changes the digest. Controller-local paths
    /// (an upload's source) stay out, so a rollback from another machine compares like with like.
    static func record(_ host: HostPlan) -> HostRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes: [UInt8] = []
        bytes += (try? encoder.encode(host.steps.flatMap(\.actions).map(\.undoCommands))).map(Array.init) ?? []
        bytes += (try? encoder.encode(host.rollback)).map(Array.init) ?? []
        var variables = ["plan_digest": Journal.digest(bytes)]
        if let folder = host.lockFolder { variables["runbook_lock_dir"] = folder }
        return HostRecord(
            name: host.host, address: host.connection.address, port: host.connection.port, user: host.connection.user, variables: variables)
    }

    /// How today's values of a host differ from the recorded ones ("port 22 (recorded 2222)"), empty when they agree.
    static func differences(_ recorded: HostRecord, _ today: HostRecord) -> [String] {
        var result: [String] = []
        if recorded.address != today.address { result.append("address \(today.address) (recorded \(recorded.address))") }
        if recorded.port != today.port { result.append("port \(today.port) (recorded \(recorded.port))") }
        if recorded.user != today.user { result.append("user \(today.user ?? "-") (recorded \(recorded.user ?? "-"))") }
        for key in Set(recorded.variables.keys).union(today.variables.keys).sorted() where recorded.variables[key] != today.variables[key] {
            result.append(key == "plan_digest" ? "its planned commands (a variable the runbook reads changed)" : "\(key)")
        }
        return result
    }
}
