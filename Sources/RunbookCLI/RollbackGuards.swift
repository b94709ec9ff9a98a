import Execution
import Foundation
import Planning
import RunEvents
import StateStore
import Transport

/// What `rollback RUN` checks before it sends the first undo, so it refuses whole, changing nothing
/// on any host: no later run changed the same paths, every host presents the key it presented to
/// the run, and a passed host still has its kept backups.
enum RollbackGuards {
    /// How many later runs of a host are read back for the paths they changed.
    static let laterRunsRead = 1000

    /// Per host, the fingerprint of the key the host presented to the run (its `host_key` event).
    static func recordedHostKeys(_ record: StoredRun) -> [String: String] {
        var keys: [String: String] = [:]
        for event in record.events {
            guard let host = event.host, case .hostKey(let fingerprint) = event.kind else { continue }
            keys[host] = fingerprint
        }
        return keys
    }

    /// Refuses when a later run in the same store changed a path the undos would put back and has
    /// not been rolled back itself: putting the older bytes back would undo that run's change too.
    static func refuseLaterChanges(_ record: StoredRun, outstanding: [String: [Outstanding]], store: any StateStore, place: String) async throws {
        let header = record.header
        var problems: [String] = []
        for (host, items) in outstanding.sorted(by: { $0.key < $1.key }) {
            let paths = Set(items.flatMap(\.paths))
            guard !paths.isEmpty else { continue }
            let address = header.hosts.first { $0.name == host }
            let listings: [RunListing]
            do throws(StateStoreError) {
                listings = try await store.list(RunQuery(limit: laterRunsRead, host: host))
            } catch {
                Output.error("error: cannot read the later runs of \(host) (\(error.description), \(place)); nothing was changed")
                throw ExitStatus.usage
            }
            // Newest first: the runs listed before this one started after it (start times may tie).
            let later = listings.firstIndex { $0.runID == header.runID }.map { Array(listings[..<$0]) } ?? listings.filter { $0.started > header.started }
            for listing in later {
                guard let later = try? await store.load(listing.runID) else { continue }
                let recorded = later.header.hosts.first { $0.name == host }
                if let address, let recorded, recorded.address != address.address || recorded.port != address.port { continue }
                for item in later.outstanding[host] ?? [] {
                    let shared = paths.intersection(item.paths).sorted()
                    guard !shared.isEmpty else { continue }
                    problems.append(
                        "\(host): run \(listing.runID), started later, changed \(shared.joined(separator: ", ")) (\(item.summary)) and was not rolled back: roll it back first (`runbook rollback \(listing.runID)`)"
                    )
                }
            }
        }
        guard problems.isEmpty else {
            Output.error("error: rollback of run \(header.runID) refused, nothing was changed:\n  " + problems.joined(separator: "\n  "))
            throw ExitStatus.usage
        }
    }

    /// Connects to every host the rollback will visit, with the host key the run recorded as the
    /// only one accepted, and asks each passed host whether its backups are still kept. Refuses
    /// (exit 2) when any host presents another key or lost its backups; an unreachable host is
    /// left to the rollback itself, which reports it.
    static func preflight(
        _ plan: RunPlan, runID: String, outstanding: [String: [Outstanding]], passed: Set<String>, factory: TransportFactory, store: any StateStore
    ) async throws {
        let hosts = plan.hosts.filter { outstanding[$0.host] != nil }
        let problems = await withTaskGroup(of: String?.self) { group in
            for host in hosts {
                group.addTask {
                    let transport = factory.transport(host: host.host, connection: host.connection)
                    let problem = await check(host, transport: transport, passed: passed.contains(host.host), store: store)
                    await transport.close()
                    return problem
                }
            }
            var found: [String] = []
            for await problem in group { if let problem { found.append(problem) } }
            return found.sorted()
        }
        guard problems.isEmpty else {
            Output.error("error: rollback of run \(runID) refused, nothing was changed:\n  " + problems.joined(separator: "\n  "))
            throw ExitStatus.usage
        }
    }

    static func check(_ host: HostPlan, transport: any Transport, passed: Bool, store: any StateStore) async -> String? {
        do throws(TransportError) {
            try await transport.connect()
            guard passed, let kept = host.keptBackups else { return nil }
            let result = try await transport.run(kept.probe, secrets: [:])
            let lines = result.stdout.split(separator: "\n").map(String.init)
            if result.exitStatus == 0, lines.contains(KeptBackups.keptLine) {
                // A later run this store does not know (another controller's journal) may have changed
                // the same paths: its entry on the host is the only trace of it here. Runs the store
                // knows were checked path by path (`refuseLaterChanges`).
                for line in lines where line.hasPrefix(KeptBackups.newerPrefix) {
                    let later = String(line.dropFirst(KeptBackups.newerPrefix.count))
                    if (try? await store.load(later)) == nil {
                        return
                            "\(host.host): run \(later) passed there after this one, from a controller whose journal is not here: it may have changed the same paths; roll it back first where it ran (`runbook rollback \(later)`)"
                    }
                }
                return nil
            }
            return
                "\(host.host): the run passed there and its backups are gone (pruned by a later run: runbook_keep_backups is \(kept.count); or never kept): it cannot be put back from this run"
        } catch {
            return error.kind == .hostKey ? "\(host.host): \(error.message)" : nil
        }
    }
}
