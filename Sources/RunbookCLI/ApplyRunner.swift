import ArgumentParser
import Execution
import Foundation
import Inventory
import Journal
import Planning

/// Runs a plan on its hosts and reports it as the chosen format; exits with the spec's status.
struct ApplyRunner {
    var options: RunOptions
    var plan: RunPlan

    func run() async throws {
        let bus = EventBus()
        var reporter: TextReporter?
        switch options.format {
        case .json: JSONReporter.attach(to: bus)
        case .text:
            let text = TextReporter(live: Output.isTerminal && ProcessInfo.processInfo.environment["TERM"] != "dumb")
            text.attach(to: bus)
            reporter = text
        }
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let stop = StopSignal()
        let executor = RunExecutor(
            plan: plan, factory: TransportFactory(acceptNewHostKeys: options.acceptNewHostKeys, home: home),
            options: ExecutionOptions(rollback: !options.noRollback, forks: options.forks), bus: bus, stop: stop)
        if let problem = Journal.record(journalHeader(), in: Journal.folder(explicit: options.journal), bus: bus) {
            Output.error("warning: \(problem); the run goes on without a journal")
        }
        let interrupts = Interrupts(stop: stop, executor: executor)
        interrupts.install()
        let summary = await executor.run()
        if let reporter {
            reporter.finish()
            let steps = Dictionary(plan.hosts.map { ($0.host, $0.steps.count) }, uniquingKeysWith: { first, _ in first })
            Output.print("\n" + TextReporter.summary(summary, stepCounts: steps))
        }
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
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

    /// What the journal needs to show this run and undo it later; secret `--set` values are masked.
    func journalHeader() -> JournalHeader {
        let path = URL(fileURLWithPath: options.file).standardizedFileURL.path
        let bytes = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
        var set = options.overrides
        for param in plan.runbook.params where param.secret && set[param.name] != nil { set[param.name] = "••••" }
        return JournalHeader(
            runID: plan.runID, runbook: plan.runbook.name, runbookPath: path, runbookDigest: JournalHeader.digest(bytes),
            hosts: journalHosts,
            inventory: inventoryPaths,
            sshConfig: options.sshConfig.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, set: set, release: plan.release)
    }
}

/// Ctrl-C: once, start nothing new and roll back the hosts in flight; twice, stop at once (exit 3).
final class Interrupts: @unchecked Sendable {
    let stop: StopSignal
    let executor: RunExecutor
    private var source: DispatchSourceSignal?

    init(stop: StopSignal, executor: RunExecutor) {
        self.stop = stop
        self.executor = executor
    }

    func install() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [stop, executor] in
            if stop.raise() == 1 {
                Output.error("\ninterrupted: starting nothing new; hosts in flight finish their step and roll back (Ctrl-C again to stop at once)")
            } else {
                let hosts = executor.inFlight.names
                Output.error(
                    "\nstopped at once. State unknown on: \(hosts.isEmpty ? "no host" : hosts.joined(separator: ", "))"
                        + (hosts.isEmpty ? "" : "; their locks stay: check them, then `runbook unlock --hosts \(hosts.joined(separator: ","))`"))
                Foundation.exit(3)
            }
        }
        source.resume()
        self.source = source
    }
}
