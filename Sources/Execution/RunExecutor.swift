import Foundation
import Planning
import RunEvents
import StateStore
import Supervisors
import Synchronization
import Transport

/// Where a host's run goes on: the steps done, and the actions they did (undone if it then fails).
public struct ResumePoint: Sendable {
    public var steps: Set<String>
    public var actions: [Outstanding]

    public init(steps: Set<String>, actions: [Outstanding]) {
        self.steps = steps
        self.actions = actions
    }
}

/// Choices of the command line that change how a run goes.
public struct ExecutionOptions: Sendable {
    /// False with `--no-rollback`: failed hosts are left as they are.
    public var rollback: Bool
    /// Hosts worked on at the same time (`--forks`).
    public var forks: Int
    /// Steps running at the same time on one host (below the SSH channel cap).
    public var parallelSteps: Int
    /// Up to this many hosts stay connected from locking to their turn; a bigger fleet disconnects
    /// after locking and reconnects when its batch comes (a second handshake per host).
    public var keepConnected: Int
    /// Hosts whose steps another controller already did (a rollout worker that died before their
    /// verification): their run goes on from there.
    public var resume: [String: ResumePoint] = [:]

    /// As many connections as the open-file limit holds (a socket and a wake-up pipe each, with room
    /// for everything else), between 50 and 5,000: an idle connection costs a thread and ~0.1 MB.
    public static var connectionsWithinLimits: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 200 }
        let files = Int(clamping: min(limit.rlim_cur, 1 << 20))
        return min(5000, max(50, (files - 256) / 3))
    }

    public init(
        rollback: Bool = true, forks: Int = 50, parallelSteps: Int = 4, keepConnected: Int = ExecutionOptions.connectionsWithinLimits
    ) {
        self.keepConnected = keepConnected
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
    /// What stopped the rollout ("max_fail 0 exceeded: 1 of 3 hosts failed", "interrupted"), if anything.
    public var stoppedBy: String?
    public var duration: Double

    public init(outcomes: [String: HostOutcome], order: [String], exitStatus: Int32, stoppedBy: String?, duration: Double) {
        self.outcomes = outcomes
        self.order = order
        self.exitStatus = exitStatus
        self.stoppedBy = stoppedBy
        self.duration = duration
    }
}

/// Hosts whose run has started and not finished: what a second Ctrl-C leaves in an unknown state.
public final class InFlight: Sendable {
    private let hosts = Mutex<Set<String>>([])

    func start(_ host: String) { _ = hosts.withLock { $0.insert(host) } }
    func finish(_ host: String) { _ = hosts.withLock { $0.remove(host) } }

    /// The hosts in flight, sorted.
    public var names: [String] { hosts.withLock { $0.sorted() } }
}

/// Runs a plan on its hosts: connects and locks every host first, then batches in rollout order, up
/// to `forks` hosts at a time, the failure budget after each batch, and the fleet-wide rollback when
/// the rollout says so. Locks are released at the end, after failure and rollback too.
public final class RunExecutor: Sendable {
    let plan: RunPlan
    let factory: TransportFactory
    let options: ExecutionOptions
    let bus: EventBus
    let stop: StopSignal
    /// Where write-ahead records go (nil with `--no-journal`).
    let store: (any StateStore)?
    public let inFlight = InFlight()

    public init(
        plan: RunPlan, factory: TransportFactory, options: ExecutionOptions, bus: EventBus, stop: StopSignal = StopSignal(),
        store: (any StateStore)? = nil
    ) {
        self.store = store
        self.plan = plan
        self.factory = factory
        self.options = options
        self.bus = bus
        self.stop = stop
    }

    private var scope: String { plan.rollout.rollback }
    private var rollsBackHosts: Bool { options.rollback && scope != "none" }

    /// A host made ready to run: connected and locked, or why not.
    struct Prepared: Sendable {
        var runner: HostRunner
        var problem: String?
        var lockHolder: String?
        /// The connection failed: the host ends `unreachable`, not `failed`.
        var unreachable = false
    }

