import Foundation
import Planning
import RunEvents
import StateStore
import Synchronization
import Transport
import Wire

/// Splits a chain's output at its markers, live: each line goes out as its step's output, each
/// marker with status 0 completes its action (and its step), as if each command had been sent alone.
final class ChainDemux: Sendable {
    private struct State {
        /// The link each stream is at (a stream's marker moves it on).
        var outIndex = 0
        var errIndex = 0
        var stdout: [[String]]
        var stderr: [[String]]
        var statuses: [Int32?]
        /// The exec's value from its header line, per stream (stdout, stderr): markers must carry it.
        var nonces: [String?] = [nil, nil]
        var stepStarted = Date()
    }
    private let state: Mutex<State>
    private let chain: CommandChain
    private let actions: [PlannedAction]
    private let context: HostContext
    /// Lines kept per link and stream for messages: a failure shows the last one.
    static let keptLines = 200

    init(chain: CommandChain, actions: [PlannedAction], context: HostContext) {
        self.chain = chain
        self.actions = actions
        self.context = context
        let empty = Array(repeating: [String](), count: chain.links.count)
        state = Mutex(State(stdout: empty, stderr: empty, statuses: Array(repeating: nil, count: chain.links.count)))
    }

    func feed(_ line: OutputLine) { feed(line, trusted: false) }

    /// `trusted`: a marker runbook made itself (`completeRest`), not read from the host.
    private func feed(_ line: OutputLine, trusted: Bool) {
        let links = chain.links
        let events: [RunEvent.Kind] = state.withLock { state in
            let isOut = line.stream == .stdout
            let stream = isOut ? 0 : 1
            // The first line of each stream is the exec's header, printed before any link ran.
            if state.nonces[stream] == nil, !trusted, let nonce = CommandChain.header(in: line.text) {
                state.nonces[stream] = nonce
                return []
            }
            let index = isOut ? state.outIndex : state.errIndex
            guard index < links.count else { return [] }
            var text = line.text
            var marker = CommandChain.marker(in: line.text)
            if let found = marker, !trusted, found.nonce != state.nonces[stream] {
                // A marker without this exec's value was printed by a link: it is that link's output.
                marker = nil
            }
            if let marker { text = marker.before }
            var events: [RunEvent.Kind] = []
            if marker == nil || !text.isEmpty {
                if isOut { Self.keep(text, in: &state.stdout[index]) } else { Self.keep(text, in: &state.stderr[index]) }
                events.append(.output(step: links[index].step, stream: line.stream.rawValue, text: context.redactor.redact(text)))
            }
            guard let marker, marker.link == index else { return events }
            guard isOut else {
                state.errIndex += 1
                return events
            }
            state.statuses[index] = marker.status
            state.outIndex += 1
            // The last link completes with the exec (`completeRest`): a marker a link printed itself
            // must not finish the host's last step.
            guard marker.status == 0, index + 1 < links.count else { return events }
            return events + Self.completion(of: index, links: links, actions: actions, state: &state)
        }
        for event in events { context.emit(event) }
    }

    /// The events of a link that ended with status 0: its action, and its step when it was the step's last.
    private static func completion(of index: Int, links: [CommandChain.Link], actions: [PlannedAction], state: inout State) -> [RunEvent.Kind] {
        let link = links[index]
        var events: [RunEvent.Kind] = [.actionCompleted(step: link.step, index: link.action, action: actions[index].summary, undoable: false)]
        let next = index + 1 < links.count ? links[index + 1] : nil
        if next?.step != link.step {
            let now = Date()
            events.append(.stepFinished(step: link.step, ok: true, exitStatus: 0, duration: now.timeIntervalSince(state.stepStarted), message: nil))
            state.stepStarted = now
            if let next { events.append(.stepStarted(step: next.step, attempt: 1)) }
        }
        return events
    }

