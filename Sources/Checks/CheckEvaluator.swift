import Foundation
import Planning
import RunbookModel
import Supervisors
import Transport
import Wire

/// What one evaluation of an assertion found.
public struct CheckResult: Sendable, Hashable {
    public var holds: Bool
    /// True when polling again cannot change the answer (a restarts window that is over or exceeded).
    public var settled: Bool
    public var expected: String
    public var found: String

    public init(holds: Bool, settled: Bool = false, expected: String, found: String) {
        self.holds = holds
        self.settled = settled
        self.expected = expected
        self.found = found
    }
}

/// Evaluates the assertions of one verification on one host; it remembers what it saw when the
/// verification started (restart counters and pids), since `restarts` is a delta over a window.
public actor CheckEvaluator {
    let transport: any Transport
    let secrets: [String: String]
    let adapter: (any SupervisorAdapter)?
    private let started: Date
    let logMarks: LogMarks
    private var restartBaselines: [String: Int] = [:]
    private var lastPIDs: [String: Int] = [:]
    private var pidRestarts: [String: Int] = [:]

    public init(
        transport: any Transport, secrets: [String: String] = [:], adapter: (any SupervisorAdapter)?, started: Date = Date(),
        logMarks: LogMarks = LogMarks()
    ) {
        self.transport = transport
        self.secrets = secrets
        self.adapter = adapter
        self.started = started
        self.logMarks = logMarks
    }

    /// Evaluates a check by sending its planned probe (`check.probe` when none is given).
    public func evaluate(_ check: PlannedCheck, probe given: HostCommand? = nil) async -> CheckResult {
        let expected = check.display
        let probe = given ?? check.probe
        do throws(TransportError) {
            switch check {
            case .listening(let port, let address, let family, let process):
                let listeners = try await self.listeners(port, probe: probe)
                return Self.judgeListening(listeners, port: port, address: address, family: family, process: process)
            case .notListening(let port):
                let listeners = try await self.listeners(port, probe: probe)
                return CheckResult(
                    holds: listeners.isEmpty, expected: expected,
                    found: listeners.isEmpty ? "nothing listens on port \(port)" : listeners.map(\.description).joined(separator: ", "))
            case .http(let url, let statuses, let method, let contains, let json, let timeout, let fromController):
                let seconds = Double(timeout.milliseconds) / 1000
                let response =
                    fromController
                    ? try await HTTPClient.request(url: url, method: method, timeout: seconds, host: transport.host)
                    : try await transport.http(url: url, method: method, timeout: seconds)
                var problems: [String] = []
                if !statuses.accepts(response.status) { problems.append("status \(response.status)") }
                if let contains, !response.body.contains(contains) { problems.append("a body without \"\(contains)\"") }
                if !json.isEmpty { problems += Self.jsonProblems(response.body, expected: json) }
                return CheckResult(
                    holds: problems.isEmpty, expected: expected,
                    found: problems.isEmpty ? "status \(response.status)" : problems.joined(separator: " and ") + Self.bodyTail(response.body))
            case .command(_, let exit, let contains):
                let result = try await run(probe)
                let output = result.stdout + result.stderr
                var problems: [String] = []
                if result.exitStatus != Int32(exit) || result.signal != nil {
                    problems.append("exit \(result.signal.map { "by signal \($0)" } ?? "\(result.exitStatus)")")
                }
                if let contains, !output.contains(contains) { problems.append("output without \"\(contains)\"") }
                return CheckResult(
                    holds: problems.isEmpty, expected: expected,
                    found: problems.isEmpty ? "exit \(result.exitStatus)" : problems.joined(separator: " and ") + Self.bodyTail(output))
            case .file(let path, let exists):
                let result = try await run(probe)
                // `test -e` exits 1 for "absent"; anything else is no answer, never a pass.
                guard result.exitStatus <= 1, !result.timedOut else {
                    return CheckResult(holds: false, expected: expected, found: "cannot check \(path): \(result.reason)")
                }
                let present = result.exitStatus == 0
                return CheckResult(holds: present == exists, expected: expected, found: present ? "\(path) exists" : "\(path) does not exist")
            case .restarts(let app, _, let max, let over):
                return try await restarts(app: app, probe: probe, max: max, over: over, expected: expected)
            case .running(let app, let status):
                return try await running(app: app, status: status, expected: expected)
            case .memory(let app, let status, let rss, let max):
                return try await memory(app: app, status: status, rss: rss, max: max, expected: expected)
            case .log(let app, let read, let byTime, let contains, let notContains, let sinceVerify):
                return try await log(
                    app: app, read: read, byTime: byTime, contains: contains, notContains: notContains, sinceVerify: sinceVerify, expected: expected)
            case .reachable(_, let probe, let timeout):
                return try await reachable(probe: probe, timeout: timeout, expected: expected)
            case .envFile(let path, let has):
                return try await envFile(path: path, has: has, expected: expected)
            }
        } catch {
            return CheckResult(holds: false, expected: expected, found: error.message)
        }
    }

    /// Sends a planned probe; a check without one was planned wrong and fails (never passes).
    func run(_ probe: HostCommand?) async throws(TransportError) -> ExecResult {
        guard let probe else { throw TransportError(.local, host: transport.host, "this check has no planned probe") }
        return try await transport.run(probe, secrets: secrets)
    }

    /// Sends a planned command with this host's secrets and the run-time inputs it declares.
    func send(_ command: HostCommand, inputs: [String: String] = [:]) async throws(TransportError) -> ExecResult {
        try await transport.run(command, secrets: secrets, inputs: inputs)
    }

    func listeners(_ port: Int, probe: HostCommand?) async throws(TransportError) -> [Listener] {
        let result = try await run(probe)
        guard result.exitStatus == 0 else {
            throw TransportError(.channel, host: transport.host, "cannot read the socket table on this host: \(result.reason)")
        }
        return SocketTable.parse(result.stdout)
    }

    /// `address` matches the bound address exactly: a `[::]` socket does not satisfy "0.0.0.0", even
    /// when it is dual-stack, since /proc cannot tell whether IPV6_V6ONLY is set (docs/checks.md).
    public static func judgeListening(_ listeners: [Listener], port: Int, address: String?, family: String?, process: String?)
        -> CheckResult
    {
        let expected = PlannedCheck.listening(port: port, address: address, family: family, process: process).display
        var matching = listeners
        if let address {
            let wanted = SocketTable.normalize(address)
            matching = matching.filter { $0.address == wanted }
        }
        if let family { matching = matching.filter { $0.family == family } }
        if let process { matching = matching.filter { $0.owners.contains { owner in owner.command == process || owner.command.hasPrefix(process) } } }
        let found =
            listeners.isEmpty
            ? "nothing listens on port \(port)"
            : (matching.isEmpty ? "found only " : "found ") + (matching.isEmpty ? listeners : matching).map(\.description).joined(separator: ", ")
        return CheckResult(holds: !matching.isEmpty, expected: expected, found: found)
    }

    func restarts(app: String, probe: HostCommand?, max: Int, over: TimeSpan, expected: String) async throws(TransportError)
        -> CheckResult
    {
        let result = try await run(probe)
        guard let adapter else { return CheckResult(holds: false, settled: true, expected: expected, found: "no supervisor is set for this host") }
        let current: ProcessStatus
        do {
            current = try adapter.parseStatus(result.stdout, exitStatus: result.exitStatus, app: app)
        } catch {
            return CheckResult(holds: false, expected: expected, found: error.message)
        }
        let count: Int
        if let counter = current.restarts {
            let baseline = restartBaselines[app] ?? counter
            restartBaselines[app] = baseline
            count = Swift.max(0, counter - baseline)
        } else {
            // No counter (supervisord): every change of pid seen while polling is a restart.
            if let pid = current.pid {
                if let last = lastPIDs[app], last != pid { pidRestarts[app, default: 0] += 1 }
                lastPIDs[app] = pid
            }
            count = pidRestarts[app] ?? 0
        }
        let elapsed = Date().timeIntervalSince(started)
        let window = Double(over.milliseconds) / 1000
        let state = "\(current.detail)\(current.pid.map { " pid \($0)" } ?? "")"
        if current.state != .running {
            // "0 restarts" of an app that is not running is no pass: it must run for the whole window.
            return CheckResult(
                holds: false, settled: true, expected: expected,
                found: "\(app) is not running (\(state)) after \(Int(elapsed))s; \(count) restart\(count == 1 ? "" : "s") seen")
        }
        if count > max {
            return CheckResult(holds: false, settled: true, expected: expected, found: "\(count) restarts in \(Int(elapsed))s (\(state))")
        }
        if elapsed < window {
            return CheckResult(holds: false, expected: expected, found: "\(count) restarts so far, watching \(Int(window - elapsed))s more (\(state))")
        }
        return CheckResult(holds: true, settled: true, expected: expected, found: "\(count) restarts over \(Int(window))s (\(state))")
    }

    static func bodyTail(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return "" }
        return ": " + String(trimmed.suffix(200)).replacingOccurrences(of: "\n", with: " ⏎ ")
    }
}
