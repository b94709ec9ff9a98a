import Foundation
import Planning

/// How a host's run ended.
public enum HostResult: String, Sendable, Codable {
    case ok
    case rolledBack = "rolled back"
    case rollbackFailed = "rollback failed"
    /// Failed and left as it is (`--no-rollback`, or `rollback: :none`).
    case failed
    case notStarted = "not started"
    /// Interrupted a second time while work was in flight: state unknown.
    case unknown
}

/// One thing that happened in a run. Every output format (live terminal, plain lines, JSON) and the
/// journal subscribe to the same stream of these.
public struct RunEvent: Sendable {
    /// What happened.
    public enum Kind: Sendable {
        case runStarted(runbook: String, runID: String, hosts: [String], batches: [[String]])
        case batchStarted(index: Int, hosts: [String], canary: Bool)
        case hostStarted
        case stepStarted(step: String, attempt: Int)
        case stepSkipped(step: String, reason: String)
        case actionSkipped(step: String, action: String, reason: String)
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

    public func emit(_ event: RunEvent) {
        lock.withLock {
            for subscriber in subscribers { subscriber(event) }
        }
    }
}

extension RunEvent {
    /// The event as one JSON object (for `--format json`); text in it is already masked.
    public var json: [String: Any] {
        var object: [String: Any] = ["time": Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(time)]
        if let host { object["host"] = host }
        if let batch { object["batch"] = batch }
        switch kind {
        case .runStarted(let runbook, let runID, let hosts, let batches):
            object["event"] = "run_started"
            object["runbook"] = runbook
            object["run_id"] = runID
            object["hosts"] = hosts
            object["batches"] = batches
        case .batchStarted(let index, let hosts, let canary):
            object["event"] = "batch_started"
            object["batch"] = index
            object["hosts"] = hosts
            object["canary"] = canary
        case .hostStarted: object["event"] = "host_started"
        case .stepStarted(let step, let attempt):
            object["event"] = "step_started"
            object["step"] = step
            object["attempt"] = attempt
        case .stepSkipped(let step, let reason):
            object["event"] = "step_skipped"
            object["step"] = step
            object["reason"] = reason
        case .actionSkipped(let step, let action, let reason):
            object["event"] = "action_skipped"
            object["step"] = step
            object["action"] = action
            object["reason"] = reason
        case .stepFinished(let step, let ok, let exitStatus, let duration, let message):
            object["event"] = "step_finished"
            object["step"] = step
            object["ok"] = ok
            if let exitStatus { object["exit_status"] = Int(exitStatus) }
            object["duration"] = (duration * 1000).rounded() / 1000
            if let message { object["message"] = message }
        case .output(let step, let stream, let text):
            object["event"] = "output"
            object["step"] = step
            object["stream"] = stream
            object["line"] = text
        case .verifyStarted(let name):
            object["event"] = "verify_started"
            object["verification"] = name
        case .assertion(let verification, let description, let holds, let expected, let found):
            object["event"] = "assertion"
            object["verification"] = verification
            object["assertion"] = description
            object["holds"] = holds
            object["expected"] = expected
            object["found"] = found
        case .undo(let step, let action, let commands, let ok, let message):
            object["event"] = "undo"
            object["step"] = step
            object["action"] = action
            object["commands"] = commands
            object["ok"] = ok
            if let message { object["message"] = message }
        case .hostFinished(let result, let message, let left, let duration):
            object["event"] = "host_finished"
            object["result"] = result.rawValue
            if let message { object["message"] = message }
            if !left.isEmpty { object["left_to_do"] = left }
            object["duration"] = (duration * 1000).rounded() / 1000
        case .runFinished(let exitStatus, let results, let stoppedBy, let duration):
            object["event"] = "run_finished"
            object["exit_status"] = Int(exitStatus)
            object["results"] = results.mapValues(\.rawValue)
            if let stoppedBy { object["stopped_by"] = stoppedBy }
            object["duration"] = (duration * 1000).rounded() / 1000
        case .note(let text):
            object["event"] = "note"
            object["message"] = text
        }
        return object
    }
}
