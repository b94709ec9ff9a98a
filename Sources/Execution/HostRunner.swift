import Checks
import Foundation
import Planning
import RunbookModel
import Supervisors
import Transport

/// An action that ran to completion on a host, kept for its undo and its cleanup.
struct CompletedAction: Sendable {
    var step: String
    var action: PlannedAction
}

/// The order in which actions completed on a host (undo runs in reverse).
final class Ledger: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [CompletedAction] = []

    func record(_ item: CompletedAction) { lock.withLock { items.append(item) } }
    func record(_ items: [CompletedAction]) { lock.withLock { self.items.append(contentsOf: items) } }
    var all: [CompletedAction] { lock.withLock { items } }
    func removeAll() { lock.withLock { items.removeAll() } }
}

/// Asks a run to stop: first gracefully (start nothing new), then at once.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var level = 0

    public init() {}

    /// 1 the first time (finish and roll back), 2 the second (stop at once).
    @discardableResult
    public func raise() -> Int {
        lock.withLock {
            level = min(2, level + 1); return level
        }
    }

    public var graceful: Bool { lock.withLock { level >= 1 } }
    public var immediate: Bool { lock.withLock { level >= 2 } }
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
}

/// Runs one host's plan: the step graph (independent steps at the same time), its verifications, and
/// on failure the automatic rollback: undo of completed actions newest first, then the rollback block.
final class HostRunner: @unchecked Sendable {
    let context: HostContext
    /// Set once this run holds the host's lock (written before any step, read at the end).
    var lockTaken = false
    let operations: OperationRunner
    let stop: StopSignal
    let parallelSteps: Int
    let ledger = Ledger()
    /// Set when an action with an effect started: only then does the rollback block run.
    let touched = Flag()
    /// Where the app logs stood when this host's run started (for `log ..., since: :run`).
    var logMarks = LogMarks()

    init(context: HostContext, stop: StopSignal, parallelSteps: Int) {
        self.context = context
        operations = OperationRunner(context: context)
        self.stop = stop
        self.parallelSteps = max(1, parallelSteps)
    }

    var plan: HostPlan { context.plan }

    /// A node of the host's graph: a step, or a verification that waits for its `after:` steps.
    private enum Node: Sendable {
        case step(PlannedStep)
        case verify(PlannedVerification)

        var name: String {
            switch self {
            case .step(let step): step.name
            case .verify(let verification): "verify \(verification.name)"
            }
        }
    }

    /// Runs the steps and verifications; returns the first failure, or nil when everything passed.
    func forward() async -> OperationFailure? {
        logMarks = await takeLogMarks()
        if let precheck = plan.precheck, var failure = await verify(precheck) {
            failure.precheck = true
            return failure
        }
        let stepNames = Set(plan.steps.map(\.name))
        var nodes: [(node: Node, after: Set<String>)] = plan.steps.map { (.step($0), Set($0.after).intersection(stepNames)) }
        for verification in plan.verifications {
            let after = verification.after.isEmpty ? stepNames : Set(verification.after).intersection(stepNames)
            nodes.append((.verify(verification), after))
        }
        var done: Set<String> = []
        var started: Set<Int> = []
        var failure: OperationFailure?
        var running = 0
        await withTaskGroup(of: (String, OperationFailure?).self) { group in
            func launch() {
                guard failure == nil, !stop.graceful else { return }
                for (index, entry) in nodes.enumerated() where !started.contains(index) && running < parallelSteps {
                    guard entry.after.isSubset(of: done) else { continue }
                    started.insert(index)
                    running += 1
                    let node = entry.node
                    group.addTask { (node.name, await self.run(node)) }
                }
            }
            launch()
            for await (name, outcome) in group {
                running -= 1
                if let outcome {
                    if failure == nil { failure = outcome }
                } else {
                    done.insert(name)
                }
                launch()
            }
        }
        if failure == nil && stop.graceful {
            // Ctrl-C rolls back every host in flight, also one whose last step just finished.
            return OperationFailure(message: "interrupted (Ctrl-C)")
        }
        return failure
    }

    private func run(_ node: Node) async -> OperationFailure? {
        switch node {
        case .step(let step): await run(step)
        case .verify(let verification): await verify(verification)
        }
    }

