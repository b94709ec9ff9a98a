import ArgumentParser
import Execution
import Foundation
import Inventory
import Journal
import Planning
import RunEvents

/// `runbook history [--limit N]`: past runs from the journal, newest first.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List past runs from the journal.")

    @Option(help: "How many runs to list.")
    var limit: Int = 20

    @OptionGroup var journalOption: JournalOption

    func run() throws {
        let folder = journalOption.folder
        let runs = Journal.runs(in: folder, limit: max(1, limit))
        if runs.isEmpty {
            Output.print("no runs in the journal \(folder)")
            return
        }
        for run in runs {
            let finished = run.finished
            let status = finished.map { "exit \($0.exitStatus)" } ?? "no result (stopped or died)"
            let duration = finished.map { TextReporter.seconds($0.duration) } ?? "?"
            Output.print(
                "\(run.header.runID)  \(run.header.runbook)  --hosts \(run.header.hosts)  \(run.hosts.count) host(s)  \(status)  \(duration)  \(run.header.started)"
            )
        }
    }
}

/// `runbook show RUN`: one run from the journal: every host, its steps, output tail and undo.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run from the journal.")

    @Argument(help: "The run id (a unique prefix is enough).", completion: JournalOption.runIDs)
    var runID: String

    @OptionGroup var journalOption: JournalOption

    func run() throws {
        let record: JournalRun
        do {
            record = try Journal.read(runID, in: journalOption.folder)
        } catch {
            Output.error("error: \(error.description)")
            throw ExitStatus.usage
        }
        let header = record.header
        Output.print("run \(header.runID): \(header.runbook) (\(header.runbookPath)) on --hosts \(header.hosts)")
        Output.print("started \(header.started) by \(header.user) on \(header.controller); release \(header.release)")
        if !header.set.isEmpty { Output.print("set: " + header.set.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
        for problem in record.problems { Output.print("journal: \(problem)") }
        let left = record.leftDone
        for host in record.hosts {
            let events = record.events(of: host)
            var finished: (result: HostResult, message: String?, left: [String])?
            for event in events {
                if case .hostFinished(let result, let message, let left, _) = event.kind { finished = (result, message, left) }
            }
            Output.print("\n\(host): \(finished?.result.display ?? "no result") \(finished?.message.map { "— \($0)" } ?? "")")
            var output: [String: [String]] = [:]
            for event in events {
                switch event.kind {
                case .output(let step, _, let line): output[step, default: []].append(line)
                case .stepFinished(let step, let ok, _, let duration, let message):
                    Output.print("  \(ok ? "✓" : "✗") \(step) (\(TextReporter.seconds(duration)))" + (message.map { ": \($0)" } ?? ""))
                    if !ok { for line in (output[step] ?? []).suffix(5) { Output.print("      | \(line)") } }
                case .stepSkipped(let step, let reason): Output.print("  ↷ \(step): \(reason)")
                case .assertion(_, _, let holds, let expected, let found): Output.print("  \(holds ? "✓" : "✗") \(expected): \(found)")
                case .undo(let step, let action, let commands, let ok, let message):
                    Output.print(
                        "  ↶ " + (step == "rollback" ? "rollback block: \(action)" : "undo \(step): \(commands.firstLineForUndo)")
                            + (ok ? "" : " FAILED: \(message ?? "")"))
                default: continue
                }
            }
            for item in finished?.left ?? [] { Output.print("  left to do: \(item)") }
            if let remaining = left[host], !remaining.isEmpty {
                // Only actions with an undo can be taken back; older journals do not say, so they count.
                let undoable = remaining.filter { item in
                    !events.contains { event in
                        if case .actionCompleted(item.step, item.index, _, false) = event.kind { return true }
                        return false
                    }
                }
                if !undoable.isEmpty {
                    Output.print("  \(undoable.count) completed action(s) with an undo not undone: `runbook rollback \(header.runID)` undoes them")
                }
            }
        }
    }
}

/// `runbook rollback RUN`: undo what a run (an interrupted one too) left done.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Undo what a run left done, newest first, from its journal.")

    @Argument(help: "The run id (a unique prefix is enough).", completion: JournalOption.runIDs)
    var runID: String

    @Option(name: .customLong("set"), help: "Give a secret parameter again: --set name=value (the journal never holds secrets).")
    var assignments: [String] = []

    @OptionGroup var journalOption: JournalOption

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Colour text output: auto (a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorChoice = .auto

    @Flag(help: "Trust and record host keys not yet in known_hosts.")
    var acceptNewHostKeys = false

    func run() async throws {
        let folder = journalOption.folder
        let record: JournalRun
        do {
            record = try Journal.read(runID, in: folder)
        } catch {
            Output.error("error: \(error.description)")
            throw ExitStatus.usage
        }
        let header = record.header
        let bytes = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: header.runbookPath)))) ?? []
        guard JournalHeader.digest(bytes) == header.runbookDigest else {
            Output.error("error: \(header.runbookPath) changed since run \(header.runID) (or is gone): its undo commands would not be the ones of that run")
            throw ExitStatus.usage
        }
        var overrides = header.set
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else { throw ValidationError("--set takes name=value, not `\(assignment)`") }
            overrides[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        let left = record.leftDone
        if left.values.allSatisfy(\.isEmpty) {
            Output.print("run \(header.runID) left nothing done: every completed action was undone")
            return
        }
        if let masked = overrides.first(where: { $0.value == "••••" }) {
            Output.error("error: run \(header.runID) set the secret parameter `\(masked.key)`; give it again with --set \(masked.key)=...")
            throw ExitStatus.usage
        }
        let runbook = try RunbookFiles.loadOrExit(header.runbookPath)
        let pattern = HostPattern(header.hosts)
        let inventory = try InventoryFiles.load(explicit: header.inventory, runbookPath: header.runbookPath, pattern: pattern)
        let ssh = try InventoryFiles.sshConfig(header.sshConfig)
        let plan: RunPlan
        do {
            plan = try Planner(
                runbook: runbook, inventory: inventory, sshConfig: ssh, overrides: overrides, rollout: RolloutOverrides(), runID: header.runID,
                release: header.release
            ).plan(hosts: pattern)
        } catch {
            Output.error(error.description)
            throw ExitStatus.usage
        }
        let bus = EventBus()
        let json = format == .json
        let writer = OutputWriter(live: false, wrap: { json ? JSONReporter.wrap($0) : $0 }, onBroken: { bus.emit(RunEvent(.note($0))) })
        writer.start()
        // The undos go on when the journal fails: stopping half way would leave more to undo by hand.
        let journal: JournalWriter?
        do throws(Journal.WriteError) {
            journal = try Journal.append(to: header.runID, in: folder, bus: bus) { problem in
                writer.line("warning: \(problem); the undos go on, but a later `runbook rollback \(header.runID)` will not know of them", .result, to: .stderr)
            }
        } catch {
            journal = nil
            Output.error("warning: \(error.description)")
        }
        var reporter: TextReporter?
        let palette = Palette.resolve(color, json: json, terminal: Output.isTerminal, environment: ProcessInfo.processInfo.environment)
        switch format {
        case .json: JSONReporter.attach(to: bus, writer: writer)
        case .text:
            let text = TextReporter(live: false, writer: writer, palette: palette)
            text.attach(to: bus)
            reporter = text
        }
        let executor = RunExecutor(
            plan: plan, factory: TransportFactory(acceptNewHostKeys: acceptNewHostKeys, home: NSHomeDirectory()), options: ExecutionOptions(),
            bus: bus)
        let summary = await executor.rollBackRecorded(left)
        if let reporter {
            reporter.finish()
            writer.line("\n" + TextReporter.summary(summary, stepCounts: [:], palette: palette))
        }
        await writer.finish()
        journal?.close()
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
    }
}

/// `--journal PATH`, shared by the commands that read the journal.
struct JournalOption: ParsableArguments {
    @Option(help: "The run journal (default: ~/.local/state/runbook/journal).", completion: .directory)
    var journal: String?

    var folder: String { Journal.folder(explicit: journal) }

    /// Completes a run id from the journal named on the command line so far, else the default one.
    static let runIDs = CompletionKind.custom { words, _, _ in
        let explicit = words.firstIndex(of: "--journal").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        return Journal.runs(in: Journal.folder(explicit: explicit), limit: 200).map(\.header.runID)
    }
}
