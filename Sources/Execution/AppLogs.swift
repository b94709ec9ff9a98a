import Checks
import Foundation
import Planning
import Supervisors
import Synchronization
import Transport
import Wire

/// A flag set once, read from any task.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

extension HostRunner {
    /// The app's last log lines as the end of a failure message ("" when they cannot be read).
    func logTail(_ app: String, _ command: ShellCommand) async -> String {
        guard let result = try? await context.send(HostCommand(command, limit: 15)) else { return "" }
        let lines = (result.stdout + result.stderr).split(separator: "\n").suffix(ActionPlannerLines.count)
        guard !lines.isEmpty else { return "\n  (the log of \(app) is empty)" }
        return "\n  last \(lines.count) log line\(lines.count == 1 ? "" : "s") of \(app):\n" + lines.map { "    \($0)" }.joined(separator: "\n")
    }

    /// A failed app action's message with the app's last log lines.
    func withLogs(_ failure: OperationFailure, _ action: PlannedAction) async -> OperationFailure {
        guard let command = action.logs else { return failure }
        var failure = failure
        failure.message += context.redactor.redact(await logTail("the app (\(action.summary))", command))
        return failure
    }

    /// Reads where the logs of `log ..., since: :run` checks stand now: the host's clock, and for
    /// supervisors without timestamps the end of each app's log.
    func takeLogMarks(_ verification: PlannedVerification? = nil) async -> LogMarks {
        var marks = LogMarks()
        let checks =
            verification.map { $0.checks } ?? ((plan.precheck.map { [$0] } ?? []).flatMap(\.checks) + plan.verifications.flatMap(\.checks))
        for check in checks {
            guard case .log(let app, let read, let byTime, _, _, let sinceVerify) = check, sinceVerify == (verification != nil) else { continue }
            if byTime {
                if marks.since == nil, let result = try? await context.send(PlannedCheck.clockProbe) {
                    marks.since = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            } else if marks.marks[app] == nil, let result = try? await context.send(PlannedCheck.logProbe(read, byTime: false)) {
                marks.marks[app] = LogWindow.mark(result.stdout + result.stderr)
            }
        }
        return marks
    }
}

/// How many lines of an app's log a failure shows.
enum ActionPlannerLines {
    static let count = 10
}
