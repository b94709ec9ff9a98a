import Foundation

/// How a host's run ended.
public enum HostResult: String, Sendable, Codable, CaseIterable {
    case ok
    case rolledBack = "rolled_back"
    case rollbackFailed = "rollback_failed"
    /// A precheck assertion failed before any change: nothing was changed, nothing is undone.
    case precheckFailed = "precheck_failed"
    /// Failed and left as it is (`--no-rollback`, or `rollback: :none`).
    case failed
    /// Could not be connected to (or logged in to): nothing ran, nothing was changed.
    case unreachable
    case notStarted = "not_started"
    /// Interrupted a second time while work was in flight: state unknown.
    case unknown

    /// The result as people read it ("rolled back"); JSON carries the snake_case raw value.
    public var display: String { rawValue.replacingOccurrences(of: "_", with: " ") }
}

/// One thing that happened in a run. Every output format (live terminal, plain lines, JSON) and the
/// journal subscribe to the same stream of these; docs/events.md and docs/events.schema.json describe
/// the JSON form (`RunEvent+Codable.swift`).
public struct RunEvent: Sendable, Equatable {
    /// The version of the JSON form; bumped when a field changes meaning or goes away (not when one is added).
    public static let schemaVersion = 1

    /// What happened.
    public enum Kind: Sendable, Equatable {
        case runStarted(runbook: String, runID: String, hosts: [String], batches: [[String]])
        case batchStarted(index: Int, hosts: [String], canary: Bool)
        case hostStarted
        /// The SHA256 fingerprint of the key the host presented when the run connected (`rollback RUN`
        /// refuses a host that presents another).
        case hostKey(fingerprint: String)
        case stepStarted(step: String, attempt: Int)
        case stepSkipped(step: String, reason: String)
        case actionSkipped(step: String, action: String, reason: String)
        /// An action ran to completion; `index` is its place in the step (the journal keeps these for `runbook rollback RUN`).
        case actionCompleted(step: String, index: Int, action: String, undoable: Bool = true)
        case stepFinished(step: String, ok: Bool, exitStatus: Int32?, duration: Double, message: String?)
        case output(step: String, stream: String, text: String)
        case verifyStarted(name: String)
        case assertion(verification: String, description: String, holds: Bool, expected: String, found: String)
        case undo(step: String, action: String, commands: String, ok: Bool, message: String?)
        case hostFinished(result: HostResult, message: String?, left: [String], duration: Double)
        case runFinished(exitStatus: Int32, results: [String: HostResult], stoppedBy: String?, duration: Double)
        case note(String)
    }

    public var time: Date
    public var host: String?
    public var batch: Int?
    public var kind: Kind

    public init(time: Date = Date(), host: String? = nil, batch: Int? = nil, _ kind: Kind) {
        self.time = time
        self.host = host
        self.batch = batch
        self.kind = kind
    }
}

/// Fans events out to subscribers, in order, one event at a time.
public final class EventBus: @unchecked Sendable {
    private let lock = NSLock()
    private var subscribers: [@Sendable (RunEvent) -> Void] = []

    public init() {}

    public func subscribe(_ subscriber: @escaping @Sendable (RunEvent) -> Void) {
        lock.withLock { subscribers.append(subscriber) }
    }

    /// Subscribers are called under the bus's lock so that each sees events in one order; they must not
    /// block on a terminal or a pipe (the reporters queue their lines; see OutputWriter).
    public func emit(_ event: RunEvent) {
        lock.withLock {
            for subscriber in subscribers { subscriber(event) }
        }
    }
}