    private func run(_ step: PlannedStep) async -> OperationFailure? {
        var next = 0
        var skipped: [String] = []
        for attempt in 1...(step.retries + 1) {
            context.emit(.stepStarted(step: step.name, attempt: attempt))
            let start = Date()
            let deadline = step.timeout.map { start.addingTimeInterval(Double($0.milliseconds) / 1000) }
            var failure: OperationFailure?
            actions: while next < step.actions.count {
                let action = step.actions[next]
                do throws(OperationFailure) {
                    if let reason = try await skipReason(action, step: step.name, deadline: deadline) {
                        skipped.append(reason)
                        context.emit(.actionSkipped(step: step.name, action: action.summary, reason: reason))
                        next += 1
                        continue actions
                    }
                    if action.effect { touched.set() }
                    do throws(OperationFailure) {
                        for operation in action.operations { try await operations.run(operation, step: step.name, deadline: deadline) }
                    } catch {
                        throw await withLogs(error, action)
                    }
                    ledger.record(CompletedAction(step: step.name, action: action))
                    context.emit(.actionCompleted(step: step.name, index: next, action: action.summary, undoable: !action.undo.isEmpty))
                    next += 1
                } catch {
                    failure = error
                    if let deadline, Date() >= deadline, let timeout = step.timeout {
                        failure?.message = "step timed out after \(timeout): \(error.message)"
                    }
                    break actions
                }
            }
            let duration = Date().timeIntervalSince(start)
            guard let failure else {
                if skipped.count == step.actions.count {
                    context.emit(.stepSkipped(step: step.name, reason: skipped.joined(separator: "; ")))
                } else {
                    context.emit(.stepFinished(step: step.name, ok: true, exitStatus: 0, duration: duration, message: nil))
                }
                return nil
            }
            let retrying = attempt <= step.retries && !stop.graceful
            let message = retrying ? "\(failure.message) (retrying in \(step.retryDelay), attempt \(attempt + 1) of \(step.retries + 1))" : failure.message
            context.emit(.stepFinished(step: step.name, ok: false, exitStatus: failure.exitStatus, duration: duration, message: message))
            if !retrying { return OperationFailure(message: "step \(step.name): \(failure.message)", exitStatus: failure.exitStatus) }
            try? await Task.sleep(for: .milliseconds(step.retryDelay.milliseconds))
        }
        return OperationFailure(message: "step \(step.name) failed")
    }

    /// The reason an action's guard skips it, or nil when it runs.
    private func skipReason(_ action: PlannedAction, step: String, deadline: Date?) async throws(OperationFailure) -> String? {
        for guardCheck in action.guards {
            let result: ExecResult
            do throws(TransportError) {
                result = try await context.transport.exec(
                    guardCheck.command.script, timeout: OperationRunner.limit(60, deadline: deadline), output: nil)
            } catch {
                throw OperationFailure(message: context.redactor.redact(error.message))
            }
            if result.timedOut { throw OperationFailure(message: "the guard `\(guardCheck.command.display)` timed out") }
            let succeeded = result.exitStatus == 0 && result.signal == nil
            if succeeded == guardCheck.skipsOnSuccess { return guardCheck.skipReason }
        }
        return nil
    }

