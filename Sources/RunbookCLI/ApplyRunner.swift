import ArgumentParser
import Execution
import Foundation
import Inventory
import Journal
import Planning
import PostgresStore
import RunEvents
import StateStore
import Transport
import Wire

/// Runs a plan on its hosts and reports it as the chosen format; exits with the spec's status.
struct ApplyRunner {
    var options: RunOptions
    var plan: RunPlan

    func run() async throws {
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let factory = TransportFactory(acceptNewHostKeys: options.acceptNewHostKeys, home: home)
        SSHNotices.debug = options.verbose >= 3
        // Passphrases are asked here, once per key file, before the live display starts.
        factory.preparePassphrases(for: plan.hosts.map(\.connection))
        let bus = EventBus()
        let stop = StopSignal()
        let environment = ProcessInfo.processInfo.environment
        let live = options.format == .text && Output.isTerminal && environment["TERM"] != "dumb"
        let palette = Palette.resolve(options.color, json: options.format == .json, terminal: Output.isTerminal, environment: environment)
        // A channel that fails is recorded in the journal (a note), from the writer's thread.
        let json = options.format == .json
        let writer = OutputWriter(live: live, wrap: { json ? JSONReporter.wrap($0) : $0 }, onBroken: { message in bus.emit(RunEvent(.note(message))) })
        var journal: (any ControllerStore)?
        // Shared state: the store is chosen by --state/--journal; leases are taken before any host is contacted.
        var leases: LeaseKeeper?
        if options.noJournal, try SharedState.url(state: options.state, journal: options.journal) != nil {
            Output.error("error: --no-journal runs without a record; it cannot be used with --state")
            throw ExitStatus.usage
        }
        if !options.noJournal {
            let store = try SharedState.store(state: options.state, journal: options.journal) { problem in
                // Possibly called under the bus's lock: queue the message, never emit from here.
                stop.halt(because: "the journal failed: \(problem)")
                writer.line("error: \(problem): starting no new change; hosts in flight roll back", .result, to: .stderr)
            }
            if let shared = store as? PostgresStore {
                leases = try SharedState.lease(plan.hosts, store: shared, runID: plan.runID) { problem in
                    stop.halt(because: problem)
                    writer.line("error: \(problem): starting no new change; hosts in flight roll back", .result, to: .stderr)
                }
            }
            do throws(StateStoreError) {
                try await store.create(runHeader())
            } catch {
                SharedState.finish(leases, store: store as? PostgresStore, status: 0)
                Output.error("error: \(error.description); nothing ran (`--no-journal` runs without one, and `runbook rollback` cannot undo such a run)")
                throw ExitStatus.usage
            }
            let runID = plan.runID
            bus.subscribe { event in store.record(event, to: runID) }
            journal = store
        }
        writer.start()
        LogSink.shared.attach(writer, palette: palette)
        defer { LogSink.shared.detach() }
        if journal != nil { CLILog.notes.info("journal: \(Journal.folder(explicit: options.journal))/\(plan.runID).jsonl") }
        for host in plan.hosts {
            let connection = host.connection
            let via = connection.proxyJump.map { " via \($0)" } ?? ""
            let how = connection.isLocal ? "local, no SSH" : "ssh \(connection.user)@\(connection.address):\(connection.port)\(via)"
            CLILog.notes.info("\(how)", metadata: ["host": "\(host.host)"])
        }
        var reporter: TextReporter?
        switch options.format {
        case .json: JSONReporter.attach(to: bus, writer: writer)
        case .text:
            let rollsBack = !options.noRollback && plan.rollout.rollback != "none"
            let graph = Dictionary(
                plan.hosts.map { host in
                    (host.host, Set(host.steps.map(\.name) + host.verifications.map { LiveView.key($0.name, check: true) }))
                }, uniquingKeysWith: { first, _ in first })
            let text = TextReporter(live: live, writer: writer, palette: palette, verbose: options.verbose, rollsBack: rollsBack, graph: graph)
            text.attach(to: bus)
            reporter = text
        }
        for fd in ProcessSetup.closedAtStart.sorted() where fd != STDIN_FILENO {
            bus.emit(RunEvent(.note("\(fd == STDOUT_FILENO ? "standard output" : "standard error") was closed when runbook started")))
        }
        let executor = RunExecutor(
            plan: plan, factory: factory,
            options: ExecutionOptions(rollback: !options.noRollback, forks: options.forks), bus: bus, stop: stop, store: journal)
        let interrupts = Interrupts(stop: stop, executor: executor, writer: writer, journal: journal, runID: plan.runID)
        interrupts.install()
        let summary = await executor.run()
        if let reporter {
            reporter.finish()
            let steps = Dictionary(plan.hosts.map { ($0.host, $0.steps.count) }, uniquingKeysWith: { first, _ in first })
            writer.line("\n" + TextReporter.summary(summary.terminalSafe, stepCounts: steps, palette: palette))
        }
        var status = summary.exitStatus
        if let failure = journal?.failure {
            writer.line("error: \(failure); this run's record ends there", .result, to: .stderr)
            if status == 0 { status = 1 }
        }
        // The run is over: a Ctrl-C while the last lines are written ends the process with its status.
        let final = status
        MainThread.onInterrupt { _exit(final) }
        await writer.finish()
        if let journal {
            try? await journal.finish(plan.runID, exitStatus: status, duration: summary.duration)
            _ = try? await journal.prune(RetentionPolicy(keep: options.journalKeepCount))
        }
        SharedState.finish(leases, store: journal as? PostgresStore, status: status)
        if writer.lost > 0 { Output.error("runbook: \(writer.lost) result line(s) could not be written on any channel") }
        if status != 0 { throw ExitCode(status) }
    }

