import Checks
import Foundation
import Planning
import RunEvents
import RunbookModel
import StateStore
import Supervisors
import Synchronization
import Transport
import Wire

/// Runs one host's plan: the step graph (independent steps at the same time), its verifications, and
/// on failure the automatic rollback: undo of completed actions newest first, then the rollback block.
final class HostRunner: @unchecked Sendable {
    let context: HostContext
    /// Set once this run holds the host's lock (written before any step, read at the end).
    var lockTaken: Bool {
        get { bookkeeping.withLock { $0.lockTaken } }
        set { bookkeeping.withLock { $0.lockTaken = newValue } }
    }
    /// Set when the host's last command released the lock (it rides on it).
    var released: Bool {
        get { bookkeeping.withLock { $0.released } }
        set { bookkeeping.withLock { $0.released = newValue } }
    }
    /// What the host's start command reported missing (set before any step).
    var missing: Set<Requirement> {
        get { bookkeeping.withLock { $0.missing } }
        set { bookkeeping.withLock { $0.missing = newValue } }
    }
    /// The host could not be reached again after its connection dropped: no second attempt.
    var unreachableAgain: Bool {
        get { bookkeeping.withLock { $0.unreachableAgain } }
        set { bookkeeping.withLock { $0.unreachableAgain = newValue } }
    }
    /// Steps done before this run took the host over (`ExecutionOptions.resume`).
    var resumedSteps: Set<String> {
        get { bookkeeping.withLock { $0.resumedSteps } }
        set { bookkeeping.withLock { $0.resumedSteps = newValue } }
    }
    private struct Bookkeeping {
        var resumedSteps: Set<String> = []
        var unreachableAgain = false
        var lockTaken = false
        var released = false
        var missing: Set<Requirement> = []
    }
    /// Set while preparing the host, read at its end, from different tasks.
    private let bookkeeping = Mutex(Bookkeeping())
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
        operations = OperationRunner(context: context, stop: stop)
        self.stop = stop
        self.parallelSteps = max(1, parallelSteps)
    }

    var plan: HostPlan { context.plan }

    /// A node of the host's graph: a step, or a verification that waits for its `after:` steps.
    private enum Node: Sendable {
        case step(PlannedStep)
        case chain(CommandChain)
        case verify(PlannedVerification)

        /// What is done when the node passed (a chain completes each of its steps).
        var names: [String] {
            switch self {
            case .step(let step): [step.name]
            case .chain(let chain): chain.steps
            case .verify(let verification): ["verify \(verification.name)"]
            }
        }
    }

    /// Goes on from steps done by another controller: their actions are this run's to undo.
    func resume(from point: ResumePoint) {
        resumedSteps = point.steps
        adopt(point.actions)
    }

    /// Takes over what another controller left possibly done, as if this run had done it: the
    /// rollback undoes it. Returns how many actions of the plan the records name.
    @discardableResult
    func adopt(_ items: [Outstanding]) -> Int {
        let steps = Dictionary(plan.steps.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let actions = items.compactMap { item -> CompletedAction? in
            guard let step = steps[item.id.step], item.id.index < step.actions.count else { return nil }
            return CompletedAction(step: item.id.step, action: step.actions[item.id.index], id: item.id, completed: item.completed)
        }
        ledger.record(actions)
        if actions.contains(where: \.action.effect) { touched.set() }
        return actions.count
    }

    /// Runs the steps and verifications; returns the first failure, or nil when everything passed.
    func forward() async -> OperationFailure? {
        logMarks = await takeLogMarks()
        let resumed = resumedSteps
        // A precheck is for a host nothing changed yet: not for one taken over after its steps.
        if resumed.isEmpty, let precheck = context.plan.precheck, var failure = await verify(precheck) {
            failure.precheck = true
            return failure
        }
        let nodes = graph()
        var done: Set<String> = resumed
        var started = Set(nodes.indices.filter { Set(nodes[$0].node.names).isSubset(of: resumed) })
        var failure: OperationFailure?
        var running = 0
        await withTaskGroup(of: ([String], OperationFailure?).self) { group in
            func launch() {
                guard failure == nil, !stop.graceful else { return }
                for (index, entry) in nodes.enumerated() where !started.contains(index) && running < parallelSteps {
                    guard entry.after.isSubset(of: done) else { continue }
                    started.insert(index)
                    running += 1
                    let node = entry.node
                    group.addTask { (node.names, await self.run(node)) }
                }
            }
            launch()
            for await (names, outcome) in group {
                running -= 1
                if let outcome {
                    if failure == nil { failure = outcome }
                } else {
                    done.formUnion(names)
                }
                launch()
            }
        }
        if failure == nil && stop.graceful {
            // Ctrl-C rolls back every host in flight, also one whose last step just finished.
            return OperationFailure(message: stop.reason ?? "interrupted (Ctrl-C)")
        }
        return failure
    }

    /// The host's steps, chains and verifications, each with what it waits for. Not inline in
    /// `forward`: each read of `plan` there was a copy of it (928 bytes) in its async frame.
    @inline(never)
    private func graph() -> [(node: Node, after: Set<String>)] {
        let plan = context.plan
        let stepNames = Set(plan.steps.map(\.name))
        var nodes: [(node: Node, after: Set<String>)] = []
        for step in plan.steps {
            guard let chain = plan.chain(of: step.name) else {
                nodes.append((.step(step), Set(step.after).intersection(stepNames)))
                continue
            }
            if chain.steps.first == step.name { nodes.append((.chain(chain), Set(step.after).intersection(stepNames))) }
        }
        for verification in plan.verifications {
            let after = verification.after.isEmpty ? stepNames : Set(verification.after).intersection(stepNames)
            nodes.append((.verify(verification), after))
        }
        return nodes
    }

    private func run(_ node: Node) async -> OperationFailure? {
        switch node {
        case .step(let step): await run(step)
        case .chain(let chain): await run(chain)
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
                    let id = ActionID(host: context.host, step: step.name, index: next, attempt: attempt)
                    let journaled = action.effect && context.journal != nil
                    if journaled, let journal = context.journal, let problem = await journal.write(action.intent(id)) {
                        throw OperationFailure(message: "not started: \(problem)")
                    }
                    if action.effect { touched.set() }
                    do throws(OperationFailure) {
                        for operation in action.operations { try await operations.run(operation, step: step.name, deadline: deadline) }
                    } catch {
                        let records = recordFailure(of: action, step: step.name, id: id, message: error.message)
                        if journaled { _ = await context.journal?.write(records) }
                        throw await withLogs(error, action)
                    }
                    if journaled {
                        _ = await context.journal?.write(WriteAheadRecord(id: id, phase: .completion, work: .action, summary: action.summary, ok: true))
                    }
                    ledger.record(CompletedAction(step: step.name, action: action, id: id))
                    if plan.releaseRides, step.name == plan.steps.last?.name, next == step.actions.count - 1 {
                        // The host's last command released the lock (only a Ctrl-C can still roll it back).
                        lockTaken = false
                        released = true
                    }
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
            guard await stop.sleep(seconds: Double(step.retryDelay.milliseconds) / 1000) else {
                return OperationFailure(message: "step \(step.name): \(failure.message)", exitStatus: failure.exitStatus)
            }
        }
        return OperationFailure(message: "step \(step.name) failed")
    }

    /// An action with an effect failed. A built-in action may have changed the host before failing:
    /// its guarded undo runs too. A `run` command's undo is for a command that completed: it does not,
    /// and the journal says so. Returns the records that close the action in the journal.
    func recordFailure(of action: PlannedAction, step: String, id: ActionID, message: String) -> [WriteAheadRecord] {
        guard action.effect else { return [] }
        let failed = WriteAheadRecord(id: id, phase: .completion, work: .action, summary: action.summary, ok: false, message: message)
        if action.undoesFailure {
            ledger.record(CompletedAction(step: step, action: action, id: id, completed: false))
            return [failed]
        }
        let notDue = WriteAheadRecord(
            id: id, phase: .completion, work: .undo, summary: action.summary, ok: true,
            message: "not undone: the command failed, and its undo is for a command that completed")
        return [failed, notDue]
    }

    /// The reason an action's guard skips it, or nil when it runs.
    private func skipReason(_ action: PlannedAction, step: String, deadline: Date?) async throws(OperationFailure) -> String? {
        for guardCheck in action.guards {
            let result: ExecResult
            do throws(TransportError) {
                result = try await context.send(guardCheck.command)
            } catch {
                throw OperationFailure(message: context.redactor.redact(error.message))
            }
            if result.timedOut { throw OperationFailure(message: "the guard `\(guardCheck.command.body.display)` timed out") }
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
        let evaluator = CheckEvaluator(
            transport: context.transport, secrets: context.plan.secretValues, adapter: context.adapter, started: started, logMarks: marks)
        // A restarts window longer than `within` is still watched to its end.
        var seconds = Double(verification.within.milliseconds) / 1000
        for check in verification.checks {
            if case .restarts(_, _, _, let over) = check { seconds = max(seconds, Double(over.milliseconds) / 1000 + 1) }
        }
        let deadline = started.addingTimeInterval(seconds)
        var interval = 0.25
        while true {
            var results: [CheckResult] = []
            for (index, check) in verification.checks.enumerated() {
                let probe = index < verification.probes.count ? verification.probes[index] : check.probe
                results.append(await evaluator.evaluate(check, probe: probe))
            }
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
            _ = await stop.sleep(seconds: interval)
            interval = min(2, interval * 1.5)
        }
    }

    /// Undoes every completed action, newest first, then runs the rollback block; returns what is
    /// left to do by hand (empty when everything was undone).
    func rollBack() async -> [String] {
        // A dropped connection is opened again once, so the undos reach a host that answers again.
        do throws(TransportError) {
            try await context.transport.reconnectIfDropped()
        } catch {
            unreachableAgain = true
            context.emit(.note("the connection dropped and could not be opened again: \(error.message)"))
        }
        if released, let start = plan.start {
            // A Ctrl-C during the last command, which released the lock: undo under the lock again.
            switch await HostLock.start(start, context: context, wait: 0, stop: StopSignal()) {
            case .taken:
                lockTaken = true
                released = false
            case .held(let holder):
                return ["nothing was undone: the host lock, released by the last command, is now held by \(holder)"]
            case .failed(let message):
                return ["nothing was undone: \(message)"]
            }
        }
        // Undos run to their end after a Ctrl-C or a failed journal: no stop cuts their waits short.
        let operations = OperationRunner(context: context, stop: StopSignal())
        var left: [String] = []
        // File undos first, then undos that act on a running app, so the app comes back with the
        // restored files (each group newest first).
        let newestFirst = ledger.all.reversed().filter { !$0.action.undo.isEmpty }
        let ordered = newestFirst.filter { !$0.action.appUndo } + newestFirst.filter(\.action.appUndo)
        let runBlock = touched.isSet
        for completed in ordered {
            var ok = true
            var message: String?
            // Undos go on when the journal fails: stopping half way would leave more to undo by hand.
            _ = await context.journal?.write(WriteAheadRecord(id: completed.id, phase: .intent, work: .undo, summary: completed.action.summary))
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
            _ = await context.journal?.write(
                WriteAheadRecord(id: completed.id, phase: .completion, work: .undo, summary: completed.action.summary, ok: ok, message: message))
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

    /// The host's last command: after a pass, the planned cleanup (what was moved aside is removed)
    /// and the lock's release in one exec; otherwise the release alone. Run once its changes are final.
    func finish(passed: Bool) async {
        if !unreachableAgain { try? await context.transport.reconnectIfDropped() }
        let cleanups = plan.steps.flatMap(\.actions).flatMap(\.cleanup)
        guard let command = (passed ? plan.finish : nil) ?? (lockTaken ? plan.release : nil) else { return }
        do throws(TransportError) {
            let result = try await context.send(command)
            for line in result.stdout.split(separator: "\n") where line.hasPrefix(HostBookends.cleanupFailedPrefix) {
                guard let index = Int(line.dropFirst(HostBookends.cleanupFailedPrefix.count)), index < cleanups.count else { continue }
                context.emit(.note("cleanup failed: `\(cleanups[index].display)`; the moved-aside copy is still there"))
            }
            for line in result.stdout.split(separator: "\n") {
                if line == KeptBackups.keepFailed {
                    context.emit(
                        .note(
                            "could not keep this run's backups (its cleanup script could not be written): they were removed; `runbook rollback` cannot put this host back"
                        ))
                } else if line.hasPrefix(KeptBackups.pruneFailed) {
                    context.emit(
                        .note(
                            "could not remove the kept backups of run \(line.dropFirst(KeptBackups.pruneFailed.count)): its cleanup script failed; it is tried again at the next run's finish"
                        ))
                }
            }
            if result.exitStatus != 0 && lockTaken {
                context.emit(.note("the host lock may still be held: \(result.reason)"))
            }
        } catch {
            if lockTaken, let release = plan.release {
                context.emit(
                    .note(
                        "could not release the host lock (\(error.message)); clear it with: runbook unlock --hosts \(context.host) (it runs `\(release.body.display.firstLineForMessages)`)"
                    ))
            }
        }
        lockTaken = false
        if passed { ledger.removeAll() }
    }

    var changed: Bool { !ledger.all.isEmpty }

    /// "cannot check X on this host: Y is missing" for every check or action that needs what the
    /// host lacks, or nil when nothing does.
    func unmetRequirements() -> String? {
        guard !missing.isEmpty else { return nil }
        var problems: [String] = []
        for step in plan.steps {
            for action in step.actions {
                for requirement in action.requirements.intersection(missing).sorted() {
                    problems.append("cannot run `\(action.summary)` (step \(step.name)) on this host: \(requirement.label) is missing")
                }
            }
        }
        for verification in plan.verifications {
            for (check, probe) in zip(verification.checks, verification.probes) {
                for requirement in Set(probe?.requirements ?? []).intersection(missing).sorted() {
                    problems.append("cannot check \(check.display) on this host: \(requirement.label) is missing")
                }
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}
