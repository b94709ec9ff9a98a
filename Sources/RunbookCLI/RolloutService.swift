import Execution
import Foundation
import Planning
import PostgresStore
import RunEvents
import StateStore

/// A worker serving one rollout: `forks` slots each claim a host, run it with the same executor as
/// `apply` (one host, one batch: the rollout's batches and budget are the store's), and report its
/// result under the claim's fencing token. A host whose worker died is taken over: rolled back from
/// the write-ahead records in the store (intent without completion included, as `rollback RUN`
/// does), or queued again when its worker never changed it.
struct RolloutService {
    let store: PostgresStore
    let rollout: String
    let plan: RunPlan
    let rollback: Bool
    let worker: String
    let forks: Int
    let factory: TransportFactory
    let terminated: Terminated

    func serve() async throws {
        do {
            try store.register(worker: worker, rollout: rollout)
        } catch {
            Output.error("error: cannot register with rollout \(rollout): \(error)")
            throw ExitStatus.failed
        }
        Output.print("worker \(worker): serving rollout \(rollout) (\(plan.hosts.count) hosts, \(plan.rollout.batches.count) batches)")
        let stops = Stops()
        let keeper = ClaimKeeper(store: store, rollout: rollout, worker: worker) { token, message in stops.halt(token, message) }
        defer { keeper.stop() }
        factory.preparePassphrases(for: plan.hosts.map(\.connection))
        let failures = await withTaskGroup(of: String?.self) { group in
            for slot in 0..<forks {
                group.addTask { await self.slot(slot, keeper: keeper, stops: stops) }
            }
            var found: [String] = []
            for await failure in group { if let failure { found.append(failure) } }
            return found
        }
        if let failure = failures.first {
            Output.error("error: \(failure)")
            throw ExitStatus.failed
        }
        Output.print("worker \(worker): rollout \(rollout) has nothing more to claim")
    }

    /// Claims and runs hosts until the rollout has nothing more for this worker; returns a store failure.
    private func slot(_ index: Int, keeper: ClaimKeeper, stops: Stops) async -> String? {
        let rollout = plan.rollout
        let everyClaim = !rollout.maxFail.hasSuffix("%")
        while !terminated.value {
            let claim: Rollouts.Claim
            do {
                claim = try store.claim(rollout: self.rollout, worker: worker, everyClaim: everyClaim) { failed, done in
                    rollout.budgetExceeded(failed: failed, done: done) ? "\(rollout.budgetDescription) exceeded: \(failed) of \(done) hosts failed" : nil
                }
            } catch {
                return "cannot claim hosts of rollout \(self.rollout): \(error)"
            }
            switch claim {
            case .over: return nil
            case .wait: try? await Task.sleep(for: .milliseconds(150 + 25 * index))
            case .run(let host, let token):
                await serve(token, keeper: keeper, stops: stops) { await self.run(host, token: token, stop: $0, factory: $1) }
            case .takeOver(let host, let token, let from):
                await serve(token, keeper: keeper, stops: stops) { await self.takeOver(host, token: token, from: from, stop: $0, factory: $1) }
            case .finish(let host, let token, let rollback):
                await serve(token, keeper: keeper, stops: stops) { await self.finish(host, token: token, rollback: rollback, stop: $0, factory: $1) }
            }
        }
        return nil
    }

    /// A host whose steps a dead worker completed: verified and finished under this claim.
    private func resume(_ host: String, token: Int64, from: String, point: ResumePoint, stop: StopSignal, factory: TransportFactory) async {
        let segment = RunSegment(store: store, runID: plan.runID, token: token) { problem in stop.halt(because: "the state store failed: \(problem)") }
        var options = ExecutionOptions(rollback: rollback, forks: 1)
        options.resume = [host: point]
        let executor = RunExecutor(plan: single(host), factory: factory, options: options, bus: bus(segment), stop: stop, store: segment)
        let summary = await executor.run()
        let problem = segment.close()
        let outcome = summary.outcomes[host]
        var result = outcome?.result ?? .unknown
        if result == .notStarted { result = .failed }
        let how = "its steps were done by worker \(from), which stopped; finished by worker \(worker)"
        report(host, token: token, result: result, message: outcome?.message.map { "\($0) (\(how))" } ?? problem ?? (result == .ok ? how : nil))
    }

