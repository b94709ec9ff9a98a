import Foundation
import Planning
import Supervisors
import Transport

/// Choices of the command line that change how a run goes.
public struct ExecutionOptions: Sendable {
    /// False with `--no-rollback`: failed hosts are left as they are.
    public var rollback: Bool
    /// Hosts worked on at the same time (`--forks`).
    public var forks: Int
    /// Steps running at the same time on one host (below the SSH channel cap).
    public var parallelSteps: Int

    public init(rollback: Bool = true, forks: Int = 50, parallelSteps: Int = 4) {
        self.rollback = rollback
        self.forks = forks
        self.parallelSteps = parallelSteps
    }
}

/// What a whole run came to.
public struct RunSummary: Sendable {
    public var outcomes: [String: HostOutcome]
    public var order: [String]
    public var exitStatus: Int32
    /// The budget that stopped the rollout ("max_fail 0 exceeded: 1 of 3 hosts failed"), when one did.
    public var stoppedBy: String?
    public var duration: Double
}

/// Runs a plan on its hosts: batches in rollout order, up to `forks` hosts at a time, the failure
/// budget after each batch, and the fleet-wide rollback when the rollout says so.
public final class RunExecutor: Sendable {
    let plan: RunPlan
    let factory: TransportFactory
    let options: ExecutionOptions
    let bus: EventBus
    let stop: StopSignal

    public init(plan: RunPlan, factory: TransportFactory, options: ExecutionOptions, bus: EventBus, stop: StopSignal = StopSignal()) {
        self.plan = plan
        self.factory = factory
        self.options = options
        self.bus = bus
        self.stop = stop
    }

    private var scope: String { plan.rollout.rollback }
    private var rollsBackHosts: Bool { options.rollback && scope != "none" }

    public func run() async -> RunSummary {
        let start = Date()
        let hostNames = plan.hosts.map(\.host)
        bus.emit(RunEvent(.runStarted(runbook: plan.runbook.name, runID: plan.runID, hosts: hostNames, batches: plan.rollout.batches)))
        let plans = Dictionary(plan.hosts.map { ($0.host, $0) }, uniquingKeysWith: { first, _ in first })
        var outcomes: [String: HostOutcome] = [:]
        var finishedOK: [(String, HostRunner)] = []
        var stoppedBy: String?
        var done = 0
        var failed = 0
        for (index, batch) in plan.rollout.batches.enumerated() {
            if stop.graceful { break }
            if index > 0, plan.rollout.pause.milliseconds > 0 { try? await Task.sleep(for: .milliseconds(plan.rollout.pause.milliseconds)) }
            bus.emit(RunEvent(batch: index + 1, .batchStarted(index: index + 1, hosts: batch, canary: index == 0 && plan.rollout.canary > 0)))
            let results = await runBatch(batch.compactMap { plans[$0] }, batch: index + 1)
            for (outcome, runner) in results {
                outcomes[outcome.host] = outcome
                done += 1
                if outcome.result == .ok { finishedOK.append((outcome.host, runner)) } else { failed += 1 }
            }
            if plan.rollout.budgetExceeded(failed: failed, done: done), index + 1 < plan.rollout.batches.count {
                stoppedBy = "\(plan.rollout.budgetDescription) exceeded: \(failed) of \(done) hosts failed"
                break
            }
        }
        if stoppedBy == nil && stop.graceful && outcomes.count < hostNames.count { stoppedBy = "interrupted" }
        if stoppedBy != nil, scope == "fleet", options.rollback {
            // Every host this run changed goes back, newest first.
            for (host, runner) in finishedOK.reversed() where runner.changed {
                let left = await runner.rollBack()
                let previous = outcomes[host]
                outcomes[host] = HostOutcome(
                    host: host, result: left.isEmpty ? .rolledBack : .rollbackFailed,
                    message: "rolled back with the fleet: \(stoppedBy ?? "")", left: left, changed: true, duration: previous?.duration ?? 0)
                runner.context.emit(
                    .hostFinished(result: left.isEmpty ? .rolledBack : .rollbackFailed, message: "rolled back with the fleet", left: left, duration: 0))
            }
        } else if scope == "fleet" {
            // Moved-aside copies were kept until the fleet's fate was known.
            for (_, runner) in finishedOK { await runner.cleanUp() }
        }
        for name in hostNames where outcomes[name] == nil {
            outcomes[name] = HostOutcome(host: name, result: .notStarted, message: nil, left: [], changed: false, duration: 0)
        }
        for (_, runner) in finishedOK { await runner.context.transport.close() }
        let status = Self.exitStatus(outcomes.values.map(\.result))
        let duration = Date().timeIntervalSince(start)
        bus.emit(RunEvent(.runFinished(exitStatus: status, results: outcomes.mapValues(\.result), stoppedBy: stoppedBy, duration: duration)))
        return RunSummary(outcomes: outcomes, order: hostNames, exitStatus: status, stoppedBy: stoppedBy, duration: duration)
    }