    /// The exec exited 0, so every link did: completes those whose marker did not come (a printer
    /// transport prints none), and the last one.
    func completeRest() {
        let last = chain.links.count - 1
        for index in state.withLock({ $0.outIndex })..<chain.links.count {
            feed(OutputLine(stream: .stdout, text: CommandChain.markerPrefix + "- \(index) 0"), trusted: true)
        }
        let events = state.withLock { state in
            state.statuses[last] = 0
            return Self.completion(of: last, links: chain.links, actions: actions, state: &state)
        }
        for event in events { context.emit(event) }
    }

    /// Each link's status (nil: no marker came), and what it printed.
    var results: (statuses: [Int32?], stdout: [String], stderr: [String], stepStarted: Date) {
        state.withLock { ($0.statuses, $0.stdout.map { $0.joined(separator: "\n") }, $0.stderr.map { $0.joined(separator: "\n") }, $0.stepStarted) }
    }

    private static func keep(_ line: String, in lines: inout [String]) {
        lines.append(line)
        if lines.count > keptLines { lines.removeFirst(lines.count - keptLines) }
    }
}

extension HostRunner {
    /// Runs a chain as one exec and reports each of its steps as if they had been sent one by one.
    /// The work between the awaits is in `ChainRun`'s synchronous methods: an async function's frame
    /// holds every value any of its paths keeps across an await, and this one's was 9 KB per host.
    func run(_ chain: CommandChain) async -> OperationFailure? {
        let run: ChainRun
        switch ChainRun.start(chain, on: self) {
        case .failure(let failure): return failure
        case .success(let started): run = started
        }
        // Every intent is durable before the one exec that may run all of them.
        if let journal = context.journal, !run.intents.isEmpty, let problem = await journal.write(run.intents) {
            return run.notStarted(problem)
        }
        let outcome = await run.send()
        let records = run.settle(outcome.result, outcome.error)
        if let journal = context.journal, !records.isEmpty { _ = await journal.write(records) }
        return run.finish()
    }
}

/// One chain's run on a host, kept out of the async frames of `HostRunner.run(_:)`.
private final class ChainRun {
    let chain: CommandChain
    let runner: HostRunner
    let actions: [PlannedAction]
    let ids: [ActionID]
    let firstStep: String
    let started: Date
    let demux: ChainDemux
    /// The intent records of the actions with an effect (written only with a journal).
    let intents: [WriteAheadRecord]
    /// What `finish` reports: the failed link's step, status and message, and when its step started.
    private var failure: (step: String, exitStatus: Int32?, message: String, stepStarted: Date)?

    private init(chain: CommandChain, runner: HostRunner, actions: [PlannedAction], firstStep: String) {
        self.chain = chain
        self.runner = runner
        self.actions = actions
        self.firstStep = firstStep
        let context = runner.context
        ids = chain.links.map { ActionID(host: context.host, step: $0.step, index: $0.action, attempt: 1) }
        intents = context.journal == nil ? [] : zip(ids, actions).filter { $0.1.effect }.map { $0.1.intent($0.0) }
        context.emit(.stepStarted(step: firstStep, attempt: 1))
        started = Date()
        demux = ChainDemux(chain: chain, actions: actions, context: context)
    }