    /// Does one claim's work while the keeper renews the claim, with the claim's stop signal and its
    /// fenced transports.
    private func serve(_ token: Int64, keeper: ClaimKeeper, stops: Stops, _ work: (StopSignal, TransportFactory) async -> Void) async {
        keeper.hold(token)
        await work(stops.start(token), fenced(token, keeper))
        keeper.drop(token)
        stops.end(token)
    }

    /// The transports of one claim: nothing is sent once the claim may have been taken over.
    private func fenced(_ token: Int64, _ keeper: ClaimKeeper) -> TransportFactory {
        var fenced = factory
        fenced.fence = { keeper.fence(token) }
        return fenced
    }

    /// The plan cut down to one host in one batch, with the rollout's run id (its commands' bytes).
    /// With `rollback: fleet` a failed host rolls back at once, as with one controller, and a passed
    /// one keeps what it moved aside (its last command only releases the lock) until the rollout's
    /// fate is known: then it is rolled back with the fleet, or cleaned up (`finish`).
    private func single(_ host: String) -> RunPlan {
        var one = plan
        one.hosts = plan.hosts.filter { $0.host == host }
        one.rollout.batches = [[host]]
        one.rollout.canary = 0
        if plan.rollout.rollback == "fleet" {
            one.rollout.rollback = "host"
            for index in one.hosts.indices { one.hosts[index].finish = one.hosts[index].release }
        }
        return one
    }

    /// A passed host of a `rollback: fleet` rollout, once its fate is known: rolled back from its
    /// records, newest first across the fleet, or visited to remove what it moved aside (the planned
    /// finish command: cleanup, then the lock's release).
    private func finish(_ host: String, token: Int64, rollback: Bool, stop: StopSignal, factory: TransportFactory) async {
        var items: [Outstanding] = []
        if rollback {
            do throws(StateStoreError) {
                items = (WriteAhead.outstanding(try await store.load(plan.runID).records)[host] ?? []).filter { !$0.undo.isEmpty }
            } catch {
                Output.error("warning: \(host): cannot read its records (\(error.description)); its claim expires and another worker tries again")
                return
            }
        }
        var visit = plan
        visit.hosts = plan.hosts.filter { $0.host == host }
        visit.rollout.batches = [[host]]
        visit.rollout.rollback = "host"
        if !rollback {
            for index in visit.hosts.indices { visit.hosts[index].release = visit.hosts[index].finish ?? visit.hosts[index].release }
        }
        let segment = RunSegment(store: store, runID: plan.runID, token: token) { problem in stop.halt(because: "the state store failed: \(problem)") }
        let executor = RunExecutor(
            plan: visit, factory: factory, options: ExecutionOptions(forks: 1), bus: bus(segment, recordResults: rollback), stop: stop, store: segment)
        let summary = await executor.rollBackRecorded([host: items])
        _ = segment.close()
        let outcome = summary.outcomes[host]
        guard rollback else {
            report(host, token: token, result: .ok, message: nil)
            return
        }
        let reason = (try? store.rolloutState(rollout))??.stoppedBy ?? "the rollout stopped"
        let result: HostResult = outcome?.result == .rolledBack ? .rolledBack : .rollbackFailed
        report(host, token: token, result: result, message: "rolled back with the fleet (\(reason))")
    }

    /// A bus whose host events go to the claim's segment of the rollout's run (the run's own start and
    /// end are the coordinator's), and whose results this worker prints.
    private func bus(_ segment: RunSegment, recordResults: Bool = true) -> EventBus {
        let bus = EventBus()
        let worker = worker
        bus.subscribe { event in
            switch event.kind {
            case .runStarted, .runFinished, .batchStarted: return
            case .hostStarted, .hostFinished: if recordResults { segment.record(event) }
            default: segment.record(event)
            }
        }
        bus.subscribe { event in
            guard let host = event.host, case .hostFinished(let result, let message, _, _) = event.kind, recordResults else { return }
            Output.print("\(host)  \(result.display)\(message.map { ": \(TerminalText.clean($0))" } ?? "")  (worker \(worker))")
        }
        return bus
    }

