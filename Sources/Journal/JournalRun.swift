import Foundation
import RunEvents

/// A run read back from its journal.
public struct JournalRun: Sendable {
    public var header: JournalHeader
    public var events: [RunEvent]
    /// Lines that could not be read (a torn last line after a crash or a full disk), said, never dropped silently.
    public var problems: [String]

    /// A run read from another store (the shared PostgreSQL store keeps the same header and events).
    public init(header: JournalHeader, events: [RunEvent], problems: [String] = []) {
        self.header = header
        self.events = events
        self.problems = problems
    }

    /// The run's result (exit status, duration), absent when the run was stopped at once or died.
    public var finished: (exitStatus: Int32, duration: Double)? {
        for event in events.reversed() {
            if case .runFinished(let status, _, _, let duration) = event.kind { return (status, duration) }
        }
        return nil
    }

    public func events(of host: String) -> [RunEvent] { events.filter { $0.host == host } }

    /// Hosts in the order the run named them.
    public var hosts: [String] {
        for event in events {
            if case .runStarted(_, _, let hosts, _) = event.kind { return hosts }
        }
        return []
    }

    /// Per host, the actions that completed and were not undone, in order of completion.
    public var leftDone: [String: [(step: String, index: Int)]] {
        var result: [String: [(step: String, index: Int, action: String)]] = [:]
        for event in events {
            guard let host = event.host else { continue }
            switch event.kind {
            case .actionCompleted(let step, let index, let action, _):
                result[host, default: []].append((step, index, action))
            case .undo(let step, let action, _, let ok, _):
                guard ok, let position = result[host]?.lastIndex(where: { $0.step == step && $0.action == action }) else { continue }
                result[host]?.remove(at: position)
            default: continue
            }
        }
        return result.mapValues { $0.map { ($0.step, $0.index) } }
    }
}
