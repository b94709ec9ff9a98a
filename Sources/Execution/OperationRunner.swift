import Checks
import Foundation
import Planning
import RunEvents
import RunbookModel
import Supervisors
import Transport
import Wire

/// Why an operation failed, as the step's result shows it.
struct OperationFailure: Error, Sendable {
    var message: String
    var exitStatus: Int32?
    /// A precheck assertion failed: nothing was changed.
    var precheck = false
}

/// Everything a host's run needs to reach the host and report what happens.
/// A class, not a struct: with its plan inline it was 1.1 KB, copied into the frame of every async
/// function that kept it across an await (10 KB per host in flight at 50 hosts).
final class HostContext: Sendable {
    let plan: HostPlan
    let transport: any Transport
    let bus: EventBus
    let redactor: Redactor
    let adapter: (any SupervisorAdapter)?
    let batch: Int?
    /// The run's write-ahead journal (none with `--no-journal`).
    let journal: WriteAheadJournal?

    init(
        plan: HostPlan, transport: any Transport, bus: EventBus, redactor: Redactor, adapter: (any SupervisorAdapter)?, batch: Int?,
        journal: WriteAheadJournal? = nil
    ) {
        self.plan = plan
        self.transport = transport
        self.bus = bus
        self.redactor = redactor
        self.adapter = adapter
        self.batch = batch
        self.journal = journal
    }

    var host: String { plan.host }

    /// Sends one planned command with this host's secrets: every exec of a run goes through here.
    func send(_ command: HostCommand, output: OutputHandler? = nil) async throws(TransportError) -> ExecResult {
        try await transport.run(command, secrets: plan.secretValues, output: output)
    }

    func emit(_ kind: RunEvent.Kind) { bus.emit(RunEvent(host: host, batch: batch, kind)) }
}

/// Runs the operations that actions render to, on one host.
struct OperationRunner: Sendable {
    let context: HostContext
    /// A first Ctrl-C (or a failed journal) ends a wait at once.
    let stop: StopSignal

    /// How often waits poll the host.
    static let pollInterval: Double = 0.25

    func run(_ operation: Planning.Operation, step: String, deadline: Date?) async throws(OperationFailure) {
        switch operation {
        case .command(let command):
            _ = try await shell(command, step: step, stream: true)
        case .upload(let source, let temporary, let mode):
            let bits = mode.flatMap { Int32($0, radix: 8) } ?? 0o644
            do throws(TransportError) {
                try await context.transport.upload(localPath: source, remotePath: temporary, mode: bits)
            } catch {
                throw OperationFailure(message: error.message)
            }
        case .waitForPort(let port, let probe, let timeout):
            let until = Self.until(timeout, deadline: deadline)
            var last = "nothing listens on port \(port)"
            while true {
                switch await probeResult(probe) {
                case .success(let result) where result.exitStatus == 0:
                    if !SocketTable.parse(result.stdout).isEmpty { return }
                    last = "nothing listens on port \(port)"
                case .success(let result):
                    // A probe that cannot read the socket table is no answer, never "not yet".
                    throw OperationFailure(message: "cannot wait for port \(port) on this host: \(result.reason)")
                case .failure(let error):
                    last = error.message
                }
                if Date() >= until { throw OperationFailure(message: "port \(port) did not listen within \(timeout): \(last)") }
                guard await stop.sleep(seconds: Self.pollInterval) else { throw OperationFailure(message: "interrupted while waiting: \(stop.reason ?? "")") }
            }
        case .waitForHTTP(let url, let statuses, let timeout):
            let until = Self.until(timeout, deadline: deadline)
            var last = "no answer"
            while true {
                do throws(TransportError) {
                    let response = try await context.transport.http(url: url, method: "GET", timeout: max(1, min(10, until.timeIntervalSinceNow)))
                    if statuses.accepts(response.status) { return }
                    last = "status \(response.status)"
                } catch {
                    last = error.message
                }
                if Date() >= until {
                    throw OperationFailure(message: context.redactor.redact("\(url) did not answer \(statuses) within \(timeout): \(last)"))
                }
                guard await stop.sleep(seconds: Self.pollInterval) else { throw OperationFailure(message: "interrupted while waiting: \(stop.reason ?? "")") }
            }
        case .waitForState(let app, let status, let running, let timeout):
            let until = Self.until(timeout, deadline: deadline)
            let wanted = running ? "running" : "stopped"
            var last = "unknown"
            while true {
                if let result = try? await context.send(status), let adapter = context.adapter {
                    do {
                        let state = try adapter.parseStatus(result.stdout, exitStatus: result.exitStatus, app: app)
                        last = state.detail
                        let reached = running ? state.state == .running : (state.state != .running && state.state != .starting)
                        if reached { return }
                        if running && state.terminal {
                            throw OperationFailure(message: "\(app) did not start: the supervisor reports \(state.detail) (it gave up)")
                        }
                    } catch let failure as OperationFailure {
                        throw failure
                    } catch let error as SupervisorOutputError {
                        last = error.message
                    } catch {
                        last = "\(error)"
                    }
                }
                if Date() >= until { throw OperationFailure(message: "\(app) was not \(wanted) within \(timeout) (last seen: \(last))") }
                guard await stop.sleep(seconds: Self.pollInterval) else { throw OperationFailure(message: "interrupted while waiting: \(stop.reason ?? "")") }
            }
        }
    }