    private func report(_ host: String, token: Int64, result: HostResult?, message: String?) {
        let state: String
        switch result {
        case nil: state = "pending"
        case .ok: state = "passed"
        case .rolledBack: state = "rolled_back"
        default: state = "failed"
        }
        do {
            if try !store.report(rollout: rollout, host: host, token: token, state: state, result: result?.rawValue, message: message) {
                Output.error("warning: \(host): the claim was taken over before its result was reported; the other worker's result stands")
            }
        } catch {
            Output.error("warning: \(host): cannot report its result (\(error)); its claim expires and another worker puts it back")
        }
    }

    private func run(_ host: String, token: Int64, stop: StopSignal, factory: TransportFactory) async {
        let segment = RunSegment(store: store, runID: plan.runID, token: token) { problem in stop.halt(because: "the state store failed: \(problem)") }
        let executor = RunExecutor(
            plan: single(host), factory: factory, options: ExecutionOptions(rollback: rollback, forks: 1), bus: bus(segment), stop: stop, store: segment)
        let summary = await executor.run()
        let problem = segment.close()
        let outcome = summary.outcomes[host]
        var result = outcome?.result ?? .unknown
        // A host the run never started (its lock held by a run outside the store) counts as failed.
        if result == .notStarted { result = .failed }
        report(host, token: token, result: result, message: outcome?.message ?? problem)
    }

    private func takeOver(_ host: String, token: Int64, from: String, stop: StopSignal, factory: TransportFactory) async {
        let stored: StoredRun
        do throws(StateStoreError) {
            stored = try await store.load(plan.runID)
        } catch {
            Output.error("warning: \(host): cannot read what worker \(from) recorded (\(error.description)); its claim expires again")
            return
        }
        var last: HostResult?
        var doneSteps: Set<String> = []
        for event in stored.events where event.host == host {
            switch event.kind {
            case .hostFinished(let result, _, _, _): last = result
            case .stepFinished(let step, true, _, _, _), .stepSkipped(let step, _): doneSteps.insert(step)
            default: break
            }
        }
        if last == .ok {
            // It passed (and removed what it had moved aside) before its worker could report it.
            report(host, token: token, result: .ok, message: "passed (reported after worker \(from) stopped)")
            return
        }
        let items = (WriteAhead.outstanding(stored.records)[host] ?? []).filter { !$0.undo.isEmpty }
        let steps = Set(single(host).hosts.first?.steps.map(\.name) ?? [])
        if !steps.isEmpty, steps.isSubset(of: doneSteps), last == nil {
            // Every step completed before its worker died: the host is finished here (verified, then
            // kept or cleaned up and released), and rolled back from those actions if it fails.
            await resume(host, token: token, from: from, point: ResumePoint(steps: steps, actions: items), stop: stop, factory: factory)
            return
        }
        let segment = RunSegment(store: store, runID: plan.runID, token: token) { problem in stop.halt(because: "the state store failed: \(problem)") }
        let executor = RunExecutor(
            plan: single(host), factory: factory, options: ExecutionOptions(forks: 1), bus: bus(segment, recordResults: !items.isEmpty), stop: stop,
            store: segment)
        // With nothing outstanding the host is only visited to release the rollout's lock there.
        let summary = await executor.rollBackRecorded([host: items])
        _ = segment.close()
        let outcome = summary.outcomes[host]
        if items.isEmpty, outcome?.result == .rolledBack {
            Output.print("\(host)  queued again: worker \(from) stopped before changing it  (worker \(worker))")
            report(host, token: token, result: nil, message: nil)
            return
        }
        let result: HostResult = outcome?.result == .rolledBack ? .rolledBack : .rollbackFailed
        report(host, token: token, result: result, message: "worker \(from) stopped mid-host; \(outcome?.message ?? "rolled back")")
    }
}

/// The stop signal of each claim in flight, so a lost claim stops its host's run.
final class Stops: @unchecked Sendable {
    private let lock = NSLock()
    private var signals: [Int64: StopSignal] = [:]

    func start(_ token: Int64) -> StopSignal {
        let signal = StopSignal()
        lock.withLock { signals[token] = signal }
        return signal
    }

    func end(_ token: Int64) { _ = lock.withLock { signals.removeValue(forKey: token) } }

    func halt(_ token: Int64, _ message: String) { lock.withLock { signals[token] }?.halt(because: message) }
}