    public func run() async -> RunSummary {
        let start = Date()
        let hostNames = plan.hosts.map(\.host)
        RunLiveness.hold(plan.runID)
        bus.emit(RunEvent(.runStarted(runbook: plan.runbook.name, runID: plan.runID, hosts: hostNames, batches: plan.rollout.batches)))
        // Skipped known_hosts lines and keys recorded by --accept-new-host-keys become notes of the run.
        let notices = bus
        let token = SSHNotices.addHandler { text in notices.emit(RunEvent(.note(text))) }
        defer { SSHNotices.removeHandler(token) }
        var outcomes: [String: HostOutcome] = [:]
        let prepared = await prepare()
        let refused = prepared.values.filter { $0.lockHolder != nil }.sorted { $0.runner.context.host < $1.runner.context.host }
        if !refused.isEmpty {
            // Another run holds some of these hosts: nothing runs anywhere (exit 2).
            for entry in refused {
                bus.emit(RunEvent(host: entry.runner.context.host, .note("refused: the lock is held by \(entry.lockHolder ?? "?")")))
            }
            await finishAll(prepared.values.map(\.runner), release: true)
            for name in hostNames {
                let holder = prepared[name]?.lockHolder
                outcomes[name] = HostOutcome(
                    host: name, result: .notStarted, message: holder.map { "locked by \($0)" }, left: [], changed: false, duration: 0)
            }
            return finish(outcomes, order: hostNames, status: 2, stoppedBy: "\(refused.count) host(s) locked by another run", start: start)
        }
        var finishedOK: [HostRunner] = []
        var stoppedBy: String?
        var done = 0
        var failed = 0
        for (index, batch) in plan.rollout.batches.enumerated() {
            if stop.graceful { break }
            if index > 0, plan.rollout.pause.milliseconds > 0 { _ = await stop.sleep(seconds: Double(plan.rollout.pause.milliseconds) / 1000) }
            if stop.graceful { break }
            bus.emit(RunEvent(batch: index + 1, .batchStarted(index: index + 1, hosts: batch, canary: index == 0 && plan.rollout.canary > 0)))
            let results = await runBatch(batch.compactMap { prepared[$0] }, batch: index + 1)
            for (outcome, runner) in results {
                outcomes[outcome.host] = outcome
                guard outcome.result != .notStarted else { continue }
                done += 1
                if outcome.result == .ok { finishedOK.append(runner) } else { failed += 1 }
            }
            if plan.rollout.budgetExceeded(failed: failed, done: done), index + 1 < plan.rollout.batches.count {
                stoppedBy = "\(plan.rollout.budgetDescription) exceeded: \(failed) of \(done) hosts failed"
                break
            }
        }
        if stoppedBy == nil && stop.graceful && outcomes.count < hostNames.count { stoppedBy = stop.interrupted ? "interrupted" : stop.reason }
        if stoppedBy != nil, scope == "fleet", options.rollback, !stop.immediate {
            // Every host this run changed goes back, newest first.
            for runner in finishedOK.reversed() where runner.changed {
                let host = runner.context.host
                let left = await runner.rollBack()
                let result: HostResult = left.isEmpty ? .rolledBack : .rollbackFailed
                outcomes[host]?.result = result
                outcomes[host]?.message = "rolled back with the fleet (\(stoppedBy ?? ""))"
                outcomes[host]?.left = left
                runner.context.emit(.hostFinished(result: result, message: "rolled back with the fleet", left: left, duration: 0))
            }
        } else if scope == "fleet" {
            // Moved-aside copies were kept until the fleet's fate was known.
            for runner in finishedOK { await runner.finish(passed: true) }
        }
        for name in hostNames where outcomes[name] == nil {
            let problem = prepared[name]?.problem
            outcomes[name] = HostOutcome(host: name, result: .notStarted, message: problem, left: [], changed: false, duration: 0)
        }
        await finishAll(prepared.values.map(\.runner), release: true)
        var status = Self.exitStatus(outcomes.values.map(\.result))
        if stop.interrupted && !outcomes.values.contains(where: \.changed) && status != 3 { status = 130 }
        // A run stopped early (a first Ctrl-C after changes, a failed journal) exits 1 at least, as the spec says.
        if stop.graceful && status == 0 { status = 1 }
        return finish(outcomes, order: hostNames, status: status, stoppedBy: stoppedBy, start: start)
    }

    func finish(_ outcomes: [String: HostOutcome], order: [String], status: Int32, stoppedBy: String?, start: Date) -> RunSummary {
        let duration = Date().timeIntervalSince(start)
        bus.emit(RunEvent(.runFinished(exitStatus: status, results: outcomes.mapValues(\.result), stoppedBy: stoppedBy, duration: duration)))
        return RunSummary(outcomes: outcomes, order: order, exitStatus: status, stoppedBy: stoppedBy, duration: duration)
    }

    /// 0 all passed; 1 a host failed (and was rolled back or left); 3 a rollback failed or state is
    /// unknown; 4 the only failures are unreachable hosts (Ansible's 4, which it also gives when others failed).
    public static func exitStatus(_ results: [HostResult]) -> Int32 {
        if results.contains(where: { $0 == .rollbackFailed || $0 == .unknown }) { return 3 }
        if results.contains(where: { $0 == .failed || $0 == .rolledBack || $0 == .precheckFailed }) { return 1 }
        if results.contains(.unreachable) { return 4 }
        return 0
    }

