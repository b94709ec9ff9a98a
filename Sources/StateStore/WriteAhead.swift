import Foundation
import Wire

/// An action that may have changed its host and has not been undone.
public struct Outstanding: Sendable, Equatable {
    public var id: ActionID
    public var summary: String
    /// The undo's commands as planned when the action was announced.
    public var undo: [HostCommand]
    /// False when the intent has no completion (the controller died, or the action failed half way):
    /// the action may be done in part, so only a guarded undo may run.
    public var completed: Bool
    /// The paths the action changes, as its intent recorded them.
    public var paths: [String] = []
}

/// What every store agrees on about write-ahead records, so the local journal and a shared store
/// answer `rollback RUN` alike.
public enum WriteAhead {
    /// Per host, oldest first (by the action's last record: its completion, else its intent): actions with an intent whose undo has not completed successfully.
    /// An intent without a completion counts (possibly done); an action whose completion says it failed
    /// counts too (it may have changed the host before failing); an undo that failed or never
    /// completed leaves the action outstanding, and its guarded undo runs again.
    public static func outstanding(_ records: [WriteAheadRecord]) -> [String: [Outstanding]] {
        // A later attempt of the same action supersedes an earlier one: one undo covers both.
        var position: [Key: Int] = [:]
        var items: [Key: Outstanding] = [:]
        for (offset, record) in records.enumerated() {
            let key = Key(record.id)
            switch (record.work, record.phase) {
            case (.action, .intent):
                position[key] = offset
                items[key] = Outstanding(id: record.id, summary: record.summary, undo: record.undo, completed: false, paths: record.paths ?? [])
            case (.action, .completion):
                position[key] = offset
                if record.ok == true { items[key]?.completed = true }
            case (.undo, .completion):
                if record.ok == true { items[key] = nil }
            case (.undo, .intent):
                continue
            }
        }
        var result: [String: [Outstanding]] = [:]
        for key in items.keys.sorted(by: { position[$0, default: 0] < position[$1, default: 0] }) {
            guard let item = items[key] else { continue }
            result[key.host, default: []].append(item)
        }
        return result
    }

    /// An action whatever its attempt.
    private struct Key: Hashable {
        var host: String
        var step: String
        var index: Int

        init(_ id: ActionID) {
            host = id.host
            step = id.step
            index = id.index
        }
    }
}
