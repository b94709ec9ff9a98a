import ArgumentParser
import Execution
import Foundation
import Planning
import PostgresStore
import RunEvents
import StateStore

/// `runbook worker --state URL`: runs hosts of the rollouts `apply --workers N` saves in the shared
/// store, with the plan's exact bytes (planned again here and compared by digest, as `apply PLAN`
/// does), claiming hosts of the current batch as the store allows; secrets come from this worker's
/// environment or `--set`, never from the store.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run hosts of rollouts started by `apply --workers N`, claimed from the shared state store.")

    @Option(help: "The shared state store, a postgres:// URL (default: RUNBOOK_STATE).")
    var state: String?

    @Flag(help: "Serve one rollout, then exit (without it: serve rollouts until SIGTERM).")
    var once = false

    @Option(name: [.customShort("f"), .customLong("forks")], help: "Hosts this worker runs at the same time.")
    var forks: Int = 10

    @Option(name: [.customShort("e"), .customLong("set")], help: "Give a secret parameter: --set name=value (repeatable; never stored).")
    var assignments: [String] = []

    @Option(name: .customLong("set-file"), help: "Give a secret parameter from a file: --set-file name=PATH.")
    var fileAssignments: [String] = []

    @Flag(help: "Trust and record host keys not yet in known_hosts.")
    var acceptNewHostKeys = false

    @Option(help: "This worker's name in the store (default: HOST (pid N)).")
    var name: String?

    func validate() throws {
        if forks < 1 { throw ValidationError("--forks takes a count of at least 1") }
    }

    func run() async throws {
        guard let url = try SharedState.url(state: state, journal: nil) else {
            Output.error("error: a worker takes its rollouts from the shared state store: give --state URL (or RUNBOOK_STATE)")
            throw ExitStatus.usage
        }
        let store = try SharedState.open(url)
        defer { store.close() }
        let me = name ?? "\(ProcessInfo.processInfo.hostName) (pid \(getpid()))"
        let terminated = Terminated()
        Output.print("worker \(me): waiting for rollouts in \(store.location)")
        // Rollouts refused or served already: a served one may stay open a moment until its coordinator ends it.
        var skipped: Set<String> = []
        while !terminated.value {
            let open: (id: String, plan: String)?
            do {
                open = try store.openRollout(skipping: skipped)
            } catch {
                Output.error("error: \(error)")
                throw ExitStatus.failed
            }
            guard let open else {
                try? await Task.sleep(for: .milliseconds(300))
                continue
            }
            let plan: (RunPlan, RunOptions)
            do {
                plan = try replan(open.plan)
            } catch let refusal as Refusal {
                Output.error("error: rollout \(open.id): \(refusal.message); this worker refuses it")
                try? store.register(worker: me, rollout: open.id, refused: refusal.message)
                if once { throw ExitStatus.usage }
                skipped.insert(open.id)
                continue
            }
            try await RolloutService(
                store: store, rollout: open.id, plan: plan.0, rollback: !plan.1.noRollback, worker: me, forks: forks,
                factory: TransportFactory(acceptNewHostKeys: acceptNewHostKeys, home: NSHomeDirectory()), terminated: terminated
            ).serve()
            // Served: the run is no longer alive here, so a `rollback RUN` on this machine is not refused.
            RunLiveness.release(plan.0.runID)
            skipped.insert(open.id)
            if once { break }
        }
    }

    /// Why a worker refuses a rollout's plan.
    struct Refusal: Error {
        var message: String
    }

    /// The saved plan planned again here, with this worker's secrets; refused when any digest differs
    /// (another runbook, inventory, connection or known host key here than where it was planned).
    func replan(_ text: String) throws -> (RunPlan, RunOptions) {
        let saved: SavedPlan
        do {
            saved = try SavedPlan.decode(text)
        } catch {
            throw Refusal(message: "its plan cannot be read (\(error))")
        }
        var arguments = saved.arguments
        for assignment in assignments { arguments += ["--set", assignment] }
        for assignment in fileAssignments { arguments += ["--set-file", assignment] }
        arguments += ["--run-id", saved.runId, "--release", saved.release]
        let options: RunOptions
        do {
            options = try RunOptions.parse(arguments)
        } catch {
            throw Refusal(message: "its recorded arguments do not parse here: \(RunOptions.message(for: error))")
        }
        let plan: RunPlan
        do {
            plan = try options.makePlan()
        } catch {
            throw Refusal(message: "it cannot be planned here (see above)")
        }
        let changes = saved.changes(comparedWith: plan, options: options)
        guard changes.isEmpty else { throw Refusal(message: "this worker would not send the planned bytes: " + changes.joined(separator: "; ")) }
        return (plan, options)
    }
}

/// Set by SIGTERM: a worker claims no more hosts, finishes the ones it runs and exits.
final class Terminated: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private var source: DispatchSourceSignal?

    init() {
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { [weak self] in self?.raise() }
        source.resume()
        self.source = source
    }

    private func raise() { lock.withLock { set = true } }

    var value: Bool { lock.withLock { set } }
}

extension SavedPlan {
    /// The plan as the store keeps it (the same JSON as a plan file).
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> SavedPlan {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let plan = try decoder.decode(SavedPlan.self, from: Data(text.utf8))
        guard plan.schemaVersion == 1, plan.kind == SavedPlan.kind else { throw SavedPlanError("a plan of schema version \(plan.schemaVersion)") }
        return plan
    }
}