    /// Runs a command; fails unless it exits 0. Output lines go out as events when `stream` is set.
    @discardableResult
    func shell(_ command: HostCommand, step: String, stream: Bool) async throws(OperationFailure) -> ExecResult {
        let context = self.context
        var handler: OutputHandler?
        if stream {
            handler = { line in context.emit(.output(step: step, stream: line.stream.rawValue, text: context.redactor.redact(line.text))) }
        }
        let result: ExecResult
        do throws(TransportError) {
            result = try await context.send(command, output: handler)
        } catch {
            throw OperationFailure(message: context.redactor.redact(error.message))
        }
        if result.succeeded { return result }
        throw OperationFailure(message: Self.describe(result, command: command, redactor: context.redactor), exitStatus: result.exitStatus)
    }

    private func probeResult(_ probe: HostCommand) async -> Result<ExecResult, TransportError> {
        do throws(TransportError) {
            return .success(try await context.send(probe))
        } catch {
            return .failure(error)
        }
    }

    static let tailLimit = 500

    static func describe(_ result: ExecResult, command: HostCommand, redactor: Redactor) -> String {
        let what = "`\(command.body.display.firstLineForMessages)`"
        if result.timedOut { return "\(what) timed out after \(TimeSpan(milliseconds: Int(command.limit * 1000)))" }
        let stderr = redactor.redact(result.stderr)
        if stderr.contains("sudo: a password is required") || stderr.contains("sudo: a terminal is required") {
            return
                "\(what): sudo wants a password; runbook runs `sudo -n` and never types one: allow the command with NOPASSWD in sudoers, or connect as a user that needs no sudo"
        }
        let how = result.killedBy.map { "was killed by SIG\($0) (exit \(result.exitStatus))" } ?? "exited \(result.exitStatus)"
        // The last line, at most 500 characters of it: the message goes into every result, event and
        // the journal, and a host may print megabytes without a newline.
        let last =
            (stderr.isEmpty
                ? result.stdout.split(separator: "\n").last.map { redactor.redact(String($0)) } : stderr.split(separator: "\n").last.map(String.init))
        let tail = last.map { ": " + ($0.count > Self.tailLimit ? "…" + $0.suffix(Self.tailLimit) : $0) } ?? ""
        return "\(what) \(how)\(tail)"
    }

    static func until(_ timeout: TimeSpan, deadline: Date?) -> Date {
        let own = Date().addingTimeInterval(Double(timeout.milliseconds) / 1000)
        guard let deadline else { return own }
        return min(own, deadline)
    }
}

extension String {
    /// The first line, shortened, for messages about a command.
    var firstLineForMessages: String {
        let line = split(separator: "\n", maxSplits: 1).first.map(String.init) ?? self
        return line.count > 120 ? String(line.prefix(117)) + "..." : line + (contains("\n") ? " ..." : "")
    }
}
