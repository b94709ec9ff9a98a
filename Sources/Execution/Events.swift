import Foundation
import Planning

/// How a host's run ended.
public enum HostResult: String, Sendable, Codable {
    case ok
    case rolledBack = "rolled back"
    case rollbackFailed = "rollback failed"
    /// A precheck assertion failed before any change: nothing was changed, nothing is undone.
    case precheckFailed = "precheck failed"
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

    public func emit(_ event: RunEvent) {
        lock.withLock {
            for subscriber in subscribers { subscriber(event) }
        }
    }
}

extension RunEvent {
    /// The event as one line of JSON (for `--format json`), keys sorted; text in it is already masked.
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(json) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The event as a JSON object; text in it is already masked.
    public var json: [String: JSONValue] {
        var object: [String: JSONValue] = ["time": .string(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(time))]
        if let host { object["host"] = JSONValue(host) }
        if let batch { object["batch"] = JSONValue(batch) }
        switch kind {
        case .runStarted(let runbook, let runID, let hosts, let batches):
            object["event"] = JSONValue("run_started")
            object["runbook"] = JSONValue(runbook)
            object["run_id"] = JSONValue(runID)
            object["hosts"] = JSONValue(hosts)
            object["batches"] = JSONValue(batches)
        case .batchStarted(let index, let hosts, let canary):
            object["event"] = JSONValue("batch_started")
            object["batch"] = JSONValue(index)
            object["hosts"] = JSONValue(hosts)
            object["canary"] = JSONValue(canary)
        case .hostStarted: object["event"] = JSONValue("host_started")
        case .stepStarted(let step, let attempt):
            object["event"] = JSONValue("step_started")
            object["step"] = JSONValue(step)
            object["attempt"] = JSONValue(attempt)
        case .stepSkipped(let step, let reason):
            object["event"] = JSONValue("step_skipped")
            object["step"] = JSONValue(step)
            object["reason"] = JSONValue(reason)
        case .actionSkipped(let step, let action, let reason):
            object["event"] = JSONValue("action_skipped")
            object["step"] = JSONValue(step)
            object["action"] = JSONValue(action)
            object["reason"] = JSONValue(reason)
        case .actionCompleted(let step, let index, let action, let undoable):
            object["event"] = JSONValue("action_completed")
            object["step"] = JSONValue(step)
            object["index"] = JSONValue(index)
            object["action"] = JSONValue(action)
            object["undoable"] = JSONValue(undoable)
        case .stepFinished(let step, let ok, let exitStatus, let duration, let message):
            object["event"] = JSONValue("step_finished")
            object["step"] = JSONValue(step)
            object["ok"] = JSONValue(ok)
            if let exitStatus { object["exit_status"] = JSONValue(Int(exitStatus)) }
            object["duration"] = JSONValue((duration * 1000).rounded() / 1000)
            if let message { object["message"] = JSONValue(message) }
        case .output(let step, let stream, let text):
            object["event"] = JSONValue("output")
            object["step"] = JSONValue(step)
            object["stream"] = JSONValue(stream)
            object["line"] = JSONValue(text)
        case .verifyStarted(let name):
            object["event"] = JSONValue("verify_started")
            object["verification"] = JSONValue(name)
        case .assertion(let verification, let description, let holds, let expected, let found):
            object["event"] = JSONValue("assertion")
            object["verification"] = JSONValue(verification)
            object["assertion"] = JSONValue(description)
            object["holds"] = JSONValue(holds)
            object["expected"] = JSONValue(expected)
            object["found"] = JSONValue(found)
        case .undo(let step, let action, let commands, let ok, let message):
            object["event"] = JSONValue("undo")
            object["step"] = JSONValue(step)
            object["action"] = JSONValue(action)
            object["commands"] = JSONValue(commands)
            object["ok"] = JSONValue(ok)
            if let message { object["message"] = JSONValue(message) }
        case .hostFinished(let result, let message, let left, let duration):
            object["event"] = JSONValue("host_finished")
            object["result"] = JSONValue(result.rawValue)
            if let message { object["message"] = JSONValue(message) }
            if !left.isEmpty { object["left_to_do"] = JSONValue(left) }
            object["duration"] = JSONValue((duration * 1000).rounded() / 1000)
        case .runFinished(let exitStatus, let results, let stoppedBy, let duration):
            object["event"] = JSONValue("run_finished")
            object["exit_status"] = JSONValue(Int(exitStatus))
            object["results"] = JSONValue(results.mapValues(\.rawValue))
            if let stoppedBy { object["stopped_by"] = JSONValue(stoppedBy) }
            object["duration"] = JSONValue((duration * 1000).rounded() / 1000)
        case .note(let text):
            object["event"] = JSONValue("note")
            object["message"] = JSONValue(text)
        }
        return object
    }
}

/// A JSON value: what events are made of (encoded by JSONEncoder, no NSNumber bridging).
public enum JSONValue: Codable, Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(_ value: String) { self = .string(value) }
    public init(_ value: Int) { self = .int(value) }
    public init(_ value: Double) { self = .double(value) }
    public init(_ value: Bool) { self = .bool(value) }
    public init(_ value: [String]) { self = .array(value.map(JSONValue.string)) }
    public init(_ value: [[String]]) { self = .array(value.map { JSONValue($0) }) }
    public init(_ value: [String: String]) { self = .object(value.mapValues(JSONValue.string)) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The text of a string value.
    public var string: String? { if case .string(let value) = self { value } else { nil } }
    /// The value of a number.
    public var int: Int? { if case .int(let value) = self { value } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var double: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        default: nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
