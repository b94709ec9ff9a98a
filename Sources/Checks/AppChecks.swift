import Foundation
import Planning
import RunbookModel
import Supervisors
import Transport
import Wire

/// Where the app logs stood when the host's run started: the host's clock (for supervisors that
/// read logs by time) and, per app, the end of what its log held (for those that do not).
public struct LogMarks: Sendable {
    public var since: Int?
    public var marks: [String: String]
    /// The same, taken when a verification with `since: :verify` checks started.
    public var verifySince: Int?
    public var verifyMarks: [String: String] = [:]

    public init(since: Int? = nil, marks: [String: String] = [:]) {
        self.since = since
        self.marks = marks
    }
}

extension CheckEvaluator {
    /// The supervisor's view of the app, or a result saying why there is none.
    enum StatusOutcome {
        case success(ProcessStatus)
        case failure(CheckResult)
    }

    func status(_ app: String, _ command: ShellCommand, expected: String) async throws(TransportError) -> StatusOutcome {
        guard let adapter else { return .failure(CheckResult(holds: false, settled: true, expected: expected, found: "no supervisor is set for this host")) }
        let result = try await send(PlannedCheck.statusProbe(command))
        do throws(SupervisorOutputError) {
            return .success(try adapter.parseStatus(result.stdout, exitStatus: result.exitStatus, app: app))
        } catch {
            return .failure(CheckResult(holds: false, expected: expected, found: error.message))
        }
    }

    static func describe(_ status: ProcessStatus) -> String { "\(status.detail)\(status.pid.map { " pid \($0)" } ?? "")" }

    func running(app: String, status command: ShellCommand, expected: String) async throws(TransportError) -> CheckResult {
        switch try await status(app, command, expected: expected) {
        case .failure(let result): return result
        case .success(let status):
            let running = status.state == .running
            return CheckResult(
                holds: running, settled: status.terminal, expected: expected,
                found: running ? Self.describe(status) : "\(app) is \(Self.describe(status))" + (status.terminal ? " (the supervisor gave up)" : ""))
        }
    }

    func memory(app: String, status command: ShellCommand, rss: ShellCommand, max: Int, expected: String) async throws(TransportError) -> CheckResult {
        let status: ProcessStatus
        switch try await self.status(app, command, expected: expected) {
        case .failure(let result): return result
        case .success(let found): status = found
        }
        guard let pid = status.pid else {
            return CheckResult(holds: false, settled: status.terminal, expected: expected, found: "\(app) has no process (\(status.detail))")
        }
        let result = try await send(PlannedCheck.rssProbe(rss), inputs: ["RUNBOOK_PID": String(pid)])
        let words = result.stdout.split(whereSeparator: \.isWhitespace)
        guard result.exitStatus == 0, words.count == 2, let kib = Int(words[0]), let processes = Int(words[1]) else {
            let reason = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return CheckResult(
                holds: false, expected: expected, found: "cannot read the memory of pid \(pid): \(reason.isEmpty ? "no answer from /proc" : reason)")
        }
        let bytes = kib * 1024
        let found = "RSS \(MemorySize.describe(bytes)) over \(processes) process\(processes == 1 ? "" : "es") (pid \(pid) and its children)"
        return CheckResult(holds: bytes <= max, expected: expected, found: found)
    }

