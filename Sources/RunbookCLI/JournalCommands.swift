import ArgumentParser
import Execution
import Foundation
import Inventory
import Journal
import Planning
import PostgresStore
import RunEvents
import StateStore

/// `runbook history [--limit N] [--host H]`: past runs from the journal, newest first.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List past runs from the journal.")

    @Option(help: "How many runs to list.")
    var limit: Int = 20

    @Option(help: "Only runs that worked on this host.")
    var host: String?

    @OptionGroup var journalOption: JournalOption

    func run() async throws {
        let store = try journalOption.store()
        let runs: [RunListing]
        do throws(StateStoreError) {
            runs = try await store.list(RunQuery(limit: max(1, limit), host: host))
        } catch {
            Output.error("error: \(error.description)")
            throw ExitStatus.usage
        }
        if runs.isEmpty {
            Output.print("no runs in the \(try journalOption.place())" + (host.map { " on \($0)" } ?? ""))
            return
        }
        let format = Date.ISO8601FormatStyle()
        for run in runs {
            let status = run.exitStatus.map { "exit \($0)" } ?? "no result (stopped or died)"
            let duration = run.duration.map { TextReporter.seconds($0) } ?? "?"
            Output.print(
                "\(run.runID)  \(run.runbook)  --hosts \(run.pattern)  \(run.hosts.count) host(s)  \(status)  \(duration)  \(format.format(run.started))")
        }
    }
}

/// `runbook show RUN`: one run from the journal: every host, its steps, output tail and undo.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run from the journal, or a saved plan.")

    @Argument(help: "The run id (a unique prefix is enough), or a plan file saved with `runbook plan -o`.", completion: JournalOption.runIDs)
    var runID: String

    @OptionGroup var journalOption: JournalOption

    func run() async throws {
        if FileManager.default.fileExists(atPath: runID) {
            do {
                if let saved = try SavedPlan.load(runID) {
                    Output.print(saved.text, terminator: "")
                    return
                }
            } catch {
                Output.error("error: \(error)")
                throw ExitStatus.usage
            }
        }
        let record = try await journalOption.load(runID)
        let header = record.header
        Output.print("run \(header.runID): \(header.runbook) (\(header.runbookPath)) on --hosts \(header.pattern)")
        Output.print("started \(Date.ISO8601FormatStyle().format(header.started)) by \(header.user) on \(header.controller); release \(header.release)")
        if !header.parameters.isEmpty {
            Output.print("set: " + header.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        for problem in record.problems { Output.print("journal: \(problem)") }
        let outstanding = record.outstanding
        for host in header.hosts.map(\.name) {
            let events = record.events.filter { $0.host == host }
            var finished: (result: HostResult, message: String?, left: [String])?
            for event in events {
                if case .hostFinished(let result, let message, let left, _) = event.kind { finished = (result, message, left) }
            }
            if events.isEmpty && outstanding[host] == nil { continue }
            printSafely("\n\(host): \(finished?.result.display ?? "no result") \(finished?.message.map { "— \($0)" } ?? "")")
            var output: [String: [String]] = [:]
            for event in events {
                switch event.kind {
                case .output(let step, _, let line): output[step, default: []].append(line)
                case .stepFinished(let step, let ok, _, let duration, let message):
                    printSafely("  \(ok ? "✓" : "✗") \(step) (\(TextReporter.seconds(duration)))" + (message.map { ": \($0)" } ?? ""))
                    if !ok { for line in (output[step] ?? []).suffix(5) { printSafely("      | \(line)") } }
                case .stepSkipped(let step, let reason): printSafely("  ↷ \(step): \(reason)")
                case .assertion(_, _, let holds, let expected, let found): printSafely("  \(holds ? "✓" : "✗") \(expected): \(found)")
                case .undo(let step, let action, let commands, let ok, let message):
                    printSafely(
                        "  ↶ " + (step == "rollback" ? "rollback block: \(action)" : "undo \(step): \(commands.firstLineForUndo)")
                            + (ok ? "" : " FAILED: \(message ?? "")"))
                default: continue
                }
            }
            for item in finished?.left ?? [] { Output.print("  left to do: \(item)") }
            let undoable = (outstanding[host] ?? []).filter { !$0.undo.isEmpty }
            if !undoable.isEmpty {
                let inFlight = undoable.filter { !$0.completed }.count
                let completed = undoable.count - inFlight
                let what = [
                    completed > 0 ? "\(completed) completed action(s) with an undo not undone" : nil,
                    inFlight > 0 ? "\(inFlight) action(s) started and never completed (possibly done)" : nil,
                ].compactMap { $0 }.joined(separator: ", ")
                Output.print("  \(what): `runbook rollback \(header.runID)` undoes them")
            }
        }
    }
}

/// `--journal PATH`, shared by the commands that read the journal.
struct JournalOption: ParsableArguments {
    @Option(help: "The run journal (default: ~/.local/state/runbook/journal).", completion: .directory)
    var journal: String?

    // Shared state (SharedState.swift).
    @Option(help: "The shared state store, a postgres:// URL (default: RUNBOOK_STATE).")
    var state: String?

    /// The store these options name: the shared one, or the journal folder.
    func store(failed: @escaping @Sendable (String) -> Void = { _ in }) throws -> any ControllerStore {
        try SharedState.store(state: state, journal: journal, failed: failed)
    }

    /// Where runs are read, for messages.
    func place() throws -> String {
        try SharedState.url(state: state, journal: journal).map { (try? StoreLocation(parsing: $0).description) ?? $0 } ?? "journal \(folder)"
    }

    /// The run, or a usage error (exit 2) that says why not.
    func load(_ id: String) async throws -> StoredRun {
        let store = try store()
        do throws(StateStoreError) {
            return try await store.load(id)
        } catch {
            Output.error("error: \(error.description) (\(try place()))")
            throw ExitStatus.usage
        }
    }

    var folder: String { Journal.folder(explicit: journal) }

    /// Completes a run id from the journal named on the command line so far, else the default one.
    static let runIDs = CompletionKind.custom { words, _, _ in
        let explicit = words.firstIndex(of: "--journal").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        return LocalJournal(folder: Journal.folder(explicit: explicit)).listNow(RunQuery(limit: 200)).map(\.runID)
    }
}
