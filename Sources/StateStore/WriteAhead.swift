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
}

/// What every store agrees on about write-ahead records, so the local journal and a shared store
/// answer `rollback RUN` alike.
public enum WriteAhead {
    /// Per host, in order of intent: actions with an intent whose undo has not completed successfully.
    /// An intent without a completion counts (possibly done); an action whose completion says it failed
    /// counts too (it may have changed the host before failing); an undo that failed or never
    /// completed leaves the action outstanding, and its guarded undo runs again.
    public static func outstanding(_ records: [WriteAheadRecord]) -> [String: [Outstanding]] {
        var order: [ActionID] = []
        var items: [ActionID: Outstanding] = [:]
        for record in records {
            switch (record.work, record.phase) {
            case (.action, .intent):
                if items[record.id] == nil { order.append(record.id) }
                items[record.id] = Outstanding(id: record.id, summary: record.summary, undo: record.undo, completed: false)
            case (.action, .completion):
                if record.ok == true { items[record.id]?.completed = true }
            case (.undo, .completion):
                if record.ok == true { items[record.id] = nil }
            case (.undo, .intent):
                continue
            }
        }
        var result: [String: [Outstanding]] = [:]
        for id in order {
            guard let item = items[id] else { continue }
            result[id.host, default: []].append(item)
        }
        return result
    }
}
