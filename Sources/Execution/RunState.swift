import Foundation
import Planning
import RunEvents
import StateStore
import Synchronization

/// An action that may have changed a host (it completed, or failed or stopped half way), kept for its
/// undo and its cleanup.
struct CompletedAction: Sendable {
    var step: String
    var action: PlannedAction
    /// Its ids in the write-ahead journal.
    var id: ActionID
    /// False when the action failed or was cut off: it may be done in part.
    var completed = true
}

/// The order in which actions completed on a host (undo runs in reverse).
final class Ledger: Sendable {
    private let items = Mutex<[CompletedAction]>([])

    /// A later attempt of the same action replaces the earlier one: one undo covers both.
    func record(_ item: CompletedAction) {
        items.withLock { items in
            items.removeAll { $0.step == item.step && $0.id.index == item.id.index }
            items.append(item)
        }
    }
    func record(_ items: [CompletedAction]) { for item in items { record(item) } }
    var all: [CompletedAction] { items.withLock { $0 } }
    func removeAll() { items.withLock { $0.removeAll() } }
}

/// Asks a run to stop: first gracefully (start nothing new), then at once. Ctrl-C raises it; a failed
/// journal halts it (no new change, hosts in flight roll back) without counting as a Ctrl-C.
public final class StopSignal: Sendable {
    private struct State {
        var level = 0
        var halted: String?
    }
    private let state = Mutex(State())

    public init() {}

    /// 1 the first time (finish and roll back), 2 the second (stop at once).
    @discardableResult
    public func raise() -> Int {
        state.withLock {
            $0.level = min(2, $0.level + 1)
            return $0.level
        }
    }

    /// Starts no new change, as a first Ctrl-C does, for `reason` (the journal cannot be written).
    public func halt(because reason: String) {
        state.withLock { if $0.halted == nil { $0.halted = reason } }
    }

    public var graceful: Bool { state.withLock { $0.level >= 1 || $0.halted != nil } }
    public var immediate: Bool { state.withLock { $0.level >= 2 } }
    /// True once Ctrl-C was pressed.
    public var interrupted: Bool { state.withLock { $0.level >= 1 } }
    /// Why the run stops early: "interrupted (Ctrl-C)", a halt's reason, or nil.
    public var reason: String? { state.withLock { $0.level >= 1 ? "interrupted (Ctrl-C)" : $0.halted } }

    /// Sleeps up to `seconds`, waking within 0.1 s of a stop; false when the run is stopping.
    public func sleep(seconds: Double) async -> Bool {
        let until = Date().addingTimeInterval(seconds)
        while !graceful {
            let left = until.timeIntervalSinceNow
            if left <= 0 { return true }
            try? await Task.sleep(for: .milliseconds(Int(min(left, 0.1) * 1000) + 1))
        }
        return false
    }
}

/// How one host's forward run ended (before any fleet-wide decision).
public struct HostOutcome: Sendable {
    public var host: String
    public var result: HostResult
    /// What failed, when something did.
    public var message: String?
    /// Undos that failed: what is left to do by hand.
    public var left: [String]
    /// True once any action completed on the host (it was changed by this run).
    public var changed: Bool
    public var duration: Double

    public init(host: String, result: HostResult, message: String?, left: [String], changed: Bool, duration: Double) {
        self.host = host
        self.result = result
        self.message = message
        self.left = left
        self.changed = changed
        self.duration = duration
    }
}
