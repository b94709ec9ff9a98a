import ArgumentParser
import Execution
import Foundation
import Planning
import PostgresStore
import RunEvents
import StateStore

/// `apply FILE --state URL --workers N`: plans, saves the plan and the rollout's batches in the store,
/// takes the hosts' leases (other controllers are refused as for any run), waits for N workers, then
/// follows the rollout (the workers' events, printed as `apply` prints its own) and exits with its
/// status. The hosts run on the workers; this process sends nothing to any host.
struct RolloutCoordinator {
    var options: RunOptions
    var workers: Int

    func run() async throws {
        guard let url = try SharedState.url(state: options.state, journal: options.journal) else {
            Output.error("error: --workers needs the shared state store the workers read: give --state URL (or RUNBOOK_STATE)")
            throw ExitStatus.usage
        }
        if options.noJournal {
            Output.error("error: --no-journal runs without a record; it cannot be used with --workers")
            throw ExitStatus.usage
        }
        let plan = try options.makePlan()
        let secrets = Set(plan.runbook.params.filter(\.secret).map(\.name))
        let text: String
        do {
            text = try SavedPlan(plan: plan, options: options, arguments: SavedPlans.arguments(options, secrets: secrets)).json()
        } catch {
            Output.error("error: \(error)")
            throw ExitStatus.usage
        }
        let stop = StopSignal()
        let json = options.format == .json
        let writer = OutputWriter(live: false, wrap: { json ? JSONReporter.wrap($0) : $0 }, onBroken: { _ in })
        let store = try SharedState.open(url) { problem in
            stop.halt(because: "the state store failed: \(problem)")
            writer.line("error: \(problem)", .result, to: .stderr)
        }
        defer { store.close() }
        let leases = try SharedState.lease(plan.hosts, store: store, runID: plan.runID) { problem in
            stop.halt(because: problem)
            writer.line("error: \(problem): the workers finish their hosts in flight and claim no more", .result, to: .stderr)
        }
        do throws(StateStoreError) {
            try await store.create(ApplyRunner(options: options, plan: plan).runHeader())
        } catch {
            SharedState.finish(leases, store: store, status: 0)
            Output.error("error: \(error.description); nothing ran")
            throw ExitStatus.usage
        }
        let batchOf = Dictionary(
            plan.rollout.batches.enumerated().flatMap { index, hosts in hosts.map { ($0, index) } }, uniquingKeysWith: { first, _ in first })
        do {
            try store.createRollout(
                id: plan.runID, plan: text, hosts: plan.hosts.map { ($0.host, batchOf[$0.host] ?? 0) }, workers: workers,
                pause: Double(plan.rollout.pause.milliseconds) / 1000, fleet: plan.rollout.rollback == "fleet" && !options.noRollback)
        } catch {
            SharedState.finish(leases, store: store, status: 0)
            Output.error("error: cannot save the rollout: \(error); nothing ran")
            throw ExitStatus.usage
        }
        let bus = EventBus()
        let palette = Palette.resolve(options.color, json: json, terminal: Output.isTerminal, environment: ProcessInfo.processInfo.environment)
        writer.start()
        var reporter: TextReporter?
        switch options.format {
        case .json: JSONReporter.attach(to: bus, writer: writer)
        case .text:
            let text = TextReporter(live: false, writer: writer, palette: palette, verbose: options.verbose, rollsBack: !options.noRollback)
            text.attach(to: bus)
            reporter = text
        }
        MainThread.onInterrupt {
            if stop.raise() == 1 {
                writer.line(
                    "\ninterrupted: the workers claim no more hosts and finish the ones in flight (Ctrl-C again to stop following)", .result, to: .stderr)
            } else {
                writer.flush(within: 1)
                _exit(3)
            }
        }
        let own = { (event: RunEvent) in
            store.record(event, to: plan.runID)
            bus.emit(event)
        }
        own(RunEvent(.runStarted(runbook: plan.runbook.name, runID: plan.runID, hosts: plan.hosts.map(\.host), batches: plan.rollout.batches)))
        let start = Date()
        let follower = Follower(
            store: store, rollout: plan.runID, wanted: workers, bus: bus, own: own, writer: writer, batches: plan.rollout.batches,
            fleet: plan.rollout.rollback == "fleet" && !options.noRollback)
        let end = await follower.follow(stop: stop, canary: plan.rollout.canary > 0)
        var outcomes: [String: HostOutcome] = [:]
        for host in end.hosts {
            let result = host.result.flatMap(HostResult.init(rawValue:)) ?? .notStarted
            outcomes[host.name] = HostOutcome(
                host: host.name, result: result, message: host.message, left: [], changed: result != .notStarted,
                duration: end.durations[host.name] ?? 0)
        }
        var status = RunExecutor.exitStatus(outcomes.values.map(\.result))
        if stop.interrupted && !outcomes.values.contains(where: \.changed) && status != 3 { status = 130 }
        if (end.stoppedBy != nil || stop.graceful) && status == 0 { status = 1 }
        let duration = Date().timeIntervalSince(start)
        own(RunEvent(.runFinished(exitStatus: status, results: outcomes.mapValues(\.result), stoppedBy: end.stoppedBy, duration: duration)))
        try? store.setRolloutState(plan.runID, "done")
        if let reporter {
            reporter.finish()
            let steps = Dictionary(plan.hosts.map { ($0.host, $0.steps.count) }, uniquingKeysWith: { first, _ in first })
            let summary = RunSummary(outcomes: outcomes, order: plan.hosts.map(\.host), exitStatus: status, stoppedBy: end.stoppedBy, duration: duration)
            writer.line("\n" + TextReporter.summary(summary.terminalSafe, stepCounts: steps, palette: palette))
        }
        let final = status
        MainThread.onInterrupt { _exit(final) }
        await writer.finish()
        try? await store.finish(plan.runID, exitStatus: status, duration: duration)
        SharedState.finish(leases, store: store, status: status)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Follows a rollout in the store: waits for its workers, starts it, relays the workers' events (one
/// cursor per claim's range of the run) and announces batches as their first host is claimed; ends
/// when nothing is in flight and nothing more will be claimed.
struct Follower {
    let store: PostgresStore
    let rollout: String
    let wanted: Int
    let bus: EventBus
    let own: (RunEvent) -> Void
    let writer: OutputWriter
    let batches: [[String]]
    /// `rollback: fleet`: passed hosts are finished (rolled back or cleaned up) once nothing more runs.
    let fleet: Bool

    struct End {
        var hosts: [Rollouts.Host]
        var stoppedBy: String?
        /// Each host's time on its worker, from its last result event.
        var durations: [String: Double] = [:]
    }

    func follow(stop: StopSignal, canary: Bool) async -> End {
        var cursors: [Int64: Int64] = [0: Int64.max]
        var seen: Set<String> = []
        var started = false
        var announced = -1
        var hosts: [Rollouts.Host] = []
        var lastProblem: String?
        var durations: [String: Double] = [:]
        func relay(_ line: String) {
            guard let event = try? RunEvent.decode(jsonLine: line) else { return }
            if let host = event.host, case .hostFinished(_, _, _, let duration) = event.kind { durations[host, default: 0] += duration }
            bus.emit(event)
        }
        var alone = Date()
        while true {
            do {
                if !started {
                    let workers = try store.workers(of: rollout)
                    for worker in workers where !seen.contains(worker.name) {
                        seen.insert(worker.name)
                        if let refused = worker.refused {
                            own(RunEvent(.note("worker \(worker.name) refused the plan: \(refused)")))
                        } else {
                            own(RunEvent(.note("worker \(worker.name) registered")))
                        }
                    }
                    let ready = workers.filter { $0.refused == nil && $0.alive }.count
                    if ready >= wanted {
                        try store.setRolloutState(rollout, "running")
                        own(RunEvent(.note("\(ready) worker(s) registered: the rollout starts")))
                        started = true
                    } else if stop.graceful {
                        try store.setRolloutState(rollout, "done", stoppedBy: stop.reason)
                        return End(hosts: try store.rolloutHosts(rollout), stoppedBy: stop.reason)
                    }
                }
                for event in try store.events(of: rollout, after: cursors) {
                    cursors[event.seq >> 32] = event.seq
                    relay(event.line)
                }
                hosts = try store.rolloutHosts(rollout)
                for batch in 0..<batches.count where batch > announced && hosts.contains(where: { $0.batch == batch && $0.state != "pending" }) {
                    own(RunEvent(batch: batch + 1, .batchStarted(index: batch + 1, hosts: batches[batch], canary: batch == 0 && canary)))
                    announced = batch
                }
                let state = try store.rolloutState(rollout)
                if started, stop.graceful, state?.state == "running" {
                    try store.setRolloutState(rollout, "stopping", stoppedBy: stop.reason ?? "interrupted")
                }
                let claimed = hosts.contains { $0.state == "claimed" }
                let pending = hosts.contains { $0.state == "pending" }
                if started && !claimed && (!pending || state?.state != "running") && fleet && state?.state != "finishing"
                    && hosts.contains(where: { $0.state == "passed" })
                {
                    // The fleet's fate is known: its passed hosts go back, or lose what they moved aside.
                    let rollBack = state?.stoppedBy != nil || stop.graceful
                    if rollBack { own(RunEvent(.note("rolling back every passed host with the fleet (\(state?.stoppedBy ?? stop.reason ?? "stopped"))"))) }
                    try store.finishFleet(rollout, rollback: rollBack)
                    continue
                }
                if started && !claimed && (!pending || state?.state != "running") && !hosts.contains(where: { $0.finish != nil }) {
                    // The last events of the last hosts may land after their results.
                    for event in try store.events(of: rollout, after: cursors) { relay(event.line) }
                    return End(hosts: hosts, stoppedBy: try store.rolloutState(rollout)?.stoppedBy, durations: durations)
                }
                if started, try store.workers(of: rollout).contains(where: { $0.alive && $0.refused == nil }) {
                    alone = Date()
                } else if started, Date().timeIntervalSince(alone) > store.settings.leaseTTL {
                    own(RunEvent(.note("no live worker serves rollout \(rollout): start `runbook worker --state URL`")))
                    alone = .distantFuture
                }
                lastProblem = nil
            } catch {
                let problem = "\(error)"
                if problem != lastProblem { writer.line("warning: \(problem); retrying", .result, to: .stderr) }
                lastProblem = problem
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
}