    /// Connects to every host and takes its lock, `forks` hosts at a time.
    func prepare(only: Set<String>? = nil) async -> [String: Prepared] {
        let hosts = only.map { names in plan.hosts.filter { names.contains($0.host) } } ?? plan.hosts
        let wait = Double(plan.runbook.lock.wait.milliseconds) / 1000
        return await withTaskGroup(of: Prepared.self) { group in
            var result: [String: Prepared] = [:]
            var next = 0
            func add() {
                guard next < hosts.count else { return }
                let host = hosts[next]
                next += 1
                group.addTask {
                    let context = self.makeContext(host)
                    let runner = HostRunner(context: context, stop: self.stop, parallelSteps: self.options.parallelSteps)
                    do throws(TransportError) {
                        try await context.transport.connect()
                    } catch {
                        return Prepared(runner: runner, problem: error.message, unreachable: true)
                    }
                    guard let start = host.start else { return Prepared(runner: runner) }
                    switch await HostLock.start(start, context: context, wait: wait, stop: self.stop) {
                    case .taken(let missing):
                        runner.lockTaken = self.plan.runbook.lock.enabled
                        runner.missing = missing
                        if self.plan.hosts.count > self.options.keepConnected { await context.transport.close() }
                        return Prepared(runner: runner)
                    case .held(let holder): return Prepared(runner: runner, lockHolder: holder)
                    case .failed(let message): return Prepared(runner: runner, problem: message)
                    }
                }
            }
            for _ in 0..<min(max(1, options.forks), hosts.count) { add() }
            for await prepared in group {
                result[prepared.runner.context.host] = prepared
                add()
            }
            return result
        }
    }

    /// Releases the locks this run took and closes every connection.
    func finishAll(_ runners: [HostRunner], release: Bool) async {
        await withTaskGroup(of: Void.self) { group in
            for runner in runners {
                group.addTask {
                    if release { await runner.finish(passed: false) }
                    await runner.context.transport.close()
                }
            }
        }
    }

    private func runBatch(_ hosts: [Prepared], batch: Int) async -> [(HostOutcome, HostRunner)] {
        await withTaskGroup(of: (HostOutcome, HostRunner).self) { group in
            var results: [(HostOutcome, HostRunner)] = []
            var next = 0
            func add() {
                guard next < hosts.count else { return }
                let host = hosts[next]
                next += 1
                group.addTask { await self.runHost(host, batch: batch) }
            }
            for _ in 0..<min(max(1, options.forks), hosts.count) { add() }
            for await result in group {
                results.append(result)
                if !stop.graceful { add() }
            }
            while next < hosts.count {
                let host = hosts[next]
                next += 1
                results.append(
                    (HostOutcome(host: host.runner.context.host, result: .notStarted, message: nil, left: [], changed: false, duration: 0), host.runner))
            }
            return results
        }
    }

    private func makeContext(_ host: HostPlan) -> HostContext {
        let adapter = host.supervisor.map { Supervisors.adapter(for: $0, command: host.supervisorCommand) }
        let batch = plan.rollout.batches.firstIndex { $0.contains(host.host) }.map { $0 + 1 }
        return HostContext(
            plan: host, transport: factory.transport(host: host.host, connection: host.connection), bus: bus,
            redactor: Redactor(secrets: host.secrets), adapter: adapter, batch: plan.rollout.batches.count > 1 ? batch : nil,
            journal: store.map { WriteAheadJournal(store: $0, runID: plan.runID, stop: stop) })
    }