    /// Resolves the chain's actions and reports its first step started; a failure when the plan
    /// names an action it does not have.
    @inline(never)
    static func start(_ chain: CommandChain, on runner: HostRunner) -> Result<ChainRun, OperationFailure> {
        let plan = runner.context.plan
        let steps = Dictionary(plan.steps.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let actions = chain.links.compactMap { link in steps[link.step].flatMap { $0.actions.indices.contains(link.action) ? $0.actions[link.action] : nil } }
        guard let first = chain.links.first, actions.count == chain.links.count else {
            return .failure(OperationFailure(message: "the plan's chain names an unknown action"))
        }
        return .success(ChainRun(chain: chain, runner: runner, actions: actions, firstStep: first.step))
    }

    /// The journal refused the intents: nothing was sent.
    @inline(never)
    func notStarted(_ problem: String) -> OperationFailure {
        let message = "not started: \(problem)"
        runner.context.emit(.stepFinished(step: firstStep, ok: false, exitStatus: nil, duration: Date().timeIntervalSince(started), message: message))
        return OperationFailure(message: "step \(firstStep): \(message)")
    }

    func send() async -> (result: ExecResult?, error: TransportError?) {
        if actions.contains(where: \.effect) { runner.touched.set() }
        do throws(TransportError) {
            return (try await runner.context.send(chain.command, output: demux.feed), nil)
        } catch {
            return (nil, error)
        }
    }

    /// Records what the exec did, link by link; returns the journal records to write.
    @inline(never)
    func settle(_ result: ExecResult?, _ transportError: TransportError?) -> [WriteAheadRecord] {
        let context = runner.context
        if result?.succeeded == true { demux.completeRest() }
        var (statuses, stdout, stderr, stepStarted) = demux.results
        var done = statuses.prefix { $0 == 0 }.count
        if done == chain.links.count, result?.succeeded != true {
            // Every marker said 0 but the exec did not end well (it was cut off after the last one):
            // never a success the host did not give: the last link fails with the exec's own status.
            done -= 1
            statuses[done] = nil
        }
        var records: [WriteAheadRecord] = []
        for index in 0..<done {
            if actions[index].effect {
                records.append(WriteAheadRecord(id: ids[index], phase: .completion, work: .action, summary: actions[index].summary, ok: true))
            }
            runner.ledger.record(CompletedAction(step: chain.links[index].step, action: actions[index], id: ids[index]))
        }
        guard done < chain.links.count else { return records }
        let link = chain.links[done]
        let message: String
        var exitStatus: Int32?
        if let status = statuses[done] {
            exitStatus = status
            let alone = ExecResult(exitStatus: status, signal: nil, stdout: stdout[done], stderr: stderr[done], timedOut: false, duration: 0)
            message = OperationRunner.describe(alone, command: link.command, redactor: context.redactor)
        } else if let result {
            exitStatus = result.exitStatus
            let alone = ExecResult(
                exitStatus: result.exitStatus, signal: result.signal, stdout: stdout[done], stderr: stderr[done], timedOut: result.timedOut, duration: 0)
            message = OperationRunner.describe(alone, command: link.command, redactor: context.redactor)
        } else {
            message = context.redactor.redact(transportError?.message ?? "the command ended without a status")
        }
        records += runner.recordFailure(of: actions[done], step: link.step, id: ids[done], message: message)
        // The links after it never ran: their intents are closed, nothing to undo.
        for index in (done + 1)..<chain.links.count where actions[index].effect {
            let summary = actions[index].summary
            records.append(
                WriteAheadRecord(id: ids[index], phase: .completion, work: .action, summary: summary, ok: false, message: "not run: a command before it failed")
            )
            records.append(
                WriteAheadRecord(id: ids[index], phase: .completion, work: .undo, summary: summary, ok: true, message: "nothing to undo: it never ran"))
        }
        failure = (link.step, exitStatus, message, stepStarted)
        return records
    }

    /// After the records are written: the failed link's step finishes, or the lock counts as
    /// released when the host's last command carried its release.
    @inline(never)
    func finish() -> OperationFailure? {
        guard let failure else {
            let plan = runner.context.plan
            if plan.releaseRides, chain.steps.last == plan.steps.last?.name {
                // The host's last command released the lock (only a Ctrl-C can still roll it back).
                runner.lockTaken = false
                runner.released = true
            }
            return nil
        }
        runner.context.emit(
            .stepFinished(
                step: failure.step, ok: false, exitStatus: failure.exitStatus, duration: Date().timeIntervalSince(failure.stepStarted),
                message: failure.message))
        return OperationFailure(message: "step \(failure.step): \(failure.message)", exitStatus: failure.exitStatus)
    }
}