    private func verify(_ verification: PlannedVerification) async -> OperationFailure? {
        context.emit(.verifyStarted(name: verification.name))
        let precheck = verification.name == "precheck"
        let started = Date()
        // `since: :verify` log checks start their window here; the others at the start of the run.
        let hasVerifyWindow = verification.checks.contains { if case .log(_, _, _, _, _, true) = $0 { true } else { false } }
        var marks = logMarks
        if hasVerifyWindow {
            let own = await takeLogMarks(verification)
            marks.verifySince = own.since
            marks.verifyMarks = own.marks
        }
        let evaluator = CheckEvaluator(transport: context.transport, adapter: context.adapter, started: started, logMarks: marks)
        // A restarts window longer than `within` is still watched to its end.
        var seconds = Double(verification.within.milliseconds) / 1000
        for check in verification.checks {
            if case .restarts(_, _, _, let over) = check { seconds = max(seconds, Double(over.milliseconds) / 1000 + 1) }
        }
        let deadline = started.addingTimeInterval(seconds)
        var interval = 0.25
        while true {
            var results: [CheckResult] = []
            for check in verification.checks { results.append(await evaluator.evaluate(check)) }
            let allHold = results.allSatisfy(\.holds)
            let settledFailure = results.contains { !$0.holds && $0.settled }
            if allHold || settledFailure || Date() >= deadline || stop.graceful {
                for (check, result) in zip(verification.checks, results) {
                    context.emit(
                        .assertion(
                            verification: verification.name, description: context.redactor.redact(check.display), holds: result.holds,
                            expected: context.redactor.redact(result.expected), found: context.redactor.redact(result.found)))
                }
                if allHold { return nil }
                // When a settled failure ends polling early, the checks still being polled have not failed.
                let failing = zip(verification.checks, results).filter { !$0.1.holds && (!settledFailure || $0.1.settled || Date() >= deadline) }
                let failed = failing.map { "\($0.1.expected): \($0.1.found)" }
                let label = precheck ? "precheck" : (verification.name == "verify" ? "verification" : "verify \(verification.name)")
                var message = "\(label) failed: " + failed.joined(separator: "; ")
                var shown: Set<String> = []
                for app in failing.compactMap(\.0.app) where shown.insert(app).inserted {
                    if let command = verification.logs[app] { message += await logTail(app, command) }
                }
                return OperationFailure(message: context.redactor.redact(message))
            }
            try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
            interval = min(2, interval * 1.5)
        }
    }

    /// Undoes every completed action, newest first, then runs the rollback block; returns what is
    /// left to do by hand (empty when everything was undone).
    func rollBack() async -> [String] {
        var left: [String] = []
        // File undos first, then undos that act on a running app, so the app comes back with the
        // restored files (each group newest first).
        let newestFirst = ledger.all.reversed().filter { !$0.action.undo.isEmpty }
        let ordered = newestFirst.filter { !$0.action.appUndo } + newestFirst.filter(\.action.appUndo)
        let runBlock = touched.isSet
        for completed in ordered {
            var ok = true
            var message: String?
            for operation in completed.action.undo {
                do throws(OperationFailure) {
                    try await operations.run(operation, step: completed.step, deadline: nil)
                } catch {
                    ok = false
                    message = error.message
                    left.append("\(completed.step): undo of \(completed.action.summary) failed (\(error.message)); run by hand: \(operation.display)")
                    break
                }
            }
            let description = completed.action.undo.map(\.display).joined(separator: " && ")
            context.emit(.undo(step: completed.step, action: completed.action.summary, commands: description, ok: ok, message: message))
        }
        ledger.removeAll()
        if runBlock && !plan.rollback.isEmpty { context.emit(.note("↶ rollback block")) }
        for action in plan.rollback where runBlock {
            do throws(OperationFailure) {
                if let reason = try await skipReason(action, step: "rollback", deadline: nil) {
                    context.emit(.actionSkipped(step: "rollback", action: action.summary, reason: reason))
                    continue
                }
                for operation in action.operations { try await operations.run(operation, step: "rollback", deadline: nil) }
                context.emit(
                    .undo(
                        step: "rollback", action: action.summary, commands: action.operations.map(\.display).joined(separator: " && "), ok: true, message: nil))
            } catch {
                context.emit(
                    .undo(
                        step: "rollback", action: action.summary, commands: action.operations.map(\.display).joined(separator: " && "), ok: false,
                        message: error.message))
                left.append("rollback block: \(action.summary) failed (\(error.message))")
            }
        }
        return left
    }

    /// Removes what completed actions moved aside; run only once the host's changes are final.
    func cleanUp() async {
        for completed in ledger.all {
            for command in completed.action.cleanup {
                do throws(OperationFailure) {
                    try await operations.shell(command, step: completed.step, timeout: 300, stream: false)
                } catch {
                    context.emit(.note("cleanup after \(completed.step) failed: \(error.message); the moved-aside copy is still there"))
                }
            }
        }
        ledger.removeAll()
    }

    var changed: Bool { !ledger.all.isEmpty }
}
