import ArgumentParser
import Execution
import Foundation
import Inventory
import Journal
import Planning
import PostgresStore
import RunEvents
import StateStore
import Wire

/// `runbook rollback RUN`: undo what a run (an interrupted or dead one too) left possibly done.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Undo what a run left done, newest first, from its journal.")

    @Argument(help: "The run id (a unique prefix is enough).", completion: JournalOption.runIDs)
    var runID: String

    @Option(name: .customLong("set"), help: "Give a secret parameter again: --set name=value (the journal never holds secrets).")
    var assignments: [String] = []

    @Option(help: "Only these hosts of the run (names or globs, comma-separated).")
    var hosts: String?

    @Flag(help: "Print the undo commands, byte for byte as they would be sent, and change nothing.")
    var dryRun = false

    @OptionGroup var journalOption: JournalOption

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Colour text output: auto (a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorChoice = .auto

    @Flag(help: "Trust and record host keys not yet in known_hosts.")
    var acceptNewHostKeys = false

    func run() async throws {
        let record = try await journalOption.load(runID)
        let header = record.header
        for problem in record.problems { Output.error("journal: \(problem)") }
        if RunLiveness.isAlive(header.runID) {
            Output.error("error: run \(header.runID) is still running on this machine: Ctrl-C it (it rolls back), or wait for it to end")
            throw ExitStatus.usage
        }
        let wanted = hosts.map { $0.split(separator: ",").map(String.init) }
        var outstanding = record.outstanding.filter { host, _ in wanted.map { $0.contains { Glob.matches($0, host) } } ?? true }
        // Actions without an undo (a `run` with none) have nothing to take back.
        outstanding = outstanding.mapValues { $0.filter { !$0.undo.isEmpty } }.filter { !$0.value.isEmpty }
        // Hosts the run never finished may still hold its lock: they are visited too, to release it.
        for host in unfinishedHosts(record) where outstanding[host] == nil && (wanted.map { $0.contains { Glob.matches($0, host) } } ?? true) {
            outstanding[host] = []
        }
        if outstanding.isEmpty {
            Output.print("run \(header.runID) left nothing done\(wanted == nil ? "" : " on those hosts"): every action it started was undone")
            // Shared state: hosts a dead run left leased are free again.
            try SharedState.clearLeft(header, hosts: wanted, options: journalOption)
            return
        }
        var plan = try replan(header)
        try check(plan, against: header, outstanding: outstanding)
        let passed = passedHosts(record)
        for index in plan.hosts.indices where passed.contains(plan.hosts[index].host) {
            plan.hosts[index].afterRollback = plan.hosts[index].keptBackups?.forget
        }
        try await RollbackGuards.refuseLaterChanges(record, outstanding: outstanding, store: journalOption.store(), place: journalOption.place())
        if dryRun {
            printUndos(plan, outstanding: outstanding, passed: passedHosts(record))
            return
        }
        var factory = TransportFactory(acceptNewHostKeys: acceptNewHostKeys, home: NSHomeDirectory())
        factory.expectedHostKeys = RollbackGuards.recordedHostKeys(record)
        factory.preparePassphrases(for: plan.hosts.filter { outstanding[$0.host] != nil }.map(\.connection))
        try await RollbackGuards.preflight(
            plan, runID: header.runID, outstanding: outstanding, passed: passedHosts(record), factory: factory, store: journalOption.store())
        try await execute(plan, header: header, outstanding: outstanding, factory: factory)
    }

    /// Hosts of a run without a result: a dead controller may have left its lock there.
    func unfinishedHosts(_ record: StoredRun) -> [String] {
        guard record.exitStatus == nil else { return [] }
        var finished: Set<String> = []
        for event in record.events {
            guard let host = event.host else { continue }
            switch event.kind {
            case .hostFinished: finished.insert(host)
            case .note(let text) where text == RunExecutor.releasedNote: finished.insert(host)
            default: continue
            }
        }
        return record.header.hosts.map(\.name).filter { !finished.contains($0) }
    }

    func passedHosts(_ record: StoredRun) -> Set<String> {
        var result: Set<String> = []
        for event in record.events {
            guard let host = event.host, case .hostFinished(let outcome, _, _, _) = event.kind else { continue }
            if outcome == .ok { result.insert(host) } else { result.remove(host) }
        }
        return result
    }

    /// The run planned again from its recorded runbook, inventory sources, values, run id and release.
    func replan(_ header: RunHeader) throws -> RunPlan {
        let bytes = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: header.runbookPath)))) ?? []
        guard Journal.digest(bytes) == header.runbookDigest else {
            Output.error("error: \(header.runbookPath) changed since run \(header.runID) (or is gone): its undo commands would not be the ones of that run")
            throw ExitStatus.usage
        }
        var overrides = header.parameters
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else { throw ValidationError("--set takes name=value, not `\(assignment)`") }
            overrides[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        let runbook = try RunbookFiles.loadOrExit(header.runbookPath)
        // The journal never holds secrets: take them from the environment or the terminal as `apply` does.
        let masked = overrides.filter { $0.value == secretMask }.keys.sorted()
        overrides = overrides.filter { $0.value != secretMask }
        if !masked.isEmpty {
            let environment = ProcessInfo.processInfo.environment
            let given = (try? SecretInputs.overrides(runbook: runbook, set: overrides, files: [:], environment: environment) { [] }) ?? [:]
            if let missing = masked.first(where: { given[$0] == nil }) {
                Output.error(
                    "error: run \(header.runID) set the secret parameter `\(missing)`; give it again with RUNBOOK_SECRET_\(missing)=... or --set \(missing)=..."
                )
                throw ExitStatus.usage
            }
            overrides = given
        }
        let pattern = HostPattern(header.pattern)
        let inventory = try InventoryFiles.load(explicit: header.inventorySources, runbookPath: header.runbookPath, pattern: pattern)
        let ssh = try InventoryFiles.sshConfig(header.sshConfig)
        do {
            return try Planner(
                runbook: runbook, inventory: inventory, sshConfig: ssh, overrides: overrides, rollout: RolloutOverrides(), runID: header.runID,
                release: header.release
            ).plan(hosts: pattern)
        } catch {
            Output.error(error.description)
            throw ExitStatus.usage
        }
    }

    /// Refuses, changing nothing, when a host's values today differ from the recorded ones, or an
    /// undo would send other bytes than the ones recorded when its action was announced.
    func check(_ plan: RunPlan, against header: RunHeader, outstanding: [String: [Outstanding]]) throws {
        var problems: [String] = []
        for (host, items) in outstanding.sorted(by: { $0.key < $1.key }) {
            guard let today = plan.hosts.first(where: { $0.host == host }) else {
                problems.append("\(host): not in the inventory \(header.inventorySources.joined(separator: ", ")) any more")
                continue
            }
            if let recorded = header.hosts.first(where: { $0.name == host }) {
                let differences = RunRecords.differences(recorded, RunRecords.record(today))
                if !differences.isEmpty { problems.append("\(host): its values changed since the run: " + differences.joined(separator: ", ")) }
            }
            for item in items {
                let planned = today.steps.first { $0.name == item.id.step }.flatMap {
                    $0.actions.indices.contains(item.id.index) ? $0.actions[item.id.index] : nil
                }
                if planned?.undoCommands != item.undo {
                    problems.append("\(host): the undo of \(item.summary) (step \(item.id.step)) would not be the one recorded")
                }
            }
        }
        guard problems.isEmpty else {
            Output.error("error: rollback of run \(header.runID) refused, nothing was changed:\n  " + problems.joined(separator: "\n  "))
            throw ExitStatus.usage
        }
    }

    /// What a real rollback sends, in its order: the probe of a passed host's kept backups (before
    /// any host is changed), the lock, the undos, then the lock's release.
    func printUndos(_ plan: RunPlan, outstanding: [String: [Outstanding]], passed: Set<String>) {
        for host in plan.hosts where outstanding[host.host] != nil {
            Output.print("\(host.host):")
            if passed.contains(host.host), let kept = host.keptBackups {
                Output.print("  probe: are the run's backups still kept (checked on every host before the first undo):")
                printBytes(kept.probe)
            }
            if let start = host.start {
                Output.print("  lock:")
                printBytes(start)
            }
            for item in (outstanding[host.host] ?? []).reversed() where !item.undo.isEmpty {
                Output.print("  undo \(item.id.step) #\(item.id.index) (\(item.summary))\(item.completed ? "" : ", started and never completed"):")
                for command in item.undo { printBytes(command) }
            }
            if !host.rollback.isEmpty { Output.print("  then the rollback block: " + host.rollback.map(\.summary).joined(separator: "; ")) }
            if let forget = host.afterRollback {
                Output.print("  once every undo succeeded, forget the run's kept backups:")
                printBytes(forget)
            }
            if let release = host.release {
                Output.print("  release the lock:")
                printBytes(release)
            }
        }
    }

    func printBytes(_ command: HostCommand) {
        let bytes = command.shown
        Output.print("    exec request: \(bytes.request)")
        for line in bytes.stdin.split(separator: "\n", omittingEmptySubsequences: false) { Output.print("    | \(line)") }
    }

    func execute(_ plan: RunPlan, header: RunHeader, outstanding: [String: [Outstanding]], factory: TransportFactory) async throws {
        let bus = EventBus()
        let json = format == .json
        let palette = Palette.resolve(color, json: json, terminal: Output.isTerminal, environment: ProcessInfo.processInfo.environment)
        let writer = OutputWriter(live: false, wrap: { json ? JSONReporter.wrap($0) : $0 }, onBroken: { bus.emit(RunEvent(.note($0))) })
        writer.start()
        // The undos go on when the journal fails: stopping half way would leave more to undo by hand.
        let journal = try journalOption.store { problem in
            writer.line("warning: \(problem); the undos go on, but a later `runbook rollback \(header.runID)` will not know of them", .result, to: .stderr)
        }
        // Shared state: the run's own leases, taken over from its dead controller (a live one refuses).
        let shared = journal as? PostgresStore
        let leases = try shared.map { store in
            try SharedState.lease(plan.hosts.filter { outstanding[$0.host] != nil }, store: store, runID: header.runID, takeOver: true) { problem in
                writer.line("warning: \(problem); the undos go on", .result, to: .stderr)
            }
        }
        do throws(StateStoreError) {
            try journal.reopen(header.runID)
            bus.subscribe { event in
                // The rollback's own run and host results stay out: the journal keeps the original run's.
                switch event.kind {
                case .undo, .actionSkipped, .note: journal.record(event, to: header.runID)
                default: break
                }
            }
        } catch {
            Output.error("warning: \(error.description)")
        }
        var reporter: TextReporter?
        switch format {
        case .json: JSONReporter.attach(to: bus, writer: writer)
        case .text:
            let text = TextReporter(live: false, writer: writer, palette: palette)
            text.attach(to: bus)
            reporter = text
        }
        let executor = RunExecutor(plan: plan, factory: factory, options: ExecutionOptions(), bus: bus, store: journal)
        let summary = await executor.rollBackRecorded(outstanding)
        if let reporter {
            reporter.finish()
            writer.line("\n" + TextReporter.summary(summary.terminalSafe, stepCounts: [:], palette: palette))
        }
        await writer.finish()
        journal.close(header.runID)
        SharedState.finish(leases, store: shared, status: summary.exitStatus)
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
    }
}