    /// 0 all passed; 1 a host failed (and was rolled back or left); 3 a rollback failed or state is unknown.
    static func exitStatus(_ results: [HostResult]) -> Int32 {
        if results.contains(where: { $0 == .rollbackFailed || $0 == .unknown }) { return 3 }
        if results.contains(where: { $0 == .failed || $0 == .rolledBack }) { return 1 }
        return 0
    }

    private func runBatch(_ hosts: [HostPlan], batch: Int) async -> [(HostOutcome, HostRunner)] {
        await withTaskGroup(of: (HostOutcome, HostRunner).self) { group in
            var results: [(HostOutcome, HostRunner)] = []
            var next = 0
            func add() {
                guard next < hosts.count else { return }
                let host = hosts[next]
                next += 1
                group.addTask { await self.runHost(host, batch: batch) }
            }
            for _ in 0..<min(options.forks, hosts.count) { add() }
            for await result in group {
                results.append(result)
                if !stop.graceful { add() }
            }
            while next < hosts.count {
                // Interrupted: hosts never started are reported as such.
                let host = hosts[next]
                next += 1
                let context = makeContext(host, batch: batch)
                results.append(
                    (
                        HostOutcome(host: host.host, result: .notStarted, message: nil, left: [], changed: false, duration: 0),
                        HostRunner(context: context, stop: stop, parallelSteps: 1)
                    ))
            }
            return results
        }
    }

    private func makeContext(_ host: HostPlan, batch: Int) -> HostContext {
        let adapter = host.supervisor.map { Supervisors.adapter(for: $0, command: host.supervisorCommand) }
        return HostContext(
            plan: host, transport: factory.transport(host: host.host, connection: host.connection), bus: bus,
            redactor: Redactor(secrets: host.secrets), adapter: adapter, batch: plan.rollout.batches.count > 1 ? batch : nil)
    }

    private func runHost(_ host: HostPlan, batch: Int) async -> (HostOutcome, HostRunner) {
        let context = makeContext(host, batch: batch)
        let runner = HostRunner(context: context, stop: stop, parallelSteps: options.parallelSteps)
        let start = Date()
        context.emit(.hostStarted)
        func finish(_ result: HostResult, _ message: String?, left: [String] = [], changed: Bool) -> (HostOutcome, HostRunner) {
            let duration = Date().timeIntervalSince(start)
            context.emit(.hostFinished(result: result, message: message, left: left, duration: duration))
            return (HostOutcome(host: host.host, result: result, message: message, left: left, changed: changed, duration: duration), runner)
        }
        do throws(TransportError) {
            try await context.transport.connect()
        } catch {
            await context.transport.close()
            return finish(.failed, "unreachable: \(error.message)", changed: false)
        }
        let failure = await runner.forward()
        let changed = runner.changed
        guard let failure else {
            if scope != "fleet" { await runner.cleanUp() }
            return finish(.ok, nil, changed: changed)
        }
        if stop.immediate {
            await context.transport.close()
            return finish(.unknown, failure.message, changed: changed)
        }
        guard rollsBackHosts, changed || !plan.hosts.isEmpty else {
            await context.transport.close()
            return finish(.failed, failure.message, changed: changed)
        }
        let left = await runner.rollBack()
        await context.transport.close()
        return finish(left.isEmpty ? .rolledBack : .rollbackFailed, failure.message, left: left, changed: changed)
    }
}
