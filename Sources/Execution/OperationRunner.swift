import Checks
import Foundation
import Planning
import RunbookModel
import Supervisors
import Transport

/// Why an operation failed, as the step's result shows it.
struct OperationFailure: Error, Sendable {
    var message: String
    var exitStatus: Int32?
    /// A precheck assertion failed: nothing was changed.
    var precheck = false
}

/// Everything a host's run needs to reach the host and report what happens.
struct HostContext: Sendable {
    let plan: HostPlan
    let transport: any Transport
    let bus: EventBus
    let redactor: Redactor
    let adapter: (any SupervisorAdapter)?
    let batch: Int?

    var host: String { plan.host }

    func emit(_ kind: RunEvent.Kind) { bus.emit(RunEvent(host: host, batch: batch, kind)) }
}

/// Runs the operations that actions render to, on one host.
struct OperationRunner: Sendable {
    let context: HostContext

    /// How often waits poll the host.
    static let pollInterval: Double = 0.25

    func run(_ operation: Planning.Operation, step: String, deadline: Date?) async throws(OperationFailure) {
        switch operation {
        case .shell(let command, let timeout):
            let limit = Self.limit(timeout.map { Double($0.milliseconds) / 1000 }, deadline: deadline)
            _ = try await shell(command, step: step, timeout: limit, stream: true)
        case .upload(let source, let temporary, let mode):
            let bits = mode.flatMap { Int32($0, radix: 8) } ?? 0o644
            do throws(TransportError) {
                try await context.transport.upload(localPath: source, remotePath: temporary, mode: bits)
            } catch {
                throw OperationFailure(message: error.message)
            }
        case .waitForPort(let port, let timeout):
            let until = Self.until(timeout, deadline: deadline)
            var last = "nothing listens on port \(port)"
            while true {
                if let result = try? await context.transport.exec(SocketTable.script(port: port), timeout: 30, output: nil), result.exitStatus == 0 {
                    let listeners = SocketTable.parse(result.stdout)
                    if !listeners.isEmpty { return }
                }
                if Date() >= until { throw OperationFailure(message: "port \(port) did not listen within \(timeout): \(last)") }
                last = "nothing listens on port \(port)"
                try? await Task.sleep(for: .milliseconds(Int(Self.pollInterval * 1000)))
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
                try? await Task.sleep(for: .milliseconds(Int(Self.pollInterval * 1000)))
            }
        case .waitForState(let app, let status, let running, let timeout):
            let until = Self.until(timeout, deadline: deadline)
            let wanted = running ? "running" : "stopped"
            var last = "unknown"
            while true {
                if let result = try? await context.transport.exec(status.script, timeout: 30, output: nil), let adapter = context.adapter {
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
                try? await Task.sleep(for: .milliseconds(Int(Self.pollInterval * 1000)))
            }
        }
    }

    /// Runs a command; fails unless it exits 0. Output lines go out as events when `stream` is set.
    @discardableResult
    func shell(_ command: ShellCommand, step: String, timeout: Double?, stream: Bool) async throws(OperationFailure) -> ExecResult {
        let context = self.context
        var handler: OutputHandler?
        if stream {
            handler = { line in context.emit(.output(step: step, stream: line.stream.rawValue, text: context.redactor.redact(line.text))) }
        }
        let result: ExecResult
        do throws(TransportError) {
            result = try await context.transport.exec(command.script, timeout: timeout, output: handler)
        } catch {
            throw OperationFailure(message: context.redactor.redact(error.message))
        }
        if result.succeeded { return result }
        throw OperationFailure(message: Self.describe(result, command: command, timeout: timeout, redactor: context.redactor), exitStatus: result.exitStatus)
    }

    static func describe(_ result: ExecResult, command: ShellCommand, timeout: Double?, redactor: Redactor) -> String {
        let what = "`\(command.display.firstLineForMessages)`"
        if result.timedOut { return "\(what) timed out after \(timeout.map { TimeSpan(milliseconds: Int($0 * 1000)).description } ?? "its limit")" }
        let stderr = redactor.redact(result.stderr)
        if stderr.contains("sudo: a password is required") || stderr.contains("sudo: a terminal is required") {
            return
                "\(what): sudo wants a password; runbook runs `sudo -n` and never types one: allow the command with NOPASSWD in sudoers, or connect as a user that needs no sudo"
        }
        let how = result.signal.map { "was killed by SIG\($0)" } ?? "exited \(result.exitStatus)"
        let tail = (stderr.isEmpty ? redactor.redact(result.stdout) : stderr).split(separator: "\n").last.map { ": \($0)" } ?? ""
        return "\(what) \(how)\(tail)"
    }

    static func limit(_ timeout: Double?, deadline: Date?) -> Double? {
        guard let deadline else { return timeout }
        let remaining = max(0.001, deadline.timeIntervalSinceNow)
        return timeout.map { min($0, remaining) } ?? remaining
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
