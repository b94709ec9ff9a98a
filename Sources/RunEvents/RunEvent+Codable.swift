import Foundation

/// The JSON form of an event: one flat object, `event` names the kind, every key snake_case, the same
/// for `--format json` and the journal. docs/events.schema.json lists every kind and field; a test
/// validates real runs against it.
extension RunEvent: Codable {
    enum CodingKeys: String, CodingKey {
        case event, time, host, batch
        case schemaVersion = "schema_version"
        case runbook
        case runID = "run_id"
        case hosts, batches, canary, step, attempt, reason, action, index, ok, undoable
        case exitStatus = "exit_status"
        case duration, message, stream, line, verification, assertion, holds, expected, found, commands, result
        case leftToDo = "left_to_do"
        case results
        case stoppedBy = "stopped_by"
        case fingerprint
    }

    /// Every value of `event`, in the order of `Kind`'s cases.
    public static let eventNames = [
        "run_started", "batch_started", "host_started", "host_key", "step_started", "step_skipped", "action_skipped", "action_completed", "step_finished",
        "output", "verify_started", "assertion", "undo", "host_finished", "run_finished", "note",
    ]

    /// The value of `event` for this kind.
    public var name: String {
        switch kind {
        case .runStarted: "run_started"
        case .batchStarted: "batch_started"
        case .hostStarted: "host_started"
        case .hostKey: "host_key"
        case .stepStarted: "step_started"
        case .stepSkipped: "step_skipped"
        case .actionSkipped: "action_skipped"
        case .actionCompleted: "action_completed"
        case .stepFinished: "step_finished"
        case .output: "output"
        case .verifyStarted: "verify_started"
        case .assertion: "assertion"
        case .undo: "undo"
        case .hostFinished: "host_finished"
        case .runFinished: "run_finished"
        case .note: "note"
        }
    }