    /// The pattern as typed; with `--limit`, the hosts it left, so a rollback undoes exactly those.
    var journalHosts: String {
        if options.limit != nil { return plan.hosts.map(\.host).joined(separator: ",") }
        return options.hosts ?? HostPattern.localName
    }

    /// The inventory sources, absolute, one per line (host lists as given); nil without an inventory.
    var inventoryPaths: String? {
        if plan.inventorySource.hasPrefix("(") { return nil }
        let paths = InventoryFiles.locate(options.inventory, runbookPath: options.file).paths
        if paths.isEmpty { return nil }
        return paths.map { FileManager.default.fileExists(atPath: $0) ? URL(fileURLWithPath: $0).standardizedFileURL.path : $0 }
            .joined(separator: "\n")
    }

    /// What the journal needs to show this run and undo it later: each host's resolved values (its
    /// address, port, user, and a digest of its planned steps, which holds every variable the
    /// runbook reads); secret `--set` values are masked.
    func runHeader() -> RunHeader {
        let path = URL(fileURLWithPath: options.file).standardizedFileURL.path
        let bytes = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
        var set = options.overrides
        set.merge((try? SecretInputs.readFiles(options.fileAssignments)) ?? [:]) { given, _ in given }
        let environment = SecretInputs.fromEnvironment(plan.runbook, environment: ProcessInfo.processInfo.environment)
        for param in plan.runbook.params where param.secret && (set[param.name] != nil || environment[param.name] != nil) {
            set[param.name] = secretMask
        }
        let sources = inventoryPaths.map { $0.split(separator: "\n").map(String.init) } ?? []
        var inventoryBytes: [UInt8] = []
        for source in sources { inventoryBytes += Array(source.utf8) + ((try? [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))) ?? []) }
        return RunHeader(
            runID: plan.runID, runbook: plan.runbook.name, runbookPath: path, runbookDigest: Journal.digest(bytes), pattern: journalHosts,
            inventorySources: sources, inventoryDigest: Journal.digest(inventoryBytes),
            sshConfig: options.sshConfig.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, hosts: plan.hosts.map(RunRecords.record),
            parameters: set, release: plan.release, controller: ProcessInfo.processInfo.hostName, user: Journal.userName)
    }
}

/// Ctrl-C: once, start nothing new and roll back the hosts in flight; twice, stop at once (exit 3).
/// It is called on the main thread (see `MainThread`), and the second Ctrl-C ends the process with
/// `_exit`: no atexit handlers or destructors run under the feet of the SSH threads.
final class Interrupts: Sendable {
    let stop: StopSignal
    let executor: RunExecutor
    let writer: OutputWriter
    let journal: (any ControllerStore)?
    let runID: String

    init(stop: StopSignal, executor: RunExecutor, writer: OutputWriter, journal: (any ControllerStore)?, runID: String) {
        self.runID = runID
        self.stop = stop
        self.executor = executor
        self.writer = writer
        self.journal = journal
    }

    func install() {
        MainThread.onInterrupt { [self] in interrupt() }
    }

    private func interrupt() {
        if stop.raise() == 1 {
            writer.line(
                "\ninterrupted: starting nothing new; hosts in flight finish their step and roll back (Ctrl-C again to stop at once)", .result,
                to: .stderr)
            return
        }
        let hosts = executor.inFlight.names
        let unknown = hosts.isEmpty ? "no host" : hosts.joined(separator: ", ")
        journal?.record(RunEvent(.note("stopped at once (second Ctrl-C); state unknown on: \(unknown)")), to: runID)
        journal?.flush(runID)
        writer.line(
            "\nstopped at once. State unknown on: \(unknown)"
                + (hosts.isEmpty ? "" : "; their locks stay: check them, then `runbook unlock --hosts \(hosts.joined(separator: ","))`"), .result,
            to: .stderr)
        // A reader that stopped must not keep the process alive: a second at most for the message.
        writer.flush(within: 1)
        _exit(3)
    }
}