    private func runHost(_ prepared: Prepared, batch: Int) async -> (HostOutcome, HostRunner) {
        let runner = prepared.runner
        let context = runner.context
        let start = Date()
        context.emit(.hostStarted)
        if let key = context.transport.hostKey { context.emit(.hostKey(fingerprint: key)) }
        func finish(_ result: HostResult, _ message: String?, left: [String] = [], changed: Bool) -> (HostOutcome, HostRunner) {
            let duration = Date().timeIntervalSince(start)
            inFlight.finish(context.host)
            context.emit(.hostFinished(result: result, message: message, left: left, duration: duration))
            return (HostOutcome(host: context.host, result: result, message: message, left: left, changed: changed, duration: duration), runner)
        }
        if let problem = prepared.problem {
            // Unreachable, or the lock could not be written: counts as failed for the budget; nothing was changed.
            return finish(prepared.unreachable ? .unreachable : .failed, problem, changed: false)
        }
        // Done with a host whose changes are final (its lock released, its connection closed now, not
        // at the end of a long rollout); with rollback: :fleet it may still be rolled back, so it waits.
        func settle(passed: Bool) async {
            guard scope != "fleet" else { return }
            await runner.finish(passed: passed)
            await context.transport.close()
        }
        if let missing = runner.unmetRequirements() {
            // Known before any change: a check or action this host cannot do fails it now, never later as a pass.
            await settle(passed: false)
            return finish(.precheckFailed, missing, changed: false)
        }
        if let point = options.resume[context.host] { runner.resume(from: point) }
        inFlight.start(context.host)
        let failure = await runner.forward()
        let changed = runner.changed
        guard let failure else {
            await settle(passed: true)
            return finish(.ok, nil, changed: changed)
        }
        if failure.precheck {
            // Nothing changed on this host: no undo, no rollback block; it counts as a failed host.
            await settle(passed: false)
            return finish(.precheckFailed, failure.message, changed: false)
        }
        if stop.immediate { return finish(.unknown, failure.message, changed: changed) }
        guard rollsBackHosts else {
            await settle(passed: false)
            return finish(.failed, failure.message, changed: changed)
        }
        let left = await runner.rollBack()
        await settle(passed: false)
        return finish(left.isEmpty ? .rolledBack : .rollbackFailed, failure.message, left: left, changed: changed)
    }
}

extension RunExecutor {
    /// The note `rollback RUN` records for each host it visited: the run's lock there is released.
    public static let releasedNote = "rollback: the run's lock on this host is released"

    /// Undoes what a recorded run left possibly done (`runbook rollback RUN`): on each host, the
    /// guarded undo of every outstanding action (completed, or announced and never completed),
    /// newest first, then the rollback block. Hosts with nothing left are not touched. The undo
    /// records go to the run's own journal, so a second `rollback RUN` finds nothing left.
    /// Exit status 0, or 3 when an undo failed.
    public func rollBackRecorded(_ outstanding: [String: [Outstanding]]) async -> RunSummary {
        let start = Date()
        // A host listed with nothing outstanding is visited only to take and release the run's lock.
        let hosts = plan.hosts.filter { outstanding[$0.host] != nil }
        let order = plan.hosts.map(\.host)
        RunLiveness.hold(plan.runID)
        bus.emit(RunEvent(.runStarted(runbook: plan.runbook.name, runID: plan.runID, hosts: hosts.map(\.host), batches: [hosts.map(\.host)])))
        let prepared = await prepare(only: Set(hosts.map(\.host)))
        var outcomes: [String: HostOutcome] = [:]
        await withTaskGroup(of: HostOutcome.self) { group in
            for host in hosts {
                guard let entry = prepared[host.host] else { continue }
                group.addTask {
                    let runner = entry.runner
                    let context = runner.context
                    let begin = Date()
                    context.emit(.hostStarted)
                    if let problem = entry.problem ?? entry.lockHolder.map({ "locked by \($0)" }) {
                        let result: HostResult = entry.unreachable ? .unreachable : .failed
                        context.emit(.hostFinished(result: result, message: problem, left: [], duration: 0))
                        return HostOutcome(host: host.host, result: result, message: problem, left: [], changed: false, duration: 0)
                    }
                    let adopted = runner.adopt(outstanding[host.host] ?? [])
                    let left = await runner.rollBack()
                    if left.isEmpty, let forget = host.afterRollback {
                        // Best effort: a kept entry left behind only makes a later rollback refuse.
                        _ = try? await context.send(forget)
                    }
                    let result: HostResult = left.isEmpty ? .rolledBack : .rollbackFailed
                    let duration = Date().timeIntervalSince(begin)
                    context.emit(
                        .hostFinished(result: result, message: "undid \(adopted) action(s) of run \(self.plan.runID)", left: left, duration: duration))
                    return HostOutcome(host: host.host, result: result, message: nil, left: left, changed: true, duration: duration)
                }
            }
            for await outcome in group { outcomes[outcome.host] = outcome }
        }
        for name in order where outcomes[name] == nil {
            outcomes[name] = HostOutcome(host: name, result: .notStarted, message: "nothing left to undo", left: [], changed: false, duration: 0)
        }
        await finishAll(prepared.values.map(\.runner), release: true)
        for entry in prepared.values where entry.problem == nil && entry.lockHolder == nil {
            entry.runner.context.emit(.note(Self.releasedNote))
        }
        let failed = outcomes.values.contains { $0.result == .rollbackFailed || $0.result == .failed || $0.result == .unreachable }
        return finish(outcomes, order: order, status: failed ? 3 : 0, stoppedBy: nil, start: start)
    }
}