    /// Durations in seconds, to the millisecond.
    private static func rounded(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .event)
        try c.encode(Self.schemaVersion, forKey: .schemaVersion)
        try c.encode(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(time), forKey: .time)
        try c.encodeIfPresent(host, forKey: .host)
        try c.encodeIfPresent(batch, forKey: .batch)
        switch kind {
        case .runStarted(let runbook, let runID, let hosts, let batches):
            try c.encode(runbook, forKey: .runbook)
            try c.encode(runID, forKey: .runID)
            try c.encode(hosts, forKey: .hosts)
            try c.encode(batches, forKey: .batches)
        case .batchStarted(let index, let hosts, let canary):
            try c.encode(index, forKey: .batch)
            try c.encode(hosts, forKey: .hosts)
            try c.encode(canary, forKey: .canary)
        case .hostStarted: break
        case .hostKey(let fingerprint): try c.encode(fingerprint, forKey: .fingerprint)
        case .stepStarted(let step, let attempt):
            try c.encode(step, forKey: .step)
            try c.encode(attempt, forKey: .attempt)
        case .stepSkipped(let step, let reason):
            try c.encode(step, forKey: .step)
            try c.encode(reason, forKey: .reason)
        case .actionSkipped(let step, let action, let reason):
            try c.encode(step, forKey: .step)
            try c.encode(action, forKey: .action)
            try c.encode(reason, forKey: .reason)
        case .actionCompleted(let step, let index, let action, let undoable):
            try c.encode(step, forKey: .step)
            try c.encode(index, forKey: .index)
            try c.encode(action, forKey: .action)
            try c.encode(undoable, forKey: .undoable)
        case .stepFinished(let step, let ok, let exitStatus, let duration, let message):
            try c.encode(step, forKey: .step)
            try c.encode(ok, forKey: .ok)
            try c.encodeIfPresent(exitStatus, forKey: .exitStatus)
            try c.encode(Self.rounded(duration), forKey: .duration)
            try c.encodeIfPresent(message, forKey: .message)
        case .output(let step, let stream, let text):
            try c.encode(step, forKey: .step)
            try c.encode(stream, forKey: .stream)
            try c.encode(text, forKey: .line)
        case .verifyStarted(let name):
            try c.encode(name, forKey: .verification)
        case .assertion(let verification, let description, let holds, let expected, let found):
            try c.encode(verification, forKey: .verification)
            try c.encode(description, forKey: .assertion)
            try c.encode(holds, forKey: .holds)
            try c.encode(expected, forKey: .expected)
            try c.encode(found, forKey: .found)
        case .undo(let step, let action, let commands, let ok, let message):
            try c.encode(step, forKey: .step)
            try c.encode(action, forKey: .action)
            try c.encode(commands, forKey: .commands)
            try c.encode(ok, forKey: .ok)
            try c.encodeIfPresent(message, forKey: .message)
        case .hostFinished(let result, let message, let left, let duration):
            try c.encode(result, forKey: .result)
            try c.encodeIfPresent(message, forKey: .message)
            if !left.isEmpty { try c.encode(left, forKey: .leftToDo) }
            try c.encode(Self.rounded(duration), forKey: .duration)
        case .runFinished(let exitStatus, let results, let stoppedBy, let duration):
            try c.encode(exitStatus, forKey: .exitStatus)
            try c.encode(results, forKey: .results)
            try c.encodeIfPresent(stoppedBy, forKey: .stoppedBy)
            try c.encode(Self.rounded(duration), forKey: .duration)
        case .note(let text):
            try c.encode(text, forKey: .message)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .time)
        guard let time = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: c, debugDescription: "`\(text)` is not an ISO 8601 time")
        }
        self.time = time
        host = try c.decodeIfPresent(String.self, forKey: .host)
        batch = try c.decodeIfPresent(Int.self, forKey: .batch)
        let name = try c.decode(String.self, forKey: .event)
        switch name {
        case "run_started":
            kind = .runStarted(
                runbook: try c.decode(String.self, forKey: .runbook), runID: try c.decode(String.self, forKey: .runID),
                hosts: try c.decode([String].self, forKey: .hosts), batches: try c.decode([[String]].self, forKey: .batches))
        case "batch_started":
            kind = .batchStarted(
                index: try c.decode(Int.self, forKey: .batch), hosts: try c.decode([String].self, forKey: .hosts),
                canary: try c.decode(Bool.self, forKey: .canary))
        case "host_started": kind = .hostStarted
        case "host_key": kind = .hostKey(fingerprint: try c.decode(String.self, forKey: .fingerprint))
        case "step_started": kind = .stepStarted(step: try c.decode(String.self, forKey: .step), attempt: try c.decode(Int.self, forKey: .attempt))
        case "step_skipped": kind = .stepSkipped(step: try c.decode(String.self, forKey: .step), reason: try c.decode(String.self, forKey: .reason))
        case "action_skipped":
            kind = .actionSkipped(
                step: try c.decode(String.self, forKey: .step), action: try c.decode(String.self, forKey: .action),
                reason: try c.decode(String.self, forKey: .reason))
        case "action_completed":
            kind = .actionCompleted(
                step: try c.decode(String.self, forKey: .step), index: try c.decode(Int.self, forKey: .index),
                action: try c.decode(String.self, forKey: .action), undoable: try c.decodeIfPresent(Bool.self, forKey: .undoable) ?? true)
        case "step_finished":
            kind = .stepFinished(
                step: try c.decode(String.self, forKey: .step), ok: try c.decode(Bool.self, forKey: .ok),
                exitStatus: try c.decodeIfPresent(Int32.self, forKey: .exitStatus), duration: try c.decode(Double.self, forKey: .duration),
                message: try c.decodeIfPresent(String.self, forKey: .message))
        case "output":
            kind = .output(
                step: try c.decode(String.self, forKey: .step), stream: try c.decode(String.self, forKey: .stream),
                text: try c.decode(String.self, forKey: .line))
        case "verify_started": kind = .verifyStarted(name: try c.decode(String.self, forKey: .verification))
        case "assertion":
            kind = .assertion(
                verification: try c.decode(String.self, forKey: .verification), description: try c.decode(String.self, forKey: .assertion),
                holds: try c.decode(Bool.self, forKey: .holds), expected: try c.decode(String.self, forKey: .expected),
                found: try c.decode(String.self, forKey: .found))
        case "undo":
            kind = .undo(
                step: try c.decode(String.self, forKey: .step), action: try c.decode(String.self, forKey: .action),
                commands: try c.decode(String.self, forKey: .commands), ok: try c.decode(Bool.self, forKey: .ok),
                message: try c.decodeIfPresent(String.self, forKey: .message))
        case "host_finished":
            kind = .hostFinished(
                result: try c.decode(HostResult.self, forKey: .result), message: try c.decodeIfPresent(String.self, forKey: .message),
                left: try c.decodeIfPresent([String].self, forKey: .leftToDo) ?? [], duration: try c.decode(Double.self, forKey: .duration))
        case "run_finished":
            kind = .runFinished(
                exitStatus: try c.decode(Int32.self, forKey: .exitStatus), results: try c.decode([String: HostResult].self, forKey: .results),
                stoppedBy: try c.decodeIfPresent(String.self, forKey: .stoppedBy), duration: try c.decode(Double.self, forKey: .duration))
        case "note": kind = .note(try c.decode(String.self, forKey: .message))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .event, in: c, debugDescription: "unknown event `\(name)` (known: \(Self.eventNames.joined(separator: ", ")))")
        }
    }

    /// The event as one line of JSON (for `--format json` and the journal), keys sorted; text in it is already masked.
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{\"event\":\"\(name)\"}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads one line of JSON back.
    public static func decode(jsonLine: some StringProtocol) throws -> RunEvent {
        try JSONDecoder().decode(RunEvent.self, from: Data(jsonLine.utf8))
    }
}