    /// `contains:` waits for the text (polled); `not_contains:` fails at once when the text is there.
    func log(app: String, read: ShellCommand, byTime: Bool, contains: String?, notContains: String?, sinceVerify: Bool, expected: String)
        async throws(TransportError) -> CheckResult
    {
        var inputs: [String: String] = [:]
        if byTime {
            guard let since = sinceVerify ? logMarks.verifySince : logMarks.since else {
                return CheckResult(holds: false, settled: true, expected: expected, found: "the host's clock was not read when the run started")
            }
            inputs["RUNBOOK_SINCE"] = String(since)
        }
        let result = try await send(PlannedCheck.logProbe(read, byTime: byTime), inputs: inputs)
        let all = result.stdout + result.stderr
        let text = byTime ? all : LogWindow.since(mark: (sinceVerify ? logMarks.verifyMarks[app] : logMarks.marks[app]) ?? "", in: all)
        var problems: [String] = []
        var settled = false
        if let notContains, let range = text.range(of: notContains) {
            let lineStart = text[..<range.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
            let line = text[lineStart...].prefix { $0 != "\n" }
            problems.append("\"\(notContains)\" logged: \(line.prefix(200))")
            settled = true
        }
        if let contains, !text.contains(contains) { problems.append("no \"\(contains)\" in \(text.split(separator: "\n").count) new log line(s)") }
        let lines = text.split(separator: "\n").count
        return CheckResult(
            holds: problems.isEmpty, settled: settled, expected: expected,
            found: problems.isEmpty ? "\(lines) log line(s) since the \(sinceVerify ? "verification" : "run") started" : problems.joined(separator: " and "))
    }

    func reachable(probe: ShellCommand, timeout: TimeSpan, expected: String) async throws(TransportError) -> CheckResult {
        let result = try await send(PlannedCheck.reachableProbe(probe, timeout: timeout))
        let reason = (result.stderr + result.stdout).split(separator: "\n").last.map { String($0) } ?? ""
        if result.timedOut { return CheckResult(holds: false, expected: expected, found: "no connection within \(timeout)") }
        switch result.exitStatus {
        case 0: return CheckResult(holds: true, expected: expected, found: "connected")
        case 3: return CheckResult(holds: false, settled: true, expected: expected, found: reason.isEmpty ? "cannot check from the host" : reason)
        default:
            return CheckResult(holds: false, expected: expected, found: "cannot connect" + (reason.isEmpty ? "" : ": \(reason)"))
        }
    }

    func envFile(path: String, has: [ExpectedValue], expected: String) async throws(TransportError) -> CheckResult {
        let result = try await send(PlannedCheck.envFileProbe(path))
        guard result.exitStatus == 0 else {
            return CheckResult(holds: false, expected: expected, found: "cannot read \(path): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let values = EnvFile.parse(result.stdout)
        var problems: [String] = []
        for item in has {
            let secret = item.value != item.display
            guard let value = values[item.key] else {
                problems.append("\(item.key) is not set")
                continue
            }
            if value != item.value { problems.append("\(item.key)=\(secret ? secretMask : value) (expected \(item.display))") }
        }
        return CheckResult(
            holds: problems.isEmpty, expected: expected,
            found: problems.isEmpty ? has.map { "\($0.key)=\($0.display)" }.joined(separator: ", ") : problems.joined(separator: ", "))
    }

    /// What does not match in a JSON body, by dotted path (`data.status`, `items.0.id`).
    static func jsonProblems(_ body: String, expected: [ExpectedValue]) -> [String] {
        guard let root = try? JSONDecoder().decode(JSONNode.self, from: Data(body.utf8)) else { return ["a body that is not JSON"] }
        return expected.compactMap { item in
            guard let node = root.at(path: item.key) else { return "no \(item.key) in the JSON body" }
            let found = node.text
            return found == item.value ? nil : "\(item.key) = \(item.value == item.display ? found : secretMask) (expected \(item.display))"
        }
    }
}

/// A decoded JSON value, compared as text with what a runbook wrote.
indirect enum JSONNode: Decodable {
    case string(String), int(Int), double(Double), bool(Bool), null
    case array([JSONNode]), object([String: JSONNode])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONNode].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONNode].self))
        }
    }

    func at(path: String) -> JSONNode? {
        var node = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            switch node {
            case .object(let members):
                guard let next = members[part] else { return nil }
                node = next
            case .array(let items):
                guard let index = Int(part), items.indices.contains(index) else { return nil }
                node = items[index]
            default: return nil
            }
        }
        return node
    }

    var text: String {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .null: "nil"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Reads KEY=value files as dotenv, docker compose and systemd do: `export ` allowed, quotes removed.
public enum EnvFile {
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") { line = line.dropFirst(7).drop { $0 == " " || $0 == "\t" } }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !key.contains(" ") else { continue }
            values[key] = value(line[line.index(after: equals)...])
        }
        return values
    }

    static func value(_ raw: Substring) -> String {
        let text = raw.drop { $0 == " " || $0 == "\t" }
        if text.first == "\"" {
            var result = ""
            var escaped = false
            for character in text.dropFirst() {
                if escaped {
                    result.append(character == "n" ? "\n" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    return result
                } else {
                    result.append(character)
                }
            }
            return result
        }
        if text.first == "'" { return String(text.dropFirst().prefix { $0 != "'" }) }
        var plain = String(text)
        if let comment = plain.range(of: " #") { plain = String(plain[..<comment.lowerBound]) }
        return plain.trimmingCharacters(in: .whitespaces)
    }
}
